import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { EVENT_CATALOG, EVENT_CATEGORIES } from '../../src/protocol/catalog.js';
import { killAll, runCli } from '../helpers/spawn.js';
import { createTestIO } from '../helpers/test-io.js';

afterEach(killAll);

describe('hangar-events types (the real binary)', () => {
  it('lists every type by category with its fields, marks the never-emitted ones and the deprecated aliases', async () => {
    const result = await runCli(['types']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    // Categories appear in display order, each as its own header line, then the aliases.
    const headers = lines.filter((l) => (EVENT_CATEGORIES as readonly string[]).includes(l) || l.startsWith('deprecated aliases'));
    expect(headers.slice(0, -1)).toEqual([...EVENT_CATEGORIES]);
    expect(headers.at(-1)).toMatch(/^deprecated aliases \(written only by gateways from before the 2026-04 rename/);
    for (const info of EVENT_CATALOG) {
      const line = lines.find((l) => l.startsWith(`  ${info.name} `));
      expect(line, info.name).toBeDefined();
      if (info.aliasOf !== undefined) expect(line).toMatch(new RegExp(`\\[deprecated\\] now ${info.aliasOf}$`));
      else expect(line).toContain(info.fields.map((f) => f.name).join(', '));
      if (!info.emitted && info.aliasOf === undefined) expect(line).toContain(`[never emitted: ${info.notEmittedBecause}]`);
      if (info.emitted) expect(line).not.toContain('[never emitted');
    }
    const health = lines.indexOf('health');
    expect(lines.slice(health, health + 4).map((l) => l.replace(/ +/g, ' '))).toEqual([
      'health',
      ' HealthCheckFailed mcp_server_id, consecutive_failures, error_message',
      ' HealthCheckPassed mcp_server_id, duration_ms',
      ' McpServerIdleDetected mcp_server_id, idle_duration_s, last_used_at',
    ]);
    expect(result.stdout).toContain('95 types, 85 emitted by a current gateway');
    expect(result.stdout).not.toContain('\x1b');
  });
  it('shows one type in full: every field with its Python type and default', async () => {
    const result = await runCli(['types', 'ToolApprovalRequested']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').map((l) => l.replace(/ +/g, ' '))).toEqual([
      'ToolApprovalRequested category approvals, severity security',
      'fields',
      ' approval_id str',
      ' mcp_server_id str',
      " tool_name str = ''",
      " arguments_hash str = ''",
      " channel str = ''",
      " expires_at str = ''",
      " correlation_id str = ''",
      'on every event',
      ' event_id str (uuid4)',
      ' occurred_at float (unix seconds)',
      ' produced_by str (instance id of the replica)',
      'Payloads from pre-rename producers may carry provider_id instead of mcp_server_id; --server finds both.',
      '',
    ]);
    const never = await runCli(['types', 'DiscoveryCycleCompleted']);
    expect(never.stdout).toContain('[never emitted: unused (no producer, no consumer)]');
    const alias = await runCli(['types', 'ProviderDiscovered']);
    expect(alias.stdout).toContain('[deprecated] pre-rename name of McpServerDiscovered');
    expect(alias.stdout).toMatch(/\n {2}provider_name +str\n/);
  });
  it('knows the pre-rename names of --profile legacy (types ProviderStarted) as deprecated aliases', async () => {
    const io = createTestIO();
    expect(await main(['types', 'ProviderStarted'], io)).toBe(0);
    expect(io.stdout.text()).toMatch(/^ProviderStarted {2}category lifecycle, severity success\n {2}\[deprecated\] pre-rename name of McpServerStarted/);
    expect(io.stdout.text()).toContain('provider_id');
  });

  it('prints the catalog as JSON for machines with --json', async () => {
    const result = await runCli(['types', '--json']);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => r.name)).toEqual(EVENT_CATALOG.map((i) => i.name));
    expect(rows.filter((r) => r.emitted)).toHaveLength(85);
    expect(rows.find((r) => r.name === 'ToolInvocationFailed')).toEqual({
      name: 'ToolInvocationFailed',
      category: 'invocation',
      severity: 'error',
      emitted: true,
      accepts_legacy_provider_id: true,
      fields: [
        { name: 'mcp_server_id', type: 'str' },
        { name: 'tool_name', type: 'str', default: "''" },
        { name: 'correlation_id', type: 'str', default: "''" },
        { name: 'duration_ms', type: 'float', default: '0.0' },
        { name: 'error_message', type: 'str', default: "''" },
        { name: 'error_type', type: 'str', default: "''" },
        { name: 'identity_context', type: 'dict[str, Any] | None', default: 'None' },
      ],
    });
    expect(rows.find((r) => r.name === 'ProviderRegistered')).toMatchObject({ alias_of: 'McpServerRegistered', emitted: false });
    expect(rows.find((r) => r.name === 'EgressBlocked')).toMatchObject({ emitted: false, not_emitted_because: 'reserved (consumed, no producer yet)' });
  });
  it('filters by names and shell globs, and prints bare names with --names', async () => {
    const result = await runCli(['types', '--names', 'HealthCheck*', 'ToolApproval*,McpServerStarted']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'McpServerStarted\nHealthCheckFailed\nHealthCheckPassed\nToolApprovalDenied\nToolApprovalExpired\nToolApprovalGranted\nToolApprovalRequested\n',
    );
  });
  it('says on stderr when nothing matches, with a did-you-mean, and exits 1', async () => {
    const result = await runCli(['types', 'HealthCheckFaild']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("no known event type matches 'HealthCheckFaild'. Did you mean HealthCheckFailed");
    const renamed = await runCli(['types', 'ProviderStartd']);
    expect(renamed.code).toBe(1);
    expect(renamed.stderr).toContain("no known event type matches 'ProviderStartd'.");
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
    expect(tty.stdout.text()).toContain('\x1b[1mhealth\x1b[22m\n  \x1b[31mHealthCheckFailed\x1b[39m  ');
    expect(tty.stdout.text()).toContain('  \x1b[32mHealthCheckPassed\x1b[39m  ');

    const security = createTestIO({ stdoutTTY: true });
    expect(await main(['types', 'AuthenticationFailed', 'AuthenticationSucceeded'], security)).toBe(0);
    expect(security.stdout.text()).toContain('\x1b[45m\x1b[97m\x1b[1mAuthenticationFailed\x1b[22m\x1b[39m\x1b[49m');

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
