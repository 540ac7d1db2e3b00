import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, ConnectionError } from '../../src/errors.js';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer } from '../../src/server/server.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { useGatewayTails } from '../helpers/run-tail.js';
import { createTestIO } from '../helpers/test-io.js';

const { gateway, tail } = useGatewayTails();
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('credentials as Hangar has them', () => {
  it('--api-key-header sends the key in the header the gateway is configured to read', async () => {
    const g = await gateway({ apiKey: 'mcp_abc', apiKeyHeader: 'x-hangar-key', mcpServers: [] });
    const t = tail([g.url, '-o', 'ndjson', '-q', '--api-key-header', 'X-Hangar-Key', '-k', 'mcp_abc']);
    const conn = await g.waitForAttached(1);
    expect(conn.headers['x-hangar-key']).toBe('mcp_abc');
    expect(conn.headers['x-api-key']).toBeUndefined();
    g.publish(gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math', duration_ms: 2 }));
    await t.waitFor('stdout', /HealthCheckPassed/);

    // Without it the same key in X-API-Key is refused, and the advice names the flag.
    const refused = tail([g.url, '-o', 'ndjson', '-q', '-k', 'mcp_abc']);
    await expect(refused.done).rejects.toBeInstanceOf(AuthError);
    await expect(refused.done).rejects.toThrow(/--api-key-header if the gateway reads keys from another header/);
    expect(refused.io.stderr.text() + refused.io.stdout.text()).not.toContain('mcp_abc');
  });

  it('serve reads keys from --api-key-header too, and accepts ?token= on the stream; the token is never shown', async () => {
    const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0, apiKeys: ['mcp_s3cret'], apiKeyHeader: 'X-Hangar-Key' }, createTestIO());
    servers.push(server);
    const viaHeader = tail([server.url, '-o', 'ndjson', '--api-key-header', 'X-Hangar-Key', '-k', 'mcp_s3cret']);
    await viaHeader.waitFor('stderr', /connected to/);
    const viaToken = tail([`${server.url}?token=mcp_s3cret`, '-o', 'ndjson']);
    await viaToken.waitFor('stderr', /connected to/);
    server.hub.publish({ event_type: 'HealthCheckPassed', mcp_server_id: 'math', duration_ms: 2 });
    await viaHeader.waitFor('stdout', /HealthCheckPassed/);
    await viaToken.waitFor('stdout', /HealthCheckPassed/);
    await viaToken.interrupt();
    expect(viaToken.io.stderr.text()).not.toContain('mcp_s3cret');
    const wrongHeader = tail([server.url, '-o', 'ndjson', '-k', 'mcp_s3cret']);
    await expect(wrongHeader.done).rejects.toBeInstanceOf(AuthError);
  });

  it('a 404 on the upgrade says the gateway may lack WebSocket support, and what to check', async () => {
    const g = await gateway();
    const t = tail([g.url.replace('/api/ws/events', '/api/ws/events-not-here'), '-o', 'ndjson', '-q']);
    await expect(t.done).rejects.toBeInstanceOf(ConnectionError);
    await expect(t.done).rejects.toThrow(/HTTP 404.*no WebSocket support installed.*GET \/health.*pip install websockets/);
  });
});
