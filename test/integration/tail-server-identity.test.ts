import { afterEach, describe, expect, it } from 'vitest';
import type { HangarEvent } from '../../src/protocol/types.js';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer } from '../../src/server/server.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { useGatewayTails } from '../helpers/run-tail.js';
import { createTestIO } from '../helpers/test-io.js';

const { gateway, tail } = useGatewayTails();
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** One event about `github` per identity field, the same about another server, a group event, and a fleet-wide one; then an end marker. */
function stream(): HangarEvent[] {
  const about = (server: string): HangarEvent[] => [
    gatewayEvent('ToolInvocationCompleted', { mcp_server_id: server, tool_name: 'search', duration_ms: 12 }),
    gatewayEvent('ProviderStarted', { provider_id: server, mode: 'subprocess', tools_count: 3, startup_duration_ms: 800 }),
    gatewayEvent('McpServerDiscovered', { mcp_server_name: server, source_type: 'docker', mode: 'docker', fingerprint: 'f1' }),
    gatewayEvent('ProviderDiscovered', { provider_name: server, source_type: 'docker', mode: 'docker', fingerprint: 'f2' }),
    gatewayEvent('ToolWithdrawn', { tenant_id: null, mcp_server: server, tool: 'search', schema_version: 1 }),
  ];
  return [
    ...about('github'),
    ...about('math'),
    gatewayEvent('GroupMemberHealthChanged', { group_id: 'pool-a', member_id: 'github', in_rotation: false, reason: 'health' }),
    gatewayEvent('AuthenticationFailed', { auth_method: 'api_key', source_ip: '10.0.0.7', reason: 'invalid key' }),
    gatewayEvent('McpServerStopped', { mcp_server_id: 'end', reason: 'shutdown' }),
  ];
}

function identities(lines: string[]): string[] {
  return lines.map((line) => {
    const e = JSON.parse(line) as Record<string, unknown>;
    const field = ['mcp_server_id', 'provider_id', 'mcp_server_name', 'provider_name', 'mcp_server', 'group_id'].find((f) => typeof e[f] === 'string');
    return `${String(e.event_type)} ${field}=${String(e[field!])}`;
  });
}

async function viaGateway(args: string[]): Promise<string[]> {
  const g = await gateway();
  const t = tail([g.url, '-o', 'ndjson', '-q', ...args, '-s', 'end']);
  await g.waitForAttached(1);
  for (const event of stream()) g.publish(event);
  await t.waitFor('stdout', /"mcp_server_id": "end"/);
  await t.interrupt();
  return t.io.stdout.lines().slice(0, -1);
}

async function viaServe(args: string[]): Promise<string[]> {
  const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0 }, createTestIO());
  servers.push(server);
  const t = tail([server.url, '-o', 'ndjson', ...args, '-s', 'end']);
  // serve attaches a connection as soon as it opens.
  await t.waitFor('stderr', /connected to/);
  for (const event of stream()) server.hub.publish(event);
  await t.waitFor('stdout', /"mcp_server_id":\s?"end"/);
  await t.interrupt();
  return t.io.stdout.lines().slice(0, -1);
}

describe('--server finds every event about a server, on serve and on a gateway alike', () => {
  it('matches mcp_server_id, provider_id, mcp_server_name, provider_name and mcp_server', async () => {
    const expected = [
      'ToolInvocationCompleted mcp_server_id=github',
      'ProviderStarted provider_id=github',
      'McpServerDiscovered mcp_server_name=github',
      'ProviderDiscovered provider_name=github',
      'ToolWithdrawn mcp_server=github',
    ];
    const gatewayLines = await viaGateway(['--server', 'github']);
    const serveLines = await viaServe(['--server', 'github']);
    expect(identities(gatewayLines)).toEqual(expected);
    expect(identities(serveLines)).toEqual(expected);
  });
  it('--group finds group events; with --server, events about either', async () => {
    expect(identities(await viaGateway(['--group', 'pool-a']))).toEqual(['GroupMemberHealthChanged group_id=pool-a']);
    expect(identities(await viaServe(['--group', 'pool-a']))).toEqual(['GroupMemberHealthChanged group_id=pool-a']);
    const both = ['ToolWithdrawn mcp_server=math', 'GroupMemberHealthChanged group_id=pool-a'];
    expect(identities(await viaGateway(['--group', 'pool-a', '--server', 'math', '-t', 'ToolWithdrawn,GroupMemberHealthChanged,McpServerStopped']))).toEqual(both);
    expect(identities(await viaServe(['--group', 'pool-a', '--server', 'math', '-t', 'ToolWithdrawn,GroupMemberHealthChanged,McpServerStopped']))).toEqual(both);
  });
  it('--history on serve replays the last events about the server, whichever field names it', async () => {
    const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0 }, createTestIO());
    servers.push(server);
    for (const event of stream()) server.hub.publish(event);
    const t = tail([server.url, '-o', 'ndjson', '-q', '--history', '3', '--no-follow', '--server', 'github']);
    await t.done;
    expect(identities(t.io.stdout.lines())).toEqual(['McpServerDiscovered mcp_server_name=github', 'ProviderDiscovered provider_name=github', 'ToolWithdrawn mcp_server=github']);
  });
});
