import { Argument, type Command } from '../commander.js';
import { UsageError } from '../../errors.js';
import type { IO } from '../../io/io.js';
import type { CompletionOptions } from './completion.js';

const SHELL_NAMES = ['bash', 'zsh', 'fish'] as const;

/** `hangar-events completion bash|zsh|fish`: pure flags -> options; the script is built when it runs. */
export function toCompletionOptions(shell: string): CompletionOptions {
  const found = SHELL_NAMES.find((name) => name === shell);
  if (!found) {
    throw new UsageError(
      `no completion for the shell ${JSON.stringify(shell).slice(0, 80)}: hangar-events completes bash, zsh and fish (hangar-events completion bash|zsh|fish; see hangar-events completion --help for where each script goes)`,
    );
  }
  return { shell: found };
}

export type RunCompletion = (options: CompletionOptions, program: Command, io: IO) => void | Promise<void>;

async function runDefault(options: CompletionOptions, program: Command, io: IO): Promise<void> {
  const { runCompletion } = await import('./completion.js');
  runCompletion(options, program, io);
}

/** Declares `completion <shell>`; the script is read from `program` itself, so every registered flag is completed. */
export function registerCompletion(program: Command, io: IO, run: RunCompletion = runDefault): void {
  program
    .command('completion')
    .summary('print a shell completion script (bash, zsh, fish)')
    .description('Print a completion script for bash, zsh or fish on stdout. It completes commands, options, output formats and event type names.')
    // The choices are for completion and help; the name is checked by toCompletionOptions (commander's own message says less).
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELL_NAMES).argParser((value: string) => value))
    .addHelpText(
      'after',
      `
Examples:
  source <(hangar-events completion bash)        # bash, this shell only
  hangar-events completion bash > ~/.local/share/bash-completion/completions/hangar-events
  hangar-events completion zsh > "\${fpath[1]}/_hangar-events"   # zsh, then restart it
  hangar-events completion fish > ~/.config/fish/completions/hangar-events.fish
`,
    )
    .action(async (shell: string) => {
      await run(toCompletionOptions(shell), program, io);
    });
}
