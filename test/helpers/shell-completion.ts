import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A completion script written to a temporary file; `dispose()` removes it. */
export function writeScript(script: string, name: string): { path: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-completion-'));
  const path = join(dir, name);
  writeFileSync(path, script);
  return { path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Sources a bash completion script in a real `bash`, sets COMP_WORDS to
 * `words` (the last one is the word being completed, as bash splits it) and
 * calls the completion function; returns COMPREPLY.
 */
export async function completeInBash(scriptPath: string, fn: string, words: readonly string[]): Promise<string[]> {
  const driver = `source "$1" || exit 9; fn="$2"; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}; "$fn" || exit 8; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await exec('bash', ['--norc', '--noprofile', '-c', driver, 'bash', scriptPath, fn, ...words]);
  return stdout.split('\n').filter((line) => line.length > 0);
}

/** Runs `fish` with the script loaded and asks it to complete `commandLine` (fish's own `complete -C`). */
export async function completeInFish(scriptPath: string, commandLine: string): Promise<string[]> {
  const { stdout } = await exec('fish', ['--no-config', '-c', 'source $argv[1]; and complete -C $argv[2]', scriptPath, commandLine]);
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t')[0]!);
}

/** Exit status and stderr of a command (for syntax checks with `bash -n`, `zsh -n`, `fish --no-execute`). */
export async function check(command: string, args: readonly string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await exec(command, [...args]);
    return { code: 0, stderr };
  } catch (error) {
    const failure = error as { code?: number | string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : -1, stderr: `${failure.stderr ?? ''}${String(error)}` };
  }
}

const ZSH_CAPTURE = fileURLToPath(new URL('./zsh-capture.zsh', import.meta.url));

/** Runs zsh's completion system (compinit, the script, a real completion widget in a zpty) on `commandLine`; returns the matches. */
export async function completeInZsh(scriptPath: string, commandLine: string): Promise<string[]> {
  const { stdout } = await exec('zsh', ['-f', ZSH_CAPTURE, scriptPath, commandLine], { timeout: 30_000 });
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
