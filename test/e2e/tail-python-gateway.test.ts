import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { killAll, runCli } from '../helpers/spawn.js';
import { commandFor, requireProgram } from '../helpers/require-program.js';

/**
 * Interop with a gateway-shaped server no one here wrote the WebSocket stack
 * of: Python's `websockets` (as the real gateway runs on Python). It refuses a
 * wrong key with 403 at the handshake, waits for the first message, acks it,
 * sends json.dumps-spaced events, pings and expects a pong.
 */

const SERVER = String.raw`
import asyncio, http, json, sys, websockets
KEY = sys.argv[1]
async def process_request(path, headers):
    if path.split('?')[0] != '/api/ws/events':
        return (http.HTTPStatus.NOT_FOUND, [], b'')
    if headers.get('X-API-Key') != KEY:
        return (http.HTTPStatus.FORBIDDEN, [], b'')
async def handler(ws, path):
    first = await asyncio.wait_for(ws.recv(), 5)
    msg = json.loads(first)
    print('FIRST ' + first, flush=True)
    await ws.send(json.dumps({'type': 'subscribed', 'event_types': msg.get('event_types', []), 'mcp_server_ids': msg.get('mcp_server_ids', [])}))
    for i in range(3):
        await ws.send(json.dumps({'event_type': 'ToolInvocationCompleted', 'event_id': 'e%d' % i, 'occurred_at': 1795727378.4531293 + i, 'mcp_server_id': 'math', 'tool_name': 'add', 'duration_ms': 12.5}))
    await ws.send(json.dumps({'type': 'ping'}))
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if m.get('type') == 'pong':
            print('PONG', flush=True)
            break
    await ws.send(json.dumps({'event_type': 'McpServerStopped', 'timestamp': '2026-11-26T10:15:30.123456', 'mcp_server_id': 'math', 'reason': 'd\u00fcne'}))
    await asyncio.sleep(30)
async def main():
    async with websockets.serve(handler, '127.0.0.1', 0, process_request=process_request) as server:
        print('PORT %d' % server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
`;

let python: ChildProcessWithoutNullStreams | undefined;

afterEach(async () => {
  await killAll();
  if (python && python.exitCode === null) {
    const closed = new Promise((resolve) => python!.once('close', resolve));
    python.kill('SIGKILL');
    await closed;
  }
  python = undefined;
});

function startPython(): Promise<{ port: number; output: () => string }> {
  python = spawn(commandFor('python3-websockets'), ['-c', SERVER, 'the-key']);
  let out = '';
  python.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  python.stderr.resume();
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = /PORT (\d+)/.exec(out);
      if (match) resolve({ port: Number(match[1]), output: () => out });
    };
    python!.stdout.on('data', check);
    python!.once('close', () => reject(new Error(`python exited: ${out}`)));
  });
}

requireProgram('python3-websockets').describe('tail against a Python websockets gateway', () => {
  it('subscribes first, answers the ping, and writes the frames exactly as json.dumps made them', async () => {
    const { port, output } = await startPython();
    const keyFile = join(mkdtempSync(join(tmpdir(), 'tail-py-')), 'key');
    writeFileSync(keyFile, 'the-key\n');
    const result = await runCli(['tail', `127.0.0.1:${port}`, '-n', '4', '--timeout', '20s', '-s', 'math', '--api-key-file', keyFile], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('{"event_type": "ToolInvocationCompleted", "event_id": "e0", "occurred_at": 1795727378.4531293, "mcp_server_id": "math", "tool_name": "add", "duration_ms": 12.5}');
    expect(lines[3]).toBe('{"event_type": "McpServerStopped", "timestamp": "2026-11-26T10:15:30.123456", "mcp_server_id": "math", "reason": "d\\u00fcne"}');
    // No mcp_server_ids: the gateway would match them against mcp_server_id only; tail filters -s itself.
    expect(output()).toContain('FIRST {"type":"subscribe","replay":{"last":0}}');
    expect(output()).toContain('PONG');
  });

  it('a refused key: exit 4 at once', async () => {
    const { port } = await startPython();
    const result = await runCli(['tail', `http://127.0.0.1:${port}`, '-k', 'wrong-key']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/HTTP 403 Forbidden/);
    expect(result.stderr).not.toContain('wrong-key');
  });
});
