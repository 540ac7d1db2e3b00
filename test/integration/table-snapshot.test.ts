import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer } from '../../src/server/server.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { useGatewayTails } from '../helpers/run-tail.js';
import { createTestIO } from '../helpers/test-io.js';

const { gateway, tail } = useGatewayTails();
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const terminal = { stdoutTTY: true, stdinTTY: false, stderrTTY: true, columns: 140, rows: 30, env: { TERM: 'xterm', NO_COLOR: '1' } };

const FLEET = [
  { mcp_server_id: 'math', state: 'ready', mode: 'subprocess', alive: true, tools_count: 6, health_status: 'healthy', tools_predefined: false },
  { mcp_server_id: 'github', state: 'degraded', mode: 'docker', alive: true, tools_count: 26, health_status: 'degraded', tools_predefined: false },
  { mcp_server_id: 'postgres', state: 'cold', mode: 'docker', alive: false, tools_count: 0, health_status: 'healthy', tools_predefined: true, description: 'orders database' },
];

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.length > 0 ? JSON.parse(text) : undefined }));
    })
      .on('error', reject)
      .end();
  });
}

describe('tail -o table seeds itself from the fleet snapshot', () => {
  it('shows every server of GET /api/mcp_servers before the first event, asked with the same credentials after subscribing', async () => {
    const g = await gateway({ apiKey: 'mcp_k3y', mcpServers: FLEET });
    const t = tail([g.url, '-o', 'table', '-k', 'mcp_k3y', '--sort', 'server'], terminal);
    await g.waitForAttached(1);
    await t.waitForFrame(/postgres +cold/);
    const screen = t.io.stdout.text();
    expect(screen).toMatch(/github +degraded +- +fail x1 +0 +0 +- +- +- +26 /);
    expect(screen).toMatch(/math +ready +- +ok +0 +0 +- +- +- +6 /);
    expect(screen).toContain('0 events');
    expect(g.snapshotRequests).toHaveLength(1);
    expect(g.snapshotRequests[0]!.headers['x-api-key']).toBe('mcp_k3y');
    expect(g.snapshotRequests[0]!.subscribedBefore).toBe(true);
    // Events are newer than the snapshot: they win.
    g.publish(gatewayEvent('McpServerStateChanged', { mcp_server_id: 'github', old_state: 'degraded', new_state: 'initializing' }));
    await t.waitForFrame(/github +initializing/);
  });

  it('says in the footer when the gateway has no snapshot, and fills from events as before', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'table'], terminal);
    await g.waitForAttached(1);
    await t.waitForFrame(/fleet snapshot unavailable: GET \/api\/mcp_servers answered HTTP 404/);
    g.publish(gatewayEvent('McpServerStarted', { mcp_server_id: 'math', mode: 'subprocess', tools_count: 4, startup_duration_ms: 10 }));
    await t.waitForFrame(/math +ready/);
  });
});

describe('serve answers GET /api/mcp_servers in the gateway shape', () => {
  it('from the events it has kept, with the same credentials as the stream, ?state= filtering', async () => {
    const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0, apiKeys: ['mcp_s3rve'] }, createTestIO());
    servers.push(server);
    const publish = (type: string, fields: Record<string, unknown>) => server.hub.publish({ event_type: type, ...fields });
    publish('McpServerRegistered', { mcp_server_id: 'math', source: 'config', mode: 'subprocess' });
    publish('McpServerRegistered', { mcp_server_id: 'github', source: 'config', mode: 'docker' });
    publish('McpServerStarted', { mcp_server_id: 'math', mode: 'subprocess', tools_count: 6, startup_duration_ms: 300 });
    publish('McpServerStateChanged', { mcp_server_id: 'math', old_state: 'initializing', new_state: 'ready' });
    publish('HealthCheckFailed', { mcp_server_id: 'github', consecutive_failures: 1, error_message: 'timeout' });
    publish('McpServerDiscovered', { mcp_server_name: 'sqlite', source_type: 'filesystem', mode: 'subprocess', fingerprint: 'f' });
    publish('McpServerRegistered', { mcp_server_id: 'gone', source: 'api', mode: 'remote' });
    publish('McpServerDeregistered', { mcp_server_id: 'gone', source: 'api' });
    const base = server.url.replace('ws://', 'http://').replace('/api/ws/events', '/api/mcp_servers');
    expect((await get(base)).status).toBe(401);
    const all = await get(base, { 'X-API-Key': 'mcp_s3rve' });
    expect(all).toEqual({
      status: 200,
      body: {
        mcp_servers: [
          { mcp_server_id: 'math', state: 'ready', mode: 'subprocess', alive: true, tools_count: 6, health_status: 'healthy', tools_predefined: false },
          { mcp_server_id: 'github', state: 'cold', mode: 'docker', alive: false, tools_count: 0, health_status: 'degraded', tools_predefined: false },
        ],
      },
    });
    const ready = await get(`${base}?state=ready`, { Authorization: 'Bearer mcp_s3rve' });
    expect((ready.body as { mcp_servers: Array<{ mcp_server_id: string }> }).mcp_servers.map((s) => s.mcp_server_id)).toEqual(['math']);
  });
});
