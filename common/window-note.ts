// What `status`, the menu and the endpoint's "prompt is too long" say when a model runs below its
// default context window (status's engine.contextShrunkFrom), and the command that raises it. Pure.
import { shQuote } from './attach-env.js';

/** A model reference as a person would type it: quoted only when the shell needs it. */
function typed(model: string): string {
  return /^[\w@%+=:,./-]+$/.test(model) ? model : shQuote(model);
}

/** The command that gives the model its default window back. */
export function raiseWindowCommand(model: string, defaultWindow: number): string {
  return `cclocald load ${typed(model)} --ctx ${defaultWindow}`;
}

/** "context window N tokens, below …; to raise it: …", or null when it is not below the default.
 *  `model` is what the command names: the served id, or the catalog name the menu shows. */
export function shrunkWindowNote(e: { model: string | null; contextWindow: number; contextShrunkFrom: number | null }): string | null {
  if (!e.model || e.contextShrunkFrom === null) return null;
  return `context window ${e.contextWindow} tokens, below this model's default of ${e.contextShrunkFrom}; to raise it: ${raiseWindowCommand(e.model, e.contextShrunkFrom)}`;
}
