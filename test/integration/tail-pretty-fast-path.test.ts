import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PlainEventFrame } from '../../src/feed/messages.js';
import { createColorScheme } from '../../src/io/color.js';
import type { OutputStream } from '../../src/io/io.js';
import { createPlainFrameScanner } from '../../src/protocol/plain-scan-wasm.js';
import { createFleetSimulator } from '../../src/sources/fleet/simulator.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import { formatEventLine } from '../../src/render/line.js';
import { LineSink } from '../../src/tail/sinks/line-sink.js';
import type { StatusReporter } from '../../src/tail/status.js';
import { useFrameServers, type TestFrame } from '../helpers/frame-server.js';
import { startTail } from '../helpers/run-tail.js';
import { runCli } from '../helpers/spawn.js';

/**
 * tail -o pretty reads the default line of a plain event frame from its
 * bytes (render/plain-line.ts) and everything else through JSON.parse.
 * Whatever path a frame takes, stdout is the same, byte for byte, and a
 * malformed frame never reaches it. --stats needs every event's fields, so
 * it takes the full path for every frame: the reference here.
 */

const frameServer = useFrameServers();

/** Valid events: plain ASCII ones (the fast path), and every kind the fast path leaves or handles with care. */
const valid: string[] = [
  JSON.stringify({ event_type: 'ToolInvocationCompleted', event_id: 'id-1', occurred_at: 1796115592.392, mcp_server_id: 'math', tool_name: 'add', seq: 1, duration_ms: 2.004, result_size_bytes: 2048, identity_context: null }),
  JSON.stringify({ event_type: 'ToolInvocationRequested', event_id: 'id-2', occurred_at: 1796115592.4, mcp_server_id: 'math', seq: 2, arguments: { path: '/srv/a.json', limit: 50 }, correlation_id: 'c-123456789abcdef' }),
  '{"event_type": "HealthCheckFailed", "event_id": "id-3", "mcp_server_id": "math", "seq": 3, "consecutive_failures": 2, "error_message": "refused"}',
  '{"event_type":"X\\u001b[31m","seq":4,"note":"bidi \\u202e here","k":"zero\\u200bwidth","arguments":{"a":"\\u0007"}}',
  '{"event_type":"X","seq":5,"text":"caf\u00e9 \ud83d\ude00","mcp_server_id":"s\u007fx"}',
  '{"event_type":"X","seq":6,"a":1,"a":2}',
  '{"event_type":"X","seq":7,"10":"digit key","n":1e400,"m":-0,"big":123456789012345678}',
  '{"event_type":"McpServerStateChanged","seq":8,"mcp_server_id":"m","old_state":"ready","new_state":"degraded","arguments":{"b":1,"b":2}}',
  '{"event_type":"X",\r\n  "seq":9}',
  '{"event_type":"AuthenticationFailed","seq":10,"timestamp":"2026-11-26T12:00:00.5","principal":{"id":"u","roles":["a","b"]}}',
];

/** Frames that must be reported and never printed. */
const malformed: TestFrame[] = [
  { data: '{"event_type":"X","seq":-1,' },
  { data: '{"event_type":"","seq":-2}' },
  { data: '{"event_type":"X","seq":-3,"s":"a\u0001b"}' },
  { data: '{"event_type":"X","seq":-4,}' },
  { data: Buffer.concat([Buffer.from('{"event_type":"X","seq":-5,"s":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]) },
  { data: '{"event_type":"X","seq":-6,"n":01}' },
  { data: Buffer.from('{"event_type":"X","seq":-7}'), binary: true },
];


async function runTail(url: string, extra: string[]): Promise<{ stdout: string; stderr: string }> {
  const tail = startTail([url, '-o', 'pretty', '--time', 'utc', '-n', String(valid.length), '--no-reconnect', ...extra]);
  await tail.done;
  return { stdout: tail.io.stdout.text(), stderr: tail.io.stderr.text() };
}

describe('tail -o pretty: the line from the bytes and the line from the parse', () => {
  it.each([[[]], [['--color', 'always']]])('are the same for every valid frame, and neither prints a malformed one (%j)', async (flags) => {
    const url = await frameServer(valid, malformed);
    const fast = await runTail(url, flags);
    const full = await runTail(url, [...flags, '--stats']);
    expect(fast.stdout).toBe(full.stdout);
    const lines = fast.stdout.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(valid.length);
    expect(lines.map((line) => /seq=(-?\d+)/.exec(line)?.[1])).toEqual(valid.map((_, i) => String(i + 1)));
    // Sanitized: no escape sequence from a peer, no bidi override, invisible characters made visible.
    const peer = fast.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(peer).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u202e\u200b]/);
    expect(peer).toContain('\\u200b');
    for (const { stderr } of [fast, full]) expect(stderr.match(/ignored a bad frame/g)).toHaveLength(malformed.length);
  });

  it('are the same for the simulated fleet, and the same again without WebAssembly (node --jitless: the JavaScript scanner alone)', async () => {
    const sim = createFleetSimulator({ servers: 6, seed: 24, startMs: 1796115592_000 });
    const fleet = Array.from({ length: 600 }, () => JSON.stringify(sim.next()));
    // Only frames with a time of their own: a frame without one shows its arrival, which differs from run to run.
    const frames = [...fleet, ...valid.filter((text) => /"(occurred_at|timestamp)"/.test(text))];
    const url = await frameServer(frames, malformed);
    const args = [url, '-o', 'pretty', '--time', 'utc', '-n', String(frames.length), '--no-reconnect'];
    const fast = startTail(args);
    await fast.done;
    const full = startTail([...args, '--stats']);
    await full.done;
    expect(fast.io.stdout.text()).toBe(full.io.stdout.text());
    expect(fast.io.stdout.text().split('\n')).toHaveLength(frames.length + 1);
    const jitless = await runCli(['tail', ...args], { env: { NODE_OPTIONS: '--jitless' } });
    expect(jitless.code).toBe(0);
    expect(jitless.stdout).toBe(fast.io.stdout.text());
    expect(jitless.stderr.match(/ignored a bad frame/g)).toHaveLength(malformed.length);
  });
});

/** A LineSink writing into memory (a pipe: no colors, no width), and the chunks it wrote. */
function capturingLineSink(): { chunks: Buffer[]; colors: ReturnType<typeof createColorScheme>; sink: LineSink } {
  const chunks: Buffer[] = [];
  const stdout = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
    { isTTY: false, columns: undefined, rows: undefined },
  ) as unknown as OutputStream;
  const colors = createColorScheme(0);
  const status = { notice() {}, close() {} } as unknown as StatusReporter;
  return { chunks, colors, sink: new LineSink({ stdout, colors, time: 'utc', nowMs: () => 0, widthOf: () => undefined, wide: true, status }) };
}

describe('LineSink.plain', () => {
  it.each([['JavaScript', false], ['WebAssembly', true]] as const)('writes the right line for a frame that waited while the client scanned the next ones (the shared record moved on; %s scanner)', async (_name, wasm) => {
    const { chunks, colors, sink } = capturingLineSink();
    sink.start({ sources: [{ url: 'ws://x', label: 'x', index: 0 }], filterDescription: '' });
    // One record for the connection, as the client keeps it.
    const scanner = createPlainFrameScanner({ wasm });
    expect(scanner.kind).toBe(wasm ? 'wasm' : 'js');
    const record = scanner.createMemberSpans();
    const frames = valid.slice(0, 3).map((text) => Buffer.from(text));
    const messages = frames.map((bytes) => {
      const scan = { idStart: -1, idEnd: -1, members: record };
      expect(scanner.scan(bytes, bytes, scan)).toBe(true);
      return new PlainEventFrame(bytes, scan.idStart, scan.idEnd, record);
    });
    expect(record.bytes).toBe(frames[2]);
    for (const message of messages) sink.plain(message, { url: 'ws://x', label: 'x', index: 0 });
    await sink.close();
    const expected = frames.map((bytes) => `${formatEventLine(JSON.parse(bytes.toString()) as HangarEvent, { colors, time: 'utc', nowMs: 0, arrivalMs: () => 0, wide: true })}\n`).join('');
    expect(Buffer.concat(chunks).toString().split('\n')).toEqual(expected.split('\n'));
  });

  it('labels each line with its own source when merged streams take turns (each source keeps its context)', async () => {
    const { chunks, colors, sink } = capturingLineSink();
    const sources = [{ url: 'ws://a', label: 'a', index: 0 }, { url: 'ws://b', label: 'b', index: 1 }];
    sink.start({ sources, filterDescription: '' });
    const scanner = createPlainFrameScanner();
    const record = scanner.createMemberSpans();
    const order = [0, 0, 1, 0, 1, 1, 0];
    for (const [i, index] of order.entries()) {
      const bytes = Buffer.from(valid[i % 3]!);
      expect(scanner.scan(bytes, bytes, { idStart: -1, idEnd: -1, members: record })).toBe(true);
      sink.plainFrame(bytes, record, sources[index]!);
    }
    await sink.close();
    expect(Buffer.concat(chunks).toString().split('\n').slice(0, -1).map((line) => line.split(' ')[0])).toEqual(order.map((index) => sources[index]!.label));
  });
});
