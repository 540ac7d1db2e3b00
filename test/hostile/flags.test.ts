import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/spawn.js';

/**
 * Promise: every flag given a wrong value, for every command, ends with a
 * usage error on stderr whose first line names the flag, exit code 2, and no
 * stack trace; nothing is written to stdout. Runs the real binary.
 */

const dir = mkdtempSync(join(tmpdir(), 'hostile-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const missingFile = join(dir, 'no-such-key-file');
/** Root can read any file, so "unreadable" is a directory (EISDIR) or a missing path. */
const directory = dir;
/** Not a PEM certificate (a DER file or anything else): Node would ignore it silently. */
const notPem = join(dir, 'ca.der');
writeFileSync(notPem, Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01]));

interface FlagCase {
  /** Arguments after the binary. */
  readonly args: readonly string[];
  /** What the first stderr line must mention (the flag, or the argument). */
  readonly names: RegExp;
  readonly env?: Record<string, string>;
}

// A port nothing listens on is never contacted: every case fails before any connection.
const cases: readonly FlagCase[] = [
  // types
  { args: ['types', '--color', 'purple'], names: /--color/ },
  { args: ['types', '--json', '--names'], names: /--json.*--names|--names.*--json/ },
  { args: ['types', '--bogus'], names: /--bogus/ },
  // completion
  { args: ['completion', 'powershell'], names: /powershell|shell/ },
  { args: ['completion'], names: /shell/ },
  { args: ['completion', 'bash', '--bogus'], names: /--bogus/ },
  // every command: an unknown flag
  { args: ['--bogus'], names: /--bogus/ },
  { args: ['no-such-command'], names: /no-such-command/ },
];

/** Commands that landed later add their cases here (see the serve and tail blocks below). */
const allCases: FlagCase[] = [...cases];

function addFlagCases(more: readonly FlagCase[]): void {
  allCases.push(...more);
}

// ---- serve -------------------------------------------------------------
addFlagCases([
  { args: ['serve', '--port', 'abc'], names: /--port/ },
  { args: ['serve', '--port', '70000'], names: /--port/ },
  { args: ['serve', '--port', '-1'], names: /--port/ },
  { args: ['serve', '--port', '8000x'], names: /--port/ },
  { args: ['serve', '--host', ''], names: /--host/ },
  { args: ['serve', '--path', 'no-slash'], names: /--path/ },
  { args: ['serve', '--queue-size', '-5'], names: /--queue-size/ },
  { args: ['serve', '--queue-size', '0'], names: /--queue-size/ },
  { args: ['serve', '--history', 'lots'], names: /--history/ },
  { args: ['serve', '--ping-interval', '5x'], names: /--ping-interval/ },
  { args: ['serve', '--ping-interval', '-1s'], names: /--ping-interval/ },
  { args: ['serve', '--pong-timeout', 'soon'], names: /--pong-timeout/ },
  { args: ['serve', '--max-clients', '0'], names: /--max-clients/ },
  { args: ['serve', '--max-clients', '-3'], names: /--max-clients/ },
  { args: ['serve', '--log-format', 'xml'], names: /--log-format/ },
  { args: ['serve', '--rate', 'fast'], names: /--rate/ },
  { args: ['serve', '--rate', '-5'], names: /--rate/ },
  { args: ['serve', '--servers', '-1'], names: /--servers/ },
  { args: ['serve', '--seed', 'abc'], names: /--seed/ },
  { args: ['serve', '--replay', join(dir, 'x.ndjson'), '--speed', '0'], names: /--speed/ },
  { args: ['serve', '--speed', '2'], names: /--speed/ },
  { args: ['serve', '--chaos-drop', '1.5'], names: /--chaos-drop/ },
  { args: ['serve', '--chaos-drop', 'some'], names: /--chaos-drop/ },
  { args: ['serve', '--chaos-disconnect', 'never'], names: /--chaos-disconnect/ },
  { args: ['serve', '--api-key', ''], names: /--api-key/ },
  { args: ['serve', '--port', '0', '--api-key-file', missingFile], names: /--api-key-file/ },
  { args: ['serve', '--port', '0', '--api-key-file', directory], names: /--api-key-file/ },
]);

// ---- tail --------------------------------------------------------------
const T = ['tail', 'ws://127.0.0.1:9/api/ws/events'];
addFlagCases([
  { args: ['tail', 'ftp://127.0.0.1:9/x'], names: /ftp:|URL|url/ },
  { args: ['tail', 'ws://'], names: /ws:\/\/|URL|url/ },
  { args: ['tail', 'http://[not-an-ip/x'], names: /not-an-ip|URL|url/ },
  { args: [...T, '--timeout', 'abc'], names: /--timeout/ },
  { args: [...T, '--timeout', '-5s'], names: /--timeout/ },
  { args: [...T, '--since', '5x'], names: /--since/ },
  { args: [...T, '--history', '-1'], names: /--history/ },
  { args: [...T, '--where', 'duration_ms>>'], names: /--where/ },
  { args: [...T, '--where', ''], names: /--where/ },
  { args: [...T, '--where', '=5'], names: /--where/ },
  { args: [...T, '--where', 'tool_name~(unclosed'], names: /--where/ },
  { args: [...T, '-o', 'xml'], names: /--output/ },
  { args: [...T, '-n', '-1'], names: /--count/ },
  { args: [...T, '-n', 'ten'], names: /--count/ },
  { args: [...T, '--max-retries', '-1'], names: /--max-retries/ },
  { args: [...T, '--time', 'weird'], names: /--time/ },
  { args: [...T, '-o', 'pretty', '--format', '{unclosed'], names: /--format/ },
  { args: [...T, '--color', 'purple'], names: /--color/ },
  { args: [...T, '-H', 'NoColonHere'], names: /--header|-H/ },
  { args: [...T, '--api-key-file', missingFile], names: /--api-key-file/ },
  { args: [...T, '--api-key-file', directory], names: /--api-key-file/ },
  { args: [...T, '--no-follow'], names: /--no-follow/ },
]);

// ---- CA files: one rule for tail --ca and serve --upstream-ca -------------
addFlagCases([
  { args: [...T, '--ca', notPem], names: /--ca/ },
  { args: ['serve', '--port', '0', '--upstream', 'wss://127.0.0.1:9', '--upstream-ca', notPem], names: /--upstream-ca/ },
]);

// ---- publish: key files follow the same rule as serve and tail -----------
addFlagCases([
  { args: ['publish', '--url', 'http://127.0.0.1:9', '--api-key-file', missingFile], names: /--api-key-file/ },
  { args: ['publish', '--url', 'http://127.0.0.1:9', '--api-key-file', directory], names: /--api-key-file/ },
]);

describe.concurrent('a wrong value for any flag is a one-line usage error naming the flag (exit 2, no stack trace)', () => {
  for (const c of allCases) {
    test(`hangar-events ${c.args.map((a) => (a === '' ? "''" : a.replace(dir, '$TMP'))).join(' ')}`, async () => {
      const result = await runCli([...c.args], { env: c.env ?? {}, timeoutMs: 15_000 });
      const lines = result.stderr.split('\n').filter((l) => l.trim().length > 0);
      const context = `\nexit ${result.code} signal ${result.signal}\nstderr:\n${result.stderr}\nstdout:\n${result.stdout}`;
      expect(result.code, `exit code${context}`).toBe(2);
      expect(result.stderr, `no stack trace${context}`).not.toMatch(/^ {4}at /m);
      expect(result.stderr, `no internal error names${context}`).not.toMatch(/TypeError|ReferenceError|RangeError|SyntaxError|ERR_/);
      expect(lines.length, `a usage error on stderr${context}`).toBeGreaterThanOrEqual(1);
      expect(lines[0], `the first line names the flag${context}`).toMatch(c.names);
      // One line of error; a caret pointer (--format, --where) or a --help hint may follow.
      expect(lines.length, `short${context}`).toBeLessThanOrEqual(3);
      expect(result.stdout, `nothing on stdout${context}`).toBe('');
    });
  }
});
