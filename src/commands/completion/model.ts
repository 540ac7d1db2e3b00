import type { Command, Option } from 'commander';
import { EVENT_CATALOG } from '../../protocol/catalog.js';

/**
 * What a shell needs to know to complete the CLI, read from the commander
 * program itself (so a flag added to any command is completed without
 * touching this directory). The shell renderers (bash.ts, zsh.ts, fish.ts)
 * are pure functions of this model.
 */

/** How the value of an option or argument is completed. */
export type ValueCompletion =
  | { readonly kind: 'none' }
  /** A fixed list of words (output formats, color modes, shells). */
  | { readonly kind: 'words'; readonly words: readonly string[] }
  /** Event type names; the value is a comma-separated list, so complete the item after the last comma. */
  | { readonly kind: 'list'; readonly words: readonly string[] }
  | { readonly kind: 'file' }
  /** Saved context names, asked of the program at completion time (`context list --names`). */
  | { readonly kind: 'contexts' };

export interface CompletionOption {
  /** `-t`, when the option has a short form. */
  readonly short: string | undefined;
  /** `--type`; `--no-color` for negations. */
  readonly long: string | undefined;
  readonly description: string;
  /** True when the option takes a value (`--type <pattern>` or `--x [y]`). */
  readonly takesValue: boolean;
  /** The value's placeholder name (`pattern` in `--type <pattern>`), for shells that show it. */
  readonly valueName: string;
  readonly value: ValueCompletion;
}

export interface CompletionCommand {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly options: readonly CompletionOption[];
  /** How positional arguments are completed. */
  readonly operand: ValueCompletion;
  /** The first positional argument's name (`shell`, `file`), when there is one. */
  readonly operandName: string | undefined;
}

export interface CompletionModel {
  /** The executable's name (`hangar-events`). */
  readonly program: string;
  readonly version: string | undefined;
  readonly options: readonly CompletionOption[];
  readonly commands: readonly CompletionCommand[];
}

/** Event type names for `--type` and `--exclude-type`: what a current gateway emits, then the pre-rename aliases, in catalog order. */
export const EVENT_TYPE_NAMES: readonly string[] = EVENT_CATALOG.filter((info) => info.emitted || info.aliasOf !== undefined).map((info) => info.name);

/**
 * Values of well-known flags, by long name, used when the owning command did
 * not declare `.choices()` itself (choices always win).
 */
const KNOWN_VALUES: Readonly<Record<string, ValueCompletion>> = {
  '--output': { kind: 'words', words: ['pretty', 'ndjson', 'table'] },
  '--time': { kind: 'words', words: ['local', 'utc', 'iso', 'relative', 'none'] },
  '--color': { kind: 'words', words: ['auto', 'always', 'never'] },
  '--log-format': { kind: 'words', words: ['pretty', 'json'] },
  '--type': { kind: 'list', words: EVENT_TYPE_NAMES },
  '--exclude-type': { kind: 'list', words: EVENT_TYPE_NAMES },
  '--context': { kind: 'contexts' },
  '--record': { kind: 'file' },
  '--replay': { kind: 'file' },
  '--api-key-file': { kind: 'file' },
  '--ca': { kind: 'file' },
};

/** Positional arguments whose name says they are a file path. */
const FILE_ARGUMENT = /file|path/i;

function valueOf(option: Option): ValueCompletion {
  if (!option.required && !option.optional) return { kind: 'none' };
  if (option.argChoices && option.argChoices.length > 0) return { kind: 'words', words: [...option.argChoices] };
  const known = option.long ? KNOWN_VALUES[option.long] : undefined;
  return known ?? { kind: 'none' };
}

function toOption(option: Option): CompletionOption {
  return {
    short: option.short,
    long: option.long,
    description: option.description,
    takesValue: option.required || option.optional,
    valueName: /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1]?.replace(/\.\.\.$/, '') ?? 'value',
    value: valueOf(option),
  };
}

function operandOf(command: Command, commandNames: readonly string[]): ValueCompletion {
  // commander's implicit `help [command]`.
  if (command.name() === 'help') return { kind: 'words', words: commandNames.filter((name) => name !== 'help') };
  const first = command.registeredArguments[0];
  if (!first) return { kind: 'none' };
  if (first.argChoices && first.argChoices.length > 0) return { kind: 'words', words: [...first.argChoices] };
  if (FILE_ARGUMENT.test(first.name())) return { kind: 'file' };
  return { kind: 'none' };
}

/** Reads the completion model from a fully registered commander program. */
export function buildCompletionModel(program: Command): CompletionModel {
  const help = program.createHelp();
  const visible = help.visibleCommands(program);
  const names = visible.map((command) => command.name());
  return {
    program: program.name(),
    version: program.version(),
    options: help.visibleOptions(program).map(toOption),
    commands: visible.map((command) => ({
      name: command.name(),
      aliases: command.aliases(),
      description: command.summary() || command.description(),
      options: help.visibleOptions(command).map(toOption),
      operand: operandOf(command, names),
      operandName: command.name() === 'help' ? 'command' : command.registeredArguments[0]?.name(),
    })),
  };
}

/** The flags of an option as written on a command line (`-t`, `--type`). */
export function flagsOf(option: CompletionOption): string[] {
  return [option.short, option.long].filter((flag): flag is string => flag !== undefined);
}
