import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * The published package, as a user on a machine that never saw this
 * repository gets it: `npm pack`, then `npm install <tarball>` into an empty
 * folder (dependencies come from the registry or npm's cache), then the
 * installed binary. `npm test` has built dist/ already, so pack skips scripts.
 */

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
  bin: Record<string, string>;
  files: string[];
};

/** npm's environment without what `npm test` exports about this project (npm_config_local_prefix would point npm at the repository). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) && !/^npm_config_(cache|registry|userconfig)$/i.test(name)) continue;
    env[name] = value;
  }
  return { ...env, NO_COLOR: '1', TERM: 'dumb', TZ: 'UTC', npm_config_update_notifier: 'false' };
}

let work: string;
let tarball: string;
let packedFiles: string[];
let installDir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hangar-package-'));
  const { stdout } = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, env: npmEnv() });
  const [report] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, report!.filename);
  packedFiles = report!.files.map((file) => file.path).sort();
  installDir = join(work, 'user');
  mkdirSync(installDir, { recursive: true });
  // --omit=optional: the SQLite driver (better-sqlite3) compiles for a minute or two on install, the
  // same package `npm ci` builds for the suite; without it the install shows what a user gets whose
  // build failed (a clear message for an SQLite --store, checked below).
  await exec('npm', ['install', tarball, '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: installDir,
    env: npmEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
}, 300_000);

afterEach(async () => {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds only what a user needs: bin, compiled JS, the help pages, README, LICENSE, CHANGELOG', () => {
    expect(packedFiles).toContain('bin/hangar-events.js');
    expect(packedFiles).toContain('dist/cli/main.js');
    // dist/cli/help-pages.json: what the launcher prints for --help without loading the program (src/cli/fast-path.ts);
    // bin/package.json makes the launcher CommonJS, which requires the fast path's CommonJS copy, dist/cli/fast-path.cjs.
    const extra = ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json', 'bin/package.json', 'dist/cli/help-pages.json', 'dist/cli/fast-path.cjs'];
    for (const file of extra) expect(packedFiles).toContain(file);
    const unexpected = packedFiles.filter(
      (file) => !extra.includes(file) && !/^bin\/[^/]+\.js$/.test(file) && !/^dist\/.+\.(js|d\.ts)$/.test(file),
    );
    expect(unexpected).toEqual([]);
    // Type declarations for the embedding API (README "Embedding"), and no TypeScript sources or maps.
    expect(packedFiles).toContain('dist/server/server.d.ts');
    expect(packedFiles.filter((file) => /^(src|test|bench)\/|(?<!\.d)\.ts$|\.map$/.test(file))).toEqual([]);
  });

  it('links from its README only to files the package holds (or to the web)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const local = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/i.test(target));
    expect(local.filter((target) => !packedFiles.includes(target))).toEqual([]);
  });

  it('declares Node >= 20 and a bin with a node shebang', () => {
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.bin['hangar-events']).toBe('bin/hangar-events.js');
    const launcher = readFileSync(join(installDir, 'node_modules/hangar-events/bin/hangar-events.js'), 'utf8');
    expect(launcher.split('\n')[0]).toBe('#!/usr/bin/env node');
    // CommonJS, whatever the package's own "type" (module).
    expect(JSON.parse(readFileSync(join(installDir, 'node_modules/hangar-events/bin/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('installs from the tarball into an empty folder and runs with npx', async () => {
    const { stdout, stderr } = await exec('npx', ['hangar-events', '--version'], { cwd: installDir, env: npmEnv() });
    expect(stdout.trim()).toBe(pkg.version);
    expect(stderr).toBe('');
    const installed = JSON.parse(readFileSync(join(installDir, 'node_modules/hangar-events/package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(pkg.version);
  }, 120_000);

  it('without the optional SQLite driver, an SQLite --store says how to install it (exit 6)', async () => {
    writeFileSync(join(installDir, 'events.db'), '');
    const result = await exec(join(installDir, 'node_modules/.bin/hangar-events'), ['tail', '--store', 'events.db', '--since', '1h', '--no-follow'], { cwd: installDir, env: npmEnv() }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/its driver \(the optional dependency better-sqlite3\) is not installed or did not build here.*install it with 'npm install better-sqlite3@12'/);
    // Advice that works where the package is installed (a global install too), not in the current folder.
    expect(result.stderr).toContain(`cd '${join(installDir, 'node_modules/hangar-events')}' && npm install --no-save better-sqlite3@12`);
  }, 60_000);

  it('prints its help from the installation', async () => {
    const { stdout } = await exec(join(installDir, 'node_modules/.bin/hangar-events'), ['--help'], { cwd: installDir, env: npmEnv() });
    expect(stdout).toContain('Usage: hangar-events');
    expect(stdout).toContain('tail');
    // The page the build made, as the fast path prints it.
    const pages = JSON.parse(readFileSync(join(installDir, 'node_modules/hangar-events/dist/cli/help-pages.json'), 'utf8')) as { pages: Record<string, string> };
    expect(stdout).toBe(pages.pages['']);
  }, 60_000);

  it('serves from the installation, and a tail from it receives 3 events', async () => {
    const bin = join(installDir, 'node_modules/.bin/hangar-events');
    const serve = spawn(bin, ['serve', '--port', '0', '--seed', '3', '--rate', '20'], { cwd: installDir, env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(serve);
    const url = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      serve.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const match = /listening on (ws:\/\/\S+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      serve.on('close', (code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
    });
    const { stdout } = await exec(bin, ['tail', '-n', '3', '--timeout', '60s', url], { cwd: installDir, env: npmEnv(), timeout: 90_000 });
    const events = stdout.trim().split('\n').map((line) => JSON.parse(line) as { event_type: unknown; event_id: unknown });
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(typeof event.event_type).toBe('string');
      expect(typeof event.event_id).toBe('string');
    }
    const exited = new Promise<number | null>((resolve) => serve.once('close', (code) => resolve(code)));
    serve.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 120_000);
});
