import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * `npm test` on a machine with only Node: the tests that need zsh, fish or
 * bash are skipped with the reason, and under CI=true the same absence fails.
 * Runs vitest itself on the completion tests with a PATH that holds only node.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runVitestWithOnlyNode(ci: boolean): Promise<{ code: number; output: string }> {
  const bin = mkdtempSync(join(tmpdir(), 'hangar-only-node-'));
  dirs.push(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const env: NodeJS.ProcessEnv = { PATH: bin, HOME: bin, NO_COLOR: '1', ...(ci ? { CI: 'true' } : {}) };
  return new Promise((resolve) => {
    execFile(process.execPath, [VITEST, 'run', 'test/unit/completion.test.ts', 'test/e2e/completion-shells.test.ts'], { cwd: ROOT, env, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1) : 0;
      resolve({ code, output: stdout + stderr });
    });
  });
}

describe('tests that need an optional program', () => {
  it('are skipped with the reason when the program is missing', async () => {
    const { code, output } = await runVitestWithOnlyNode(false);
    expect(output).toContain('skipping tests (needs zsh: zsh not found on PATH; install: apt-get install zsh)');
    expect(output).toContain('skipping tests (needs fish: fish not found on PATH; install: apt-get install fish)');
    expect(output).toMatch(/Tests {2}\d+ passed \| \d+ skipped/);
    expect(code).toBe(0);
  }, 120_000);

  it('fail under CI=true when the program is missing', async () => {
    const { code, output } = await runVitestWithOnlyNode(true);
    expect(output).toContain('needs zsh: zsh not found on PATH; install: apt-get install zsh (CI=true: tests that need a program are never skipped in CI');
    expect(code).toBe(1);
  }, 120_000);
});
