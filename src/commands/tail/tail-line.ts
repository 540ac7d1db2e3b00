import type { TailFlags } from './options.js';

/**
 * `hangar-events tail ...` read without commander, for the command lines a
 * tail is usually started with: loading commander and declaring the program
 * is ~30 ms of CPU, about a seventh of a store-only tail's start (bench
 * scenario 9's history row). It reads only what it is sure of, exactly as
 * commander reads it (commander's `parseOptions`: tail's flags from
 * register.ts, the program's `-V`/`-h` recognised anywhere), and says "not
 * mine" for everything else, which the program then parses as before, with
 * its errors, help and suggestions:
 *
 * - a flag of tail's, long or short, alone: `--store FILE`, `-o ndjson`, `-q`;
 * - a flag that takes a value with the next word as its value when that word
 *   does not start with `-` (commander would take `--store -x` too; not here),
 *   or as `--long=value`;
 * - a word that does not start with `-`: a URL (or bare word).
 *
 * Not mine: any other word starting with `-` (an unknown flag, `--`, `-h`,
 * `--help`, `-V`, a group of short flags such as `-qv`, `-ondjson`, a short
 * flag with `=`), a flag that takes a value last on the line, a first word
 * other than `tail`. test/unit/tail-line.test.ts compares the table with
 * the flags the program declares and the result with commander's for a
 * corpus of lines.
 */

/** How commander stores a flag: a value (the last one wins), a repeatable value (`collect`), true, or false (`--no-...`). */
export type TailFlagKind = 'value' | 'repeat' | 'true' | 'false';

/** Tail's flags as register.ts declares them: the spelling, how it is stored, and under which name. */
export const TAIL_FLAGS: Readonly<Record<string, readonly [TailFlagKind, keyof TailFlags | 'context']>> = {
  '-t': ['repeat', 'type'],
  '--type': ['repeat', 'type'],
  '-x': ['repeat', 'excludeType'],
  '--exclude-type': ['repeat', 'excludeType'],
  '-s': ['repeat', 'server'],
  '--server': ['repeat', 'server'],
  '--group': ['repeat', 'group'],
  '--where': ['repeat', 'where'],
  '-o': ['value', 'output'],
  '--output': ['value', 'output'],
  '--fields': ['value', 'fields'],
  '--time': ['value', 'time'],
  '--format': ['value', 'format'],
  '--calls': ['true', 'calls'],
  '-v': ['true', 'wide'],
  '--wide': ['true', 'wide'],
  '--color': ['value', 'color'],
  '--no-color': ['false', 'color'],
  '--context': ['value', 'context'],
  '-k': ['value', 'apiKey'],
  '--api-key': ['value', 'apiKey'],
  '--api-key-file': ['value', 'apiKeyFile'],
  '--api-key-header': ['value', 'apiKeyHeader'],
  '--bearer': ['true', 'bearer'],
  '-H': ['repeat', 'header'],
  '--header': ['repeat', 'header'],
  '--ca': ['value', 'ca'],
  '--insecure': ['true', 'insecure'],
  '--no-reconnect': ['false', 'reconnect'],
  '--max-retries': ['value', 'maxRetries'],
  '--history': ['value', 'history'],
  '--tail': ['value', 'tail'],
  '--since': ['value', 'since'],
  '--until': ['value', 'until'],
  '-f': ['true', 'follow'],
  '--follow': ['true', 'follow'],
  '--no-follow': ['false', 'follow'],
  '--store': ['value', 'store'],
  '--store-table-prefix': ['value', 'storeTablePrefix'],
  '--store-interval': ['value', 'storeInterval'],
  '-n': ['value', 'count'],
  '--count': ['value', 'count'],
  '--timeout': ['value', 'timeout'],
  '--record': ['value', 'record'],
  '--exec': ['value', 'exec'],
  '--exec-concurrency': ['value', 'execConcurrency'],
  '--bell': ['true', 'bell'],
  '--stats': ['true', 'stats'],
  '--sort': ['value', 'sort'],
  '--interval': ['value', 'interval'],
  '-q': ['true', 'quiet'],
  '--quiet': ['true', 'quiet'],
};

/**
 * What commander sets before reading the line: a `--no-x` flag without an `--x` of its own defaults x to
 * true (`--no-follow` has `--follow`, `--no-color` has `--color <mode>`; `--no-reconnect` has neither).
 */
export const TAIL_FLAG_DEFAULTS: Readonly<Record<string, unknown>> = { reconnect: true };

/** The URL words and the flags, as tail's action receives them from commander; undefined when the line is the program's. */
export function readTailLine(argv: readonly string[]): { readonly urls: string[]; readonly flags: TailFlags & { context?: string } } | undefined {
  if (argv[0] !== 'tail') return undefined;
  const urls: string[] = [];
  const flags: Record<string, unknown> = { ...TAIL_FLAG_DEFAULTS };
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-')) {
      urls.push(word);
      continue;
    }
    const equals = word.startsWith('--') ? word.indexOf('=') : -1;
    const flag = Object.hasOwn(TAIL_FLAGS, equals > 0 ? word.slice(0, equals) : word) ? TAIL_FLAGS[equals > 0 ? word.slice(0, equals) : word] : undefined;
    if (flag === undefined) return undefined;
    const [kind, name] = flag;
    if (kind === 'true' || kind === 'false') {
      if (equals > 0) return undefined;
      flags[name] = kind === 'true';
      continue;
    }
    let value: string;
    if (equals > 0) value = word.slice(equals + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) return undefined;
      value = next;
      i++;
    }
    flags[name] = kind === 'value' ? value : [...((flags[name] as string[] | undefined) ?? []), value];
  }
  return { urls, flags: flags as TailFlags & { context?: string } };
}
