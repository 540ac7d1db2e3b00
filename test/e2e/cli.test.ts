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
});
