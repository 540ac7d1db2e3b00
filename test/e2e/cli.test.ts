import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/spawn.js';

describe('hangar-events binary', () => {
  it('prints its version and exits 0', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
  it('suggests the closest command for a typo and exits 2', async () => {
    const result = await runCli(['tial']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Did you mean tail?');
    expect(result.stdout).toBe('');
  });
  it('with no command: the usage on stderr and exit 2 (a usage error), not 0 or 1', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Usage: hangar-events \[options\] \[command\]/);
    // Asked for, help is data: stdout and exit 0.
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: hangar-events/);
  });
  it('every error starts with the same prefix, whether commander or a command found it', async () => {
    const unknown = await runCli(['tail', '--bogus']);
    const missing = await runCli(['tail', '-n']);
    const value = await runCli(['tail', '-o', 'yaml']);
    for (const result of [unknown, missing, value]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^hangar-events: /);
      expect(result.stderr).not.toMatch(/^error: /m);
    }
    expect(unknown.stderr).toContain("hangar-events: unknown option '--bogus'");
  });
});
