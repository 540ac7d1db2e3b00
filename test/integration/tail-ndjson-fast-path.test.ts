import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { useFrameServers, type TestFrame } from '../helpers/frame-server.js';
import { startRealClockTail, startTail, type InProcessTail } from '../helpers/run-tail.js';
import { createRealClockIO, type RealClockTestIO } from '../helpers/test-io.js';
import { runCli } from '../helpers/spawn.js';

/**
 * tail -o ndjson passes plain event frames from the socket to stdout as bytes
 * (protocol/plain-event.ts) and everything else through JSON.parse. Whatever
 * path a frame takes, stdout is the same, byte for byte, and a malformed
 * frame never reaches it. --stats needs every event's fields, so it takes
 * the full path for every frame: the reference here.
 */

const frameServer = useFrameServers();
const rawServers = new Set<Server>();
const rawSockets = new Set<Socket>();
const serves: RunningServer[] = [];
const tails: InProcessTail<RealClockTestIO>[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const t of tails.splice(0)) {
    t.io.emitSignal('SIGINT');
    await t.done.catch(() => {});
  }
  for (const s of serves.splice(0)) await s.close();
  for (const socket of rawSockets) socket.destroy();
  rawSockets.clear();
  for (const server of rawServers) {
    await new Promise((resolve) => server.close(resolve));
  }
  rawServers.clear();
});

/** Valid events, plain or not; `seq` says which one a line is. */
const valid: Array<string | Buffer> = [
  JSON.stringify({ event_type: 'ToolInvocationCompleted', event_id: 'id-1', occurred_at: 1796115592.392, mcp_server_id: 'math', seq: 1, duration_ms: 2.004, identity_context: null }),
  '{"event_type": "HealthCheckPassed", "event_id": "id-2", "mcp_server_id": "math", "seq": 2, "ok": true}',
  '{"event_id":"id-3","seq":3,"event_type":"McpServerStarted","tags":["a",{"b":[1,-2.5e3,false]}]}',
  '{"event_type":"X","seq":4,"text":"caf\u00e9 \\u00e9 \\"q\\" \\\\ \\/ \\n\\t \ud83d\ude00","nested":{"event_type":1,"k\\u0065y":null}}',
  '{"event_type":"X",\r\n  "seq":5}',
  '{"event_type":"X","seq":6,"text":"line\u2028separator\u2029paragraph"}',
  '  {"event_type":"X","seq":7}\n',
  '{"event_type":"Y","event_type":"X","seq":8}',
  '{"event_type":"X","seq":9,"event_id":42}',
  '{"event_type":"X","seq":10,"event_id":"id\\u002d10"}',
  '{\t"event_type"\t:\t"X"\t,\t"seq"\t:\t11\t}',
  JSON.stringify({ event_type: 'X', seq: 12, big: 'x'.repeat(70_000) }),
];

/** Frames that must be reported and never printed. */
const malformed: TestFrame[] = [
  { data: '{"event_type":"X","seq":-1,' },
  { data: '{"event_type":"X","seq":-2,"s":"x}' },
  { data: '{"event_type":"","seq":-3}' },
  { data: '{"event_type":"X","seq":-4,"s":"a\u0001b"}' },
  { data: '{"event_type":"X","seq":-5,}' },
  { data: '[{"event_type":"X","seq":-6}]' },
  { data: Buffer.concat([Buffer.from('{"event_type":"X","seq":-7,"s":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]) },
  { data: '{"event_type":"X","seq":-8}{"event_type":"X","seq":-9}' },
  { data: '{"event_type":"X","seq":-10,"n":01}' },
  { data: Buffer.from('{"event_type":"X","seq":-11}'), binary: true },
];


/** An unmasked server frame around `payload`. */
function serverFrame(opcode: number, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = body.length < 126 ? Buffer.from([0x80 | opcode, body.length]) : Buffer.from([0x80 | opcode, 126, body.length >> 8, body.length & 0xff]);
  if (body.length >= 65536) {
    const long = Buffer.alloc(10);
    long[0] = 0x80 | opcode;
    long[1] = 127;
    long.writeUInt32BE(body.length, 6);
    return Buffer.concat([long, body]);
  }
  return Buffer.concat([header, body]);
}

/**
 * The same frames from a bare TCP server that writes them in pieces of
 * `pieces()` bytes (one write, then a turn of its loop), so frames and
 * headers are cut across the client's socket reads, with a ping among them:
 * the in-place reader puts cut frames together and hands the ping and the
 * binary frame to ws in the middle of the stream.
 */
async function chunkingServer(pieces: () => number): Promise<string> {
  const script: Buffer[] = [serverFrame(1, '{"type":"subscribed","event_types":[],"mcp_server_ids":[]}')];
  for (let i = 0; i < Math.max(valid.length, malformed.length); i++) {
    if (i === 3) script.push(serverFrame(9, 'are you there'));
    if (i < malformed.length) script.push(serverFrame(malformed[i]!.binary ? 2 : 1, malformed[i]!.data));
    if (i < valid.length) script.push(serverFrame(1, valid[i]!));
  }
  const bytes = Buffer.concat(script);
  const server = createServer((socket) => {
    rawSockets.add(socket);
    socket.on('error', () => {});
    let request = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk) => {
      if (upgraded) {
        // A masked close frame from the client (0x88): the handshake is done, the server closes TCP.
        if (chunk[0] === 0x88) socket.end(Buffer.from([0x88, 0x00]));
        return;
      }
      request = Buffer.concat([request, chunk]);
      const end = request.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = true;
      const key = /sec-websocket-key: *(\S+)/i.exec(request.subarray(0, end).toString())![1]!;
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      void (async () => {
        for (let at = 0; at < bytes.length && !socket.destroyed; ) {
          const size = pieces();
          socket.write(bytes.subarray(at, at + size));
          at += size;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
    });
  });
  rawServers.add(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/ws/events`;
}

async function runTail(url: string, extra: string[]): Promise<{ stdout: string; stderr: string }> {
  const tail = startTail([url, '-o', 'ndjson', '-n', String(valid.length), '--no-reconnect', ...extra]);
  await tail.done;
  return { stdout: tail.io.stdout.text(), stderr: tail.io.stderr.text() };
}

describe('tail -o ndjson: the byte path and the parsed path', () => {
  it('print the same bytes for every valid frame, and neither prints a malformed one', async () => {
    const url = await frameServer(valid, malformed);
    const fast = await runTail(url, []);
    const full = await runTail(url, ['--stats']);
    expect(fast.stdout).toBe(full.stdout);
    const lines = fast.stdout.split('\n');
    expect(lines.pop()).toBe('');
    // One line per valid event, in order, each a JSON object with an event_type: what jq needs.
    expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual(valid.map((_, i) => i + 1));
    for (const line of lines) expect(typeof (JSON.parse(line) as { event_type: unknown }).event_type).toBe('string');
    // Plain frames went out exactly as sent; the others as the full path writes them (one line each).
    expect(lines[0]).toBe(valid[0]);
    expect(lines[1]).toBe(valid[1]);
    expect(lines[4]).toBe('{"event_type":"X",   "seq":5}');
    // U+2028/U+2029 inside a string are plain characters: kept byte for byte (issue 12).
    expect(lines[5]).toBe(valid[5]);
    expect(lines[6]).toBe('{"event_type":"X","seq":7}');
    // Every malformed frame was reported on stderr, on both paths.
    for (const { stderr } of [fast, full]) expect(stderr.match(/ignored a bad frame/g)).toHaveLength(malformed.length);
    expect(full.stderr).toMatch(new RegExp(`bad frames: ${malformed.length}\\b`));
  });

  it('print the same bytes without WebAssembly (node --jitless: the JavaScript scanner alone)', async () => {
    const url = await frameServer(valid, malformed);
    const fast = await runTail(url, []);
    const jitless = await runCli(['tail', url, '-o', 'ndjson', '-n', String(valid.length), '--no-reconnect'], { env: { NODE_OPTIONS: '--jitless' } });
    expect(jitless.code).toBe(0);
    expect(jitless.stdout).toBe(fast.stdout);
    expect(jitless.stderr.match(/ignored a bad frame/g)).toHaveLength(malformed.length);
  });

  it('stop at -n exactly inside a run of plain frames read at once', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ event_type: 'ToolInvocationCompleted', event_id: `id-${i + 1}`, seq: i + 1, mcp_server_id: 'math' }));
    const url = await frameServer(many, []);
    for (const count of [1, 777, 2999]) {
      const t = startTail([url, '-o', 'ndjson', '-n', String(count), '--no-reconnect']);
      await t.done;
      expect(t.io.stdout.text()).toBe(many.slice(0, count).map((line) => `${line}\n`).join(''));
    }
  });

  it('print the same bytes when frames are cut across socket reads at every place, with a ping among them', async () => {
    const reference = await runTail(await frameServer(valid, malformed), ['--stats']);
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (const pieces of [() => 7, () => 1 + Math.floor(random() * 400), () => 1 + Math.floor(random() * 5000)]) {
      const url = await chunkingServer(pieces);
      const fast = await runTail(url, []);
      const full = await runTail(url, ['--stats']);
      expect(fast.stdout).toBe(reference.stdout);
      expect(full.stdout).toBe(reference.stdout);
      for (const { stderr } of [fast, full]) expect(stderr.match(/ignored a bad frame/g)).toHaveLength(malformed.length);
    }
  });
});

/** serve in this process, on the real clock: its keep-alive and chaos disconnects run by themselves against real sockets. */
async function serve(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0, ...options }, createRealClockIO());
  serves.push(server);
  return server;
}

/** On the real clock, as serve here: the reconnects follow serve's real chaos disconnects. */
function tail(args: string[]): InProcessTail<RealClockTestIO> {
  const t = startRealClockTail(args);
  tails.push(t);
  return t;
}

const seqs = (t: InProcessTail<RealClockTestIO>) => t.io.stdout.lines().map((line) => (JSON.parse(line) as { seq: number }).seq);

describe('tail -o ndjson on the byte path: resume and de-duplication stay exact', () => {
  it('resumes with replay.after across disconnects: every event exactly once', async () => {
    const server = await serve({ chaosDisconnectMs: 150 });
    const t = tail([server.url, '-o', 'ndjson']);
    await t.waitFor('stderr', /connected to/);
    let seq = 0;
    const total = 150;
    timers.push(
      setInterval(() => {
        if (seq < total) server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq: ++seq });
      }, 5),
    );
    await t.waitFor('stdout', new RegExp(`"seq":${total}\\b`), 30_000);
    await t.interrupt();
    expect(t.io.stderr.text()).toMatch(/reconnecting in/);
    expect(seqs(t)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(t.io.stderr.text()).not.toMatch(/gap/);
  });

  it('shows each event_id once when two servers carry the same events', async () => {
    const a = await serve();
    const b = await serve();
    const t = tail([a.url, b.url, '-o', 'ndjson']);
    await t.waitFor('stderr', /connected to .*\n(.*\n)*.*connected to/);
    const total = 200;
    for (let seq = 1; seq <= total; seq++) {
      const event = { event_type: 'ToolInvocationCompleted', event_id: `id-${seq}`, occurred_at: 1796115592 + seq / 1000, mcp_server_id: 'math', seq };
      // The replicas' order differs, as on a real fleet.
      if (seq % 2) a.hub.publish(event), b.hub.publish(event);
      else b.hub.publish(event), a.hub.publish(event);
    }
    await t.waitFor('stdout', new RegExp(`"seq":${total}\\b`), 30_000);
    await t.interrupt();
    const shown = seqs(t);
    expect(new Set(shown).size).toBe(shown.length);
    expect([...shown].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });
});
