// Keeps $CCLOCAL_HOME/attach.sh true: present with the ready model's Claude Code environment,
// absent otherwise. The `cclocal` launcher sources it and execs claude without starting Node.
import type { Logger } from 'pino';
import { attachPlan, attachScript, DEFAULT_OUT_TOKENS } from '../common/attach-env.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { packageFile } from './protocol/paths.js';
import type { EngineState } from './protocol/protocol.js';
import { removeFile } from './state-store.js';

export function createAttachFile(opts: { path: string; endpointUrl: string; log: Logger }) {
  let written: string | null = null;
  const mcpConfigPath = packageFile('mcp-local.json');
  return {
    /** Called after every engine event with the supervisor's view. */
    refresh(view: { state: EngineState; model: string | null; contextWindow: number }): void {
      if (view.state !== 'ready' || !view.model) {
        if (written !== null) { removeFile(opts.path); written = null; }
        return;
      }
      const text = attachScript(attachPlan({ endpointUrl: opts.endpointUrl, model: view.model, contextWindow: view.contextWindow, outTokens: DEFAULT_OUT_TOKENS, mcpConfigPath }));
      if (text === written) return;
      try {
        writeFileAtomic(opts.path, text, 0o600);
        written = text;
      } catch (err) {
        // Without the file the launcher takes the Node path: slower, never wrong.
        opts.log.warn({ err: (err as Error).message }, 'could not write attach.sh');
        removeFile(opts.path);
        written = null;
      }
    },
    remove(): void { removeFile(opts.path); written = null; },
  };
}
