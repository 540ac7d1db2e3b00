import type { Command } from 'commander';
import type { IO } from '../../io/io.js';
import { renderBashCompletion } from './bash.js';
import { renderFishCompletion } from './fish.js';
import { buildCompletionModel } from './model.js';
import { renderZshCompletion } from './zsh.js';

/** Shells `hangar-events completion` writes scripts for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionOptions {
  readonly shell: Shell;
}

/** Writes the completion script for `options.shell`, read from `program`, to stdout. */
export function runCompletion(options: CompletionOptions, program: Command, io: Pick<IO, 'stdout'>): void {
  const model = buildCompletionModel(program);
  const script =
    options.shell === 'bash' ? renderBashCompletion(model) : options.shell === 'zsh' ? renderZshCompletion(model) : renderFishCompletion(model);
  io.stdout.write(script);
}
