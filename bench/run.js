#!/usr/bin/env node
// The benchmark harness: `npm run bench` (full, under ten minutes) or
// `npm run bench -- --quick` (smoke run, under a minute). Runs each scenario of
// bench/README.md with its baseline in the same invocation, prints a table on
// stdout and writes bench/results/latest.json. Everything binds 127.0.0.1,
// every child is killed on exit, and a global deadline stops a stuck run.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { benchDir, installExitHandlers, killAll, repoRoot } from './lib/children.js';
import { machineInfo } from './lib/procfs.js';
import { formatMarkdown, formatTable, roundDeep } from './lib/report.js';
import { scenarios } from './scenarios/index.js';

const HELP = `usage: npm run bench [-- [--quick] [--only 1,2,...] [--out FILE] [--markdown]]

  --quick        smaller counts and shorter windows (smoke run, under a minute)
  --only LIST    run only these scenarios (1-9)
  --out FILE     where to write the JSON results (default bench/results/latest.json)
  --markdown     also print the table as Markdown (for bench/README.md)
`;

function parseArgs(argv) {
  const options = { quick: false, only: null, out: join(benchDir, 'results', 'latest.json'), markdown: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--markdown') options.markdown = true;
    else if (arg === '--only') options.only = new Set(argv[++i].split(',').map(Number));
    else if (arg.startsWith('--only=')) options.only = new Set(arg.slice(7).split(',').map(Number));
    else if (arg === '--out') options.out = argv[++i];
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument ${arg}\n${HELP}`);
      process.exit(2);
    }
  }
  return options;
}

function fdLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}

const options = parseArgs(process.argv.slice(2));
installExitHandlers();

// Every child runs without NODE_EXTRA_CA_CERTS: Node 20 reads that file at every start (22 and 24 only
// when a TLS connection needs it), ~60 ms here for a system bundle of 144 certificates (`node -e 0`:
// 107 -> 45 ms). No scenario makes a TLS connection; the variable would only weigh on the figures
// that include a start (scenario 7's and its `node -e 0` baseline alike, scenario 9's backfill
// against live's steady state). bench/README.md, issue 24, round seven.
const clearedEnv = ['NODE_EXTRA_CA_CERTS'].filter((name) => process.env[name] !== undefined);
for (const name of clearedEnv) delete process.env[name];

if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('bench: dist/ is missing; build first (npm install builds it, or npm run build)\n');
  process.exit(1);
}

const log = (message) => process.stderr.write(`bench: ${message}\n`);
const context = {
  quick: options.quick,
  // Measurement windows: long enough to average out scheduling noise, short enough for the time budget.
  warmMs: options.quick ? 200 : 700,
  windowMs: options.quick ? 600 : 4000,
  stallMs: options.quick ? 2000 : 20000,
  idleConnections: options.quick ? 2000 : 10000,
  startupRuns: options.quick ? 5 : 15,
  fdLimit: fdLimit(),
  log,
};

const startedAt = new Date();
const results = [];

/** Writes the JSON and prints the table for whatever has run so far; exits. */
function finish(note) {
  const document = {
    schema: 'hangar-events-bench/1',
    quick: options.quick,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    note,
    machine: {
      nproc: availableParallelism(),
      cpuModel: machineInfo().cpuModel,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadavg: loadavg(),
      fdLimit: context.fdLimit,
      clearedEnv,
    },
    scenarios: roundDeep(results),
  };
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`${formatTable(results)}\n`);
  if (options.markdown) process.stdout.write(`\n${formatMarkdown(results)}\n`);
  const failed = results.flatMap((r) => r.rows).filter((row) => row.pass === false).length;
  const errors = results.filter((r) => r.error).length;
  log(
    `${document.machine.nproc} cpus (${document.machine.cpuModel}), node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
      `${clearedEnv.length > 0 ? `children without ${clearedEnv.join(', ')}; ` : ''}` +
      `${failed} targets missed, ${errors} scenarios failed to run; results in ${options.out}${note ? ` (${note})` : ''}`,
  );
  killAll();
  process.exit(errors > 0 || note ? 1 : 0);
}

// A stuck run ends by itself, with what it has.
const deadlineMs = options.quick ? 240_000 : 15 * 60_000;
setTimeout(() => {
  log(`still running after ${deadlineMs / 1000} s; stopping here`);
  finish(`stopped by the ${deadlineMs / 1000} s deadline`);
}, deadlineMs).unref();

for (const scenario of scenarios) {
  if (options.only && !options.only.has(scenario.id)) continue;
  log(`scenario ${scenario.id}: ${scenario.name}`);
  const started = performance.now();
  const result = { id: scenario.id, name: scenario.name, rows: [], details: {}, error: undefined, durationMs: 0 };
  results.push(result);
  try {
    const { rows, details } = await scenario.run(context);
    result.rows = rows;
    result.details = details ?? {};
  } catch (error) {
    result.error = String(error?.message ?? error).split('\n')[0];
    log(`scenario ${scenario.id} failed: ${error?.stack ?? error}`);
  } finally {
    killAll();
  }
  result.durationMs = performance.now() - started;
}
finish(undefined);
