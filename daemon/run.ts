// `cclocald run`: claim the home, build the parts, listen, wire signals. Teardown is one ordered
// function with one deadline and a backstop timer.
import { ConfigError, loadConfig, type Config } from './config.js';
import { AlreadyRunningError, claimHome, HomeError, prepareHome, removeStaleSocket, type HomeLock } from './home.js';
import { createRootLog, type RootLog } from './log.js';
import { createAttachFile } from './attach-file.js';
import { revertWiredLimit } from './wired-limit.js';
import { startEndpoint, type Endpoint } from './endpoint/http-server.js';
import { createNotifier } from './notify.js';
import { engineKind } from './engine/kinds.js';
import { KILL_WAIT_MS } from './engine/engine-process.js';
import { connectionCap, openFilesSoftLimit, socketClientCap } from './platform/open-files.js';
import { assertSocketPathFits, homeDir, homePaths, SocketPathTooLongError } from './protocol/paths.js';
import { PROTOCOL_VERSION, type DaemonEvent } from './protocol/protocol.js';
import { recoverOrphanEngine } from './recover.js';
import { createRpcServer } from './rpc/methods.js';
import { listenSocket, type SocketServer } from './rpc/socket-server.js';
import { loadState } from './state-store.js';
import { autoloadTarget } from './supervisor/model-settings.js';
import { Supervisor, type RunEnd } from './supervisor/supervisor.js';
import { RemoteEngine } from './remote/remote-engine.js';
import { EngineHost } from './engine-host.js';
import { VERSION } from './version.js';

/** Beyond the drain, the engine's stop grace and the kill wait, what teardown may take before the
 *  backstop forces exit 1: all of it within the login services' 30 s (durations.ts bounds the grace). */
const TEARDOWN_SLACK_MS = 2500;
/** How long open answers get to receive their "cclocald is stopping" error before connections close. */
const STOP_DRAIN_MS = 2000;

export async function runDaemon(): Promise<number> {
  let config: Config;
  try {
    // The home first: config.json names executables, so it is read only from a home that is
    // this user's alone.
    prepareHome(homePaths(homeDir()));
    config = loadConfig();
    assertSocketPathFits(config.paths.socket, config.platform);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SocketPathTooLongError || err instanceof HomeError) {
      process.stderr.write(`cclocald: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  let lock: HomeLock;
  try {
    lock = await claimHome(config.paths);
  } catch (err) {
    if (err instanceof AlreadyRunningError) {
      process.stderr.write(`cclocald: ${err.message}; its socket is ${config.paths.socket}\n`);
      return 1;
    }
    throw err;
  }

  const root: RootLog = createRootLog(config.paths.daemonLog, { pretty: process.stdout.isTTY === true });
  const log = root.log.child({ mod: 'daemon' });
  const startedAt = Date.now();
  const daemonInfo = () => ({ pid: process.pid, version: VERSION, protocol: PROTOCOL_VERSION, uptimeS: Math.floor((Date.now() - startedAt) / 1000), home: config.paths.home });
  let sock: SocketServer | null = null;
  const attachFile = createAttachFile({ path: config.paths.attachScript, endpointUrl: `http://127.0.0.1:${config.port}`, log });
  attachFile.remove(); // a file left by a daemon that died hard describes nothing now
  const emit = (e: Omit<DaemonEvent, 'at'>) => {
    const event = { ...e, at: new Date().toISOString() } as DaemonEvent;
    sock?.broadcast(event);
    endpointRef?.onEvent(event);
    attachFile.refresh(host.view());
  };
  const persisted = loadState(config.paths.state);
  const notifier = createNotifier({ platform: config.platform, enabled: config.notify, log: root.log.child({ mod: 'notify' }) });
  // The endpoint is made after the supervisor; no run can end before it exists.
  let endpointRef: Endpoint | null = null;
  // One run counter for both sides: the endpoint tells runs and upstream spells apart by it.
  let runs = 0;
  const nextGen = () => ++runs;
  const onRunEnded = (gen: number, end: RunEnd) => endpointRef?.runEnded(gen, end);
  const supervisor = new Supervisor({
    config, log: root.log.child({ mod: 'supervisor' }), emit, notifier, persisted, engines: engineKind, nextGen, onRunEnded,
  });
  const remote = new RemoteEngine({ config, log: root.log.child({ mod: 'remote' }), emit, notifier, nextGen, onRunEnded });
  const host = new EngineHost(supervisor, remote, config);

  const fdLimit = await openFilesSoftLimit(config.platform);
  if (fdLimit !== null && fdLimit < 1024) log.warn({ fdLimit, connections: connectionCap(fdLimit) }, 'the open-files limit is low; raise it (ulimit -n 8192) before starting cclocald for more client connections');
  let endpoint: Endpoint;
  try {
    endpoint = await startEndpoint({
      port: config.port, concurrency: () => host.concurrency(), queueMax: config.queueMax, queueTimeoutMs: config.queueTimeoutMs,
      firstEventTimeoutMs: config.firstEventTimeoutMs, betweenEventsTimeoutMs: config.betweenEventsTimeoutMs, pingIntervalMs: config.pingIntervalMs,
      requestTimeoutMs: config.requestTimeoutMs, maxConnections: connectionCap(fdLimit),
      awaitReady: (skip, signal) => host.awaitReady(skip, signal),
      tryReady: (skip) => host.tryReady(skip),
      reportWedged: (gen, detail) => void host.reportWedged(gen, detail).catch((err: Error) => log.error({ err }, 'wedge restart failed')),
      reportFailed: (gen, why) => host.reportFailed(gen, why),
      flipAuth: (gen) => host.flipAuth(gen),
      engineView: () => host.view(),
      pageStatus: () => ({ daemon: daemonInfo(), engine: host.status() }),
      metricsView: () => { const e = host.status(); return { state: e.state, contextWindow: e.contextWindow, memory: e.memory }; },
      log: root.log.child({ mod: 'endpoint' }),
    });
    endpointRef = endpoint;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use; stop what holds it (lsof -iTCP:' + config.port + ') or set CCLOCAL_PORT to a free port' : (err as Error).message;
    log.fatal({ port: config.port, code }, 'cannot listen on the endpoint port');
    process.stderr.write(`cclocald: cannot listen on 127.0.0.1:${config.port}: ${why}\n`);
    lock.release();
    return 1;
  }

  let stopping: Promise<void> | null = null;
  // launchd's KeepAlive {SuccessfulExit: false} and systemd's Restart=on-failure restart only a
  // daemon that exits non-zero: a fatal error must never end in 0.
  let exitCode = 0;
  let finished!: () => void;
  const done = new Promise<void>((r) => { finished = r; });
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'daemon stopping');
      const backstop = setTimeout(() => {
        log.error({ reason }, 'teardown stalled; forcing exit');
        process.exit(1);
      }, STOP_DRAIN_MS + config.stopGraceMs + KILL_WAIT_MS + TEARDOWN_SLACK_MS);
      backstop.unref();
      try {
        attachFile.remove();               // the warm path must not point at a daemon going away
        // A client cut off next (a load waiting for its model) knows why.
        sock?.broadcast({ type: 'stopping', reason, at: new Date().toISOString() });
        await endpoint.close(STOP_DRAIN_MS); // no new requests; open answers told why they end
        await host.shutdown();             // engine: SIGTERM to its group, SIGKILL after the grace
        await revertWiredLimit(config.paths.home, log, notifier);
        await sock?.close();               // the final state event has gone out by now
        removeStaleSocket(config.paths.socket);
        lock.release();
        log.info({ reason }, 'daemon stopped');
      } catch (err) {
        log.error({ err }, 'error during teardown');
      } finally {
        finished();
      }
    })();
    return stopping;
  };

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => root.reopen());
  const fatal = (err: unknown, what: string) => {
    exitCode = 1;
    // Said on stderr too: the log may be the very thing that cannot be written.
    process.stderr.write(`cclocald: ${what}: ${(err as Error)?.stack ?? String(err)}\n`);
    try { log.fatal({ err }, what); } catch { /* the log is gone as well */ }
    void stop(what);
  };
  process.on('uncaughtException', (err) => fatal(err, 'uncaught exception'));
  process.on('unhandledRejection', (err) => fatal(err, 'unhandled rejection'));

  const rpc = createRpcServer({
    host,
    hfHubCache: config.hfHubCache,
    engineEnv: config.engineBaseEnv,
    platform: config.platform,
    contextFloor: config.contextFloor,
    defaultContextWindow: config.defaultContextWindow,
    log: root.log.child({ mod: 'rpc' }),
    requestShutdown: (reason) => setImmediate(() => void stop(reason)),
    afterUnload: () => revertWiredLimit(config.paths.home, log, notifier),
    daemonStatus: () => ({
      daemon: daemonInfo(),
      endpoint: { url: endpoint.url, ...endpoint.stats(), sessions: endpoint.sessions() },
    }),
  });
  // Before the socket answers: a client must never see "stopped" while an orphan engine from a
  // daemon that died hard is still being adopted or stopped.
  const recovery = await recoverOrphanEngine({ config, log, persisted, supervisor, notifier, emit, engines: engineKind }).catch((err) => {
    log.error({ err }, 'could not check for a leftover engine');
    return 'none' as const;
  });
  try {
    removeStaleSocket(config.paths.socket);
    sock = await listenSocket(config.paths.socket, rpc, root.log.child({ mod: 'socket' }), undefined, socketClientCap(fdLimit));
  } catch (err) {
    log.fatal({ err }, 'cannot listen on the control socket');
    process.stderr.write(`cclocald: cannot listen on ${config.paths.socket}: ${(err as Error).message}\n`);
    lock.release();
    return 1;
  }
  log.info({ pid: process.pid, version: VERSION, home: config.paths.home, socket: config.paths.socket }, 'daemon started');

  if (config.engine === 'remote') {
    // Nothing to load: watching the upstreams from the start lets the first attach be instant.
    if (config.autoload && !stopping) host.load('', { engine: 'remote' }).catch((err: Error) => log.warn({ err: err.message }, 'the remote upstreams are not serving yet'));
  } else {
    const again = autoloadTarget(persisted, config.engine);
    if (recovery !== 'adopted' && config.autoload && again && !stopping) {
      log.info(again, 'loading the last model again');
      host.load(again.model, again).catch((err: Error) => log.warn({ err: err.message }, 'autoload failed'));
    }
  }
  await done;
  return exitCode;
}
