#!/usr/bin/env node
// `npm run stress`: the long versions of the hostile suite (test/hostile/**).
// Each test reads HOSTILE_STRESS=1 and grows its counts (100k hostile frames,
// 1000 subscribers, 50k chaos events, ...); every run is bounded in count and
// time (vitest timeouts) and talks to 127.0.0.1 only. The figures each test
// records are printed at the end, ready for docs/RELIABILITY.md.
//
//   npm run stress                      # everything
//   npm run stress -- load faults       # only files matching these words
//   HOSTILE_SEED=123 npm run stress     # reproduce a seeded run
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hangar-stress-'));
const figuresFile = join(dir, 'figures.ndjson');
const filters = process.argv.slice(2);
const seed = process.env.HOSTILE_SEED ?? String(Math.floor(Math.random() * 2 ** 32));

if (!existsSync(join(root, 'dist'))) {
  process.stderr.write('stress: building first (npm run build)\n');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

process.stderr.write(`stress: seed ${seed} (HOSTILE_SEED=${seed} reproduces); figures in ${figuresFile}\n`);
const started = Date.now();
const files = filters.length > 0 ? filters.map((f) => `test/hostile/${f}`) : ['test/hostile'];
const run = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...files, '--testTimeout', '900000', '--hookTimeout', '60000'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, HOSTILE_STRESS: '1', HOSTILE_SEED: seed, HOSTILE_FIGURES: figuresFile },
});
const seconds = Math.round((Date.now() - started) / 1000);

let rows = [];
try {
  rows = readFileSync(figuresFile, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));
} catch {
  rows = [];
}
const out = [];
out.push('');
out.push(`hangar-events stress run: ${new Date().toISOString()}, seed ${seed}, ${seconds} s, node ${process.version}, vitest exit ${run.status}`);
out.push('');
for (const row of rows) {
  const { test, ...figures } = row;
  out.push(`- ${test}: ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(', ')}`);
}
let lost = 0;
for (const row of rows) for (const [k, v] of Object.entries(row)) if (/lost/.test(k) && typeof v === 'number') lost += v;
out.push('');
out.push(`events lost outside announced drops: ${lost}`);
process.stdout.write(`${out.join('\n')}\n`);
rmSync(dir, { recursive: true, force: true });
process.exit(run.status ?? 1);
