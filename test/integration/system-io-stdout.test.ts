import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { e2eEnv } from '../helpers/spawn.js';

/**
 * The system IO says stdout writes at once (OutputStream.writesAtOnce: the
 * writer then hands a batch over without copying it) only where Node's
 * process.stdout is a SyncWriteStream: a file or /dev/null, never a pipe.
 * A real process each time, stdout opened as a user's shell opens it.
 */

const SYSTEM_IO = pathToFileURL(join(import.meta.dirname, '../../dist/io/system-io.js')).href;
const SCRIPT = `const { systemIO } = await import(${JSON.stringify(SYSTEM_IO)});
const stdout = systemIO().stdout;
process.stderr.write(JSON.stringify({ writesAtOnce: stdout.writesAtOnce === true, type: process.stdout.constructor.name }));
stdout.write('line\\n');`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-system-io-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(stdout: number | 'pipe'): Promise<{ said: { writesAtOnce: boolean; type: string }; out: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { env: e2eEnv(), stdio: ['ignore', stdout, 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve({ said: JSON.parse(err) as { writesAtOnce: boolean; type: string }, out });
      } catch {
        reject(new Error(`the child said: ${err}`));
      }
    });
  });
}

describe("systemIO's stdout", () => {
  it('writes at once into a file and into /dev/null (Node writes both synchronously), not into a pipe', async () => {
    const file = join(dir, 'out.txt');
    const fd = openSync(file, 'w');
    const intoFile = await run(fd).finally(() => closeSync(fd));
    expect(intoFile.said).toEqual({ writesAtOnce: true, type: 'SyncWriteStream' });
    expect(readFileSync(file, 'utf8')).toBe('line\n');

    const devNull = openSync('/dev/null', 'w');
    const intoNull = await run(devNull).finally(() => closeSync(devNull));
    expect(intoNull.said).toEqual({ writesAtOnce: true, type: 'SyncWriteStream' });

    const intoPipe = await run('pipe');
    expect(intoPipe.said.writesAtOnce).toBe(false);
    expect(intoPipe.said.type).not.toBe('SyncWriteStream');
    expect(intoPipe.out).toBe('line\n');
  }, 30_000);
});
