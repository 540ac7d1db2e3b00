import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { EVENT_CATALOG, EVENT_CATEGORIES } from '../../src/protocol/catalog.js';
import { killAll, runCli } from '../helpers/spawn.js';
import { createTestIO } from '../helpers/test-io.js';

afterEach(killAll);

describe('hangar-events types (the real binary)', () => {
  it('prints every known type grouped by category, with fields, on stdout', async () => {
    const result = await runCli(['types']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    // Categories appear in display order, each as its own header line.
    const headers = lines.filter((l) => (EVENT_CATEGORIES as readonly string[]).includes(l));
    expect(headers).toEqual([...EVENT_CATEGORIES]);
    for (const info of EVENT_CATALOG) {
      const index = lines.findIndex((l) => l.startsWith(`  ${info.name} `));
      expect(index, info.name).toBeGreaterThan(0);
      expect(lines[index]).toContain(info.description);
      expect(lines[index + 1]!.trim()).toBe(`fields: ${info.fields.join(', ')}`);
    }
    const health = lines.indexOf('health');
    expect(lines.slice(health, health + 5)).toEqual([
      'health',
      '  HealthCheckPassed           a periodic health check succeeded',
      '                              fields: mcp_server_id, duration_ms',
      '  HealthCheckFailed           a periodic health check failed',
      '                              fields: mcp_server_id, consecutive_failures, error_message',
    ]);
    expect(result.stdout).not.toContain('\x1b');
  });
  it('prints JSON for machines with --json', async () => {
    const result = await runCli(['types', '--json']);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{ name: string; category: string; fields: string[]; description: string; alias_of?: string }>;
    expect(rows.map((r) => r.name)).toEqual(EVENT_CATALOG.map((i) => i.name));
    expect(rows.find((r) => r.name === 'ToolInvocationFailed')).toEqual({
      name: 'ToolInvocationFailed',
      category: 'tools',
      fields: ['mcp_server_id', 'tool_name', 'correlation_id', 'duration_ms', 'error_message', 'error_type', 'identity_context'],
      description: 'a tool call failed',
    });
    expect(rows.find((r) => r.name === 'ProviderStarted')?.alias_of).toBe('McpServerStarted');
  });
  it('filters by names and shell globs, and prints bare names with --names', async () => {
    const result = await runCli(['types', '--names', 'Health*', '*Failed,McpServerStarted']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('McpServerStarted\nHealthCheckPassed\nHealthCheckFailed\nToolInvocationFailed\n');
  });
  it('says on stderr when nothing matches, with a did-you-mean, and exits 1', async () => {
    const result = await runCli(['types', 'HealthCheckFaild']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("no known event type matches 'HealthCheckFaild'. Did you mean HealthCheckFailed");
  });
  it('refuses --json with --names and a bad --color as usage errors (exit 2)', async () => {
    const both = await runCli(['types', '--json', '--names']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--json and --names cannot be combined');
    const color = await runCli(['types', '--color', 'sometimes']);
    expect(color.code).toBe(2);
    expect(color.stderr).toContain("invalid --color 'sometimes': expected one of auto, always, never");
  });
});

describe('hangar-events types (in process)', () => {
  it('colors names by severity on a terminal, and not with --no-color or NO_COLOR', async () => {
    const tty = createTestIO({ stdoutTTY: true });
    expect(await main(['types', 'HealthCheck*'], tty)).toBe(0);
    expect(tty.stdout.text()).toContain('\x1b[1mhealth\x1b[22m\n  \x1b[32mHealthCheckPassed\x1b[39m  ');
    expect(tty.stdout.text()).toContain('  \x1b[31mHealthCheckFailed\x1b[39m  ');

    const noColor = createTestIO({ stdoutTTY: true });
    expect(await main(['types', '--no-color', 'HealthCheck*'], noColor)).toBe(0);
    expect(noColor.stdout.text()).not.toContain('\x1b');

    const env = createTestIO({ stdoutTTY: true, env: { NO_COLOR: '1' } });
    expect(await main(['types', 'HealthCheck*'], env)).toBe(0);
    expect(env.stdout.text()).not.toContain('\x1b');

    const forced = createTestIO({ stdoutTTY: false });
    expect(await main(['types', '--color', 'always', 'HealthCheckFailed'], forced)).toBe(0);
    expect(forced.stdout.text()).toContain('\x1b[31mHealthCheckFailed\x1b[39m');
  });
});
