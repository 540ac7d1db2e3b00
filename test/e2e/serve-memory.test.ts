import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli } from '../helpers/spawn.js';

const REPORT_NEW_SPACE = fileURLToPath(new URL('../fixtures/report-new-space.mjs', import.meta.url));

afterEach(killAll);

const MiB = 1024 * 1024;

describe('serve: memory at a high event rate', () => {
  it('keeps V8 young generation near its starting size at --rate max (left alone it grows to 16-32 MiB within a second)', async () => {
    const serve = startCli(['serve', '--rate', 'max', '--port', '0'], { env: { NODE_OPTIONS: `--import ${REPORT_NEW_SPACE}` } });
    await serve.waitFor('stderr', /listening on/);
    // Two seconds at max rate (the demo source publishes millions of events): 20 reports.
    await serve.waitFor('stderr', /(?:\[new space \d+\]\n[^]*){20}/, 15_000);
    const sizes = [...serve.stderr().matchAll(/\[new space (\d+)\]/g)].map((match) => Number(match[1]));
    expect(Math.min(...sizes)).toBeGreaterThan(0);
    // 2 MiB on Node 20 and 22, 4 MiB on Node 24 (its first growth); 8 MiB and more without the setting.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4 * MiB);
  });
});

describe('serve: a young generation setting given to node', () => {
  it('is left as given (NODE_OPTIONS=--max-semi-space-size=16 lets it grow as node would)', async () => {
    const serve = startCli(['serve', '--rate', 'max', '--port', '0'], { env: { NODE_OPTIONS: `--max-semi-space-size=16 --import ${REPORT_NEW_SPACE}` } });
    await serve.waitFor('stderr', /listening on/);
    await serve.waitFor('stderr', /\[new space (?:[5-9]\d{6}|\d{8,})\]/, 15_000);
  });
});
