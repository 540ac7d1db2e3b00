import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { completeInBash, completeInFish, completeInZsh, writeScript } from '../helpers/shell-completion.js';
import { BIN, runCli } from '../helpers/spawn.js';

/**
 * `--context <TAB>` completes the saved context names, asked of the real binary at completion time
 * (`context list --names`), in bash, zsh and fish, with the scripts the binary itself prints.
 */

let dir: string;
const saved = { PATH: process.env.PATH, HANGAR_CONFIG: process.env.HANGAR_CONFIG };
const scripts: Array<{ dispose(): void }> = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-completion-contexts-'));
  const shim = join(dir, 'hangar-events');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ current: 'prod', contexts: { prod: { url: 'ws://gw:8000' }, staging: { url: 'ws://stage:8000' }, 'stage-eu': { url: 'ws://eu:8000' } } }), { mode: 0o600 });
  // The shells the helpers spawn inherit this process's environment: the shim first on PATH, this config.
  process.env.PATH = `${dir}:${process.env.PATH ?? ''}`;
  process.env.HANGAR_CONFIG = config;
});

afterAll(() => {
  process.env.PATH = saved.PATH;
  if (saved.HANGAR_CONFIG === undefined) delete process.env.HANGAR_CONFIG;
  else process.env.HANGAR_CONFIG = saved.HANGAR_CONFIG;
  for (const script of scripts.splice(0)) script.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function scriptOf(shell: string, name: string): Promise<string> {
  const result = await runCli(['completion', shell]);
  expect(result.code).toBe(0);
  const file = writeScript(result.stdout, name);
  scripts.push(file);
  return file.path;
}

requireProgram('bash').it('context list --names prints the names, and bash completes --context from them', async () => {
  const names = await runCli(['context', 'list', '--names'], { env: { HANGAR_CONFIG: process.env.HANGAR_CONFIG! } });
  expect(names.stdout).toBe('prod\nstaging\nstage-eu\n');
  const path = await scriptOf('bash', 'hangar-events.bash');
  expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'tail', '--context', 'sta'])).toEqual(['staging', 'stage-eu']);
  expect(await completeInBash(path, '_hangar_events', ['hangar-events', 'approvals', '--context', 'p'])).toEqual(['prod']);
});

requireProgram('zsh').it('zsh completes --context from the saved names', async () => {
  const path = await scriptOf('zsh', '_hangar-events');
  expect((await completeInZsh(path, 'hangar-events tail --context sta')).sort()).toEqual(['stage-eu', 'staging']);
}, 60_000);

requireProgram('fish').it('fish completes --context from the saved names', async () => {
  const path = await scriptOf('fish', 'hangar-events.fish');
  expect((await completeInFish(path, 'hangar-events tail --context ')).sort()).toEqual(['prod', 'stage-eu', 'staging']);
});
