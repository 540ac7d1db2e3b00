import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: every reason a test was skipped for (a missing program,
 * test/helpers/require-program.ts, or the shared catalog) is written by the
 * worker that skipped it to a directory made here, and listed once at the end
 * of the run, so a skip cannot scroll away unseen.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-skips-'));
  process.env.HANGAR_TEST_SKIP_DIR = dir;
  return () => {
    const counts = new Map<string, number>();
    for (const file of readdirSync(dir)) {
      for (const reason of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (reason !== '') counts.set(reason, (counts.get(reason) ?? 0) + 1);
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (counts.size === 0) return;
    const lines = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([reason, files]) => `  - ${reason} (${files} test ${files === 1 ? 'file' : 'files'})`);
    console.warn(`\nskipped tests, by reason (install what they need, or run CI=true to make them fail):\n${lines.join('\n')}\n`);
  };
}
