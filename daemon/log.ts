// The root pino logger: JSON lines to logs/daemon.log, and a pretty copy on a terminal.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { CREDENTIAL_VARS } from '../common/credential-env.js';
import { LogFile } from './log-file.js';

// Keys and prompts never reach a log line, whatever object is logged by mistake.
export const REDACT_PATHS = [
  'apiKey', '*.apiKey', 'headers["x-api-key"]', '*.headers["x-api-key"]', 'headers.authorization',
  '*.headers.authorization', ...CREDENTIAL_VARS.flatMap((k) => [`env.${k}`, `*.env.${k}`]), 'body', '*.body',
];

export interface RootLog {
  log: Logger;
  /** Reopen the file after logrotate moved it (SIGHUP). */
  reopen(): void;
}

export function createRootLog(file: string, opts: { pretty: boolean; level?: string }): RootLog {
  const fileDest = new LogFile(file);
  const streams: pino.StreamEntry[] = [{ stream: fileDest }];
  // pino-pretty as a stream, not a transport: no worker thread in a daemon that should stay small.
  if (opts.pretty) streams.push({ stream: pretty({ colorize: true, sync: true }) });
  const log = pino(
    { level: opts.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    pino.multistream(streams),
  );
  return { log, reopen: () => fileDest.reopen() };
}

export type { Logger };
