import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import { collect } from '../../src/commands/parse.js';
import { readTailLine, TAIL_FLAGS } from '../../src/commands/tail/tail-line.js';
import { createTestIO } from '../helpers/test-io.js';

/**
 * readTailLine reads a tail line without commander (main.ts): for every line it
 * takes, commander must read the same URL words and flags; every other line is
 * left to the program.
 */

/** What the real program hands tail's action for `argv`, or the error commander stops with. */
async function commanderReads(argv: readonly string[]): Promise<{ urls: string[]; flags: Record<string, unknown> } | { error: unknown }> {
  const io = createTestIO();
  const program = await createProgram(io, argv);
  let read: { urls: string[]; flags: Record<string, unknown> } | undefined;
  program.commands.find((command) => command.name() === 'tail')?.action((urls: string[], flags: Record<string, unknown>) => {
    read = { urls, flags: { ...flags } };
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    return { error };
  }
  return read ?? { error: 'the action did not run' };
}

/** A small deterministic generator (the corpus is the same every run). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    state = (state ^ (state >>> 13)) >>> 0;
    return state / 2 ** 32;
  };
}

const VALUES = ['x', '', 'help', 'tail', 'ws://127.0.0.1:1', 'data/events.db', '5', '-5', '-x', '--', '--no-follow', '-q', 'a=b', '{event_type}', ' spaced '];
const OTHER_WORDS = ['--bogus', '-Z', '-qv', '-qf', '-ondjson', '-n5', '--quiet=1', '--no-follow=1', '-o=ndjson', '-h', '--help', '-V', '--version', '--', '-', '--no-bell', '--no-store', '--=x', '--__proto__', '--constructor', '--toString', '--hist', '--Store', 'ws://h:1', 'help', 'gateway:8000'];

function line(next: () => number): string[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const flags = Object.keys(TAIL_FLAGS);
  const words: string[] = [next() < 0.05 ? pick(['TAIL', 'tial', '--quiet', 'help']) : 'tail'];
  const length = Math.floor(next() * 7);
  for (let i = 0; i < length; i++) {
    const roll = next();
    if (roll < 0.55) {
      const flag = pick(flags);
      const [kind] = TAIL_FLAGS[flag]!;
      if (kind === 'value' || kind === 'repeat') {
        if (flag.startsWith('--') && next() < 0.3) words.push(`${flag}=${pick(VALUES)}`);
        else if (next() < 0.9) words.push(flag, pick(VALUES));
        else words.push(flag);
      } else words.push(flag);
    } else if (roll < 0.8) words.push(pick(['ws://127.0.0.1:1', 'gateway:8000', 'x', 'help', 'tail']));
    else words.push(pick(OTHER_WORDS));
  }
  return words;
}

describe('tail lines read without commander', () => {
  it('knows exactly the flags tail declares: each spelling, whether it takes a value, repeats or negates, and its name', async () => {
    const program = await createProgram(createTestIO(), ['tail']);
    const tail = program.commands.find((command) => command.name() === 'tail')!;
    const declared: Record<string, readonly [string, string]> = {};
    for (const option of tail.options) {
      expect(option.optional, `${option.flags}: an optional value is not read without commander`).toBe(false);
      expect(option.variadic).toBe(false);
      const kind = option.negate ? 'false' : option.required ? (option.parseArg === collect ? 'repeat' : 'value') : 'true';
      if (option.required && option.parseArg !== collect) expect(option.parseArg, option.flags).toBeUndefined();
      for (const spelling of [option.short, option.long]) if (spelling) declared[spelling] = [kind, option.attributeName()];
    }
    expect(TAIL_FLAGS).toEqual(declared);
  });

  it('the usual lines are read without commander, as commander reads them', async () => {
    const lines = [
      ['tail'],
      ['tail', '--store', '/tmp/events.db', '--history', '200000', '--no-follow', '-o', 'ndjson', '-q'],
      ['tail', 'ws://127.0.0.1:8000/api/ws/events', '-o', 'ndjson'],
      ['tail', '-o', 'pretty', '-t', 'Tool*', '-t', 'Health*', '--where', 'duration_ms>500', '-s', 'math', '--no-color'],
      ['tail', 'gateway:8000', '--store=sqlite:data/events.db', '--since', '1h', '-n', '5', '--timeout', '30s', '-f'],
      ['tail', '--no-follow', '--follow', '--history', '1', '--history', '2', '--color', 'always', '--no-color', '--no-reconnect'],
      ['tail', '-H', 'X-A: 1', '--header', 'X-B: 2', '-k', 'mcp_key', '--bearer', '--ca', 'ca.pem', '--insecure', '-v', '--calls', '--stats', '--bell'],
      ['tail', '--format', '{event_type} {mcp_server_id}', '--time', 'utc', '--fields', 'a,b', '--record', 'out.ndjson', '--exec', 'cat', '--exec-concurrency', '2'],
      ['tail', '-o', 'table', '--sort', 'errors', '--interval', '1m', '--max-retries', '3', '--until', '17:30', '--tail', '20', '--context', 'prod'],
      ['tail', '--store', 'postgresql://u@h/db', '--store-table-prefix', 'hangar_', '--store-interval', '2s', '--api-key-file', 'k', '--api-key-header', 'X-Key', '--group', 'g', '-x', 'A', '--exclude-type', 'B'],
      ['tail', 'help', 'tail', '--store', 'help'],
      ['tail', '--where', '', '--store='],
    ];
    for (const argv of lines) {
      const fast = readTailLine(argv);
      expect(fast, argv.join(' ')).toBeDefined();
      expect(await commanderReads(argv), argv.join(' ')).toEqual(fast);
    }
  });

  it('for a corpus of lines: every line it reads, commander reads the same; every line commander rejects, it leaves to commander', async () => {
    const next = random(24);
    let taken = 0;
    let left = 0;
    for (let i = 0; i < 3000; i++) {
      const argv = line(next);
      const fast = readTailLine(argv);
      const commander = await commanderReads(argv);
      if (fast === undefined) {
        left++;
        continue;
      }
      taken++;
      expect(commander, argv.join(' ')).toEqual(fast);
    }
    // Both kinds are well represented: the comparison is not vacuous, and the fallback is exercised.
    expect(taken).toBeGreaterThan(600);
    expect(left).toBeGreaterThan(600);
  }, 60_000);

  it('leaves to commander what it is not sure of', () => {
    for (const argv of [
      [],
      ['top'],
      ['--quiet', 'tail'],
      ['tail', '--help'],
      ['tail', '-h'],
      ['tail', '-V'],
      ['tail', '--bogus'],
      ['tail', '-qv'],
      ['tail', '-ondjson'],
      ['tail', '-o=ndjson'],
      ['tail', '--quiet=yes'],
      ['tail', '--store'],
      ['tail', '--store', '-x'],
      ['tail', '--history', '-5'],
      ['tail', '--', 'ws://h:1'],
      ['tail', '-'],
      ['tail', '--__proto__', 'x'],
      ['tail', '--hist', '5'],
    ]) {
      expect(readTailLine(argv), argv.join(' ')).toBeUndefined();
    }
  });
});
