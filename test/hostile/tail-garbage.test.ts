import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { createRng, deeplyNested, ESCAPE_PAYLOADS, hostileSeed, hostileString, randomBytes, seedNote, terminalHazard, type Rng } from '../helpers/hostile-fuzz.js';
import { recordFigures, scaled } from '../helpers/hostile-net.js';
import { killAll, startCli } from '../helpers/spawn.js';

/**
 * Promise: a server that sends garbage (non-JSON, binary frames, JSON arrays,
 * frames over 1 MB, events without event_type, escape sequences) never
 * crashes tail. Each bad frame is reported on stderr and counted, the stream
 * continues (every good event is printed exactly once), and nothing a
 * server sends reaches the terminal raw. The real binary against a raw `ws`
 * server on 127.0.0.1. Seeded.
 */

/** tail reports this many bad frames per source one by one, then only counts them (src/tail/pipeline.ts). */
const MAX_BAD_FRAME_REPORTS = 20;
const SEED = hostileSeed();
const NOTE = seedNote(SEED);

const servers = new Set<WebSocketServer>();
afterEach(async () => {
  await killAll();
  for (const wss of servers) {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
  servers.clear();
});

interface Garbage {
  readonly kind: string;
  readonly data: string | Buffer;
  readonly binary?: boolean;
  /** Must be reported as a bad frame (others are odd but legal control messages). */
  readonly bad: boolean;
}

function garbage(rng: Rng): Garbage {
  switch (rng.int(0, 13)) {
    case 0:
      return { kind: 'not-json', data: rng.pick(['hello', '{', '{"event_type":', "{'event_type':'X'}", '\x1b[2J\x1b]0;pwned\x07', 'NaN']), bad: true };
    case 1:
      return { kind: 'binary', data: randomBytes(rng, rng.int(1, 4096)), binary: true, bad: true };
    case 2:
      return { kind: 'array', data: rng.pick(['[]', '[{"event_type":"ToolInvocationCompleted","seq":-1}]', '[1,2,3]']), bad: true };
    case 3:
      return { kind: 'scalar', data: rng.pick(['1', '"text"', 'null', 'true']), bad: true };
    case 4:
      return { kind: 'no-event-type', data: JSON.stringify({ mcp_server_id: 'math', tool_name: 'add', seq: -1 }), bad: true };
    case 5:
      return { kind: 'bad-event-type', data: JSON.stringify({ event_type: rng.pick([42, null, '', ['X'], { a: 1 }]), seq: -1 }), bad: true };
    case 6:
      // Over tail's 1 MiB frame limit.
      return { kind: 'huge', data: `{"event_type":"Huge","seq":-1,"s":"${'x'.repeat(1024 * 1024 + rng.int(1, 200_000))}"}`, bad: true };
    case 7:
      return { kind: 'unknown-control', data: JSON.stringify({ type: rng.pick(['bogus', 'publish', '__proto__', hostileString(rng, 2)]) }), bad: true };
    case 8:
      return { kind: 'nested-array', data: deeplyNested(rng.int(1_000, 50_000)), bad: true };
    case 9:
      return { kind: 'invalid-utf8-ish', data: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), bad: true };
    case 10:
      return { kind: 'odd-warning', data: JSON.stringify({ type: 'warning', code: hostileString(rng, 2), dropped: 'lots', message: rng.pick(ESCAPE_PAYLOADS) }), bad: false };
    case 11:
      return { kind: 'odd-error', data: JSON.stringify({ type: 'error', code: rng.pick(ESCAPE_PAYLOADS), message: hostileString(rng) }), bad: false };
    case 12:
      return { kind: 'odd-subscribed', data: JSON.stringify({ type: 'subscribed', event_types: 'x', mcp_server_ids: { a: 1 } }), bad: false };
    default:
      return { kind: 'proto', data: '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}', bad: true };
  }
}

/** A good event (some carrying escape sequences and deep nesting) with its sequence number. */
function goodEvent(rng: Rng, seq: number): string {
  const event: Record<string, unknown> = { event_type: 'ToolInvocationCompleted', event_id: `e-${seq}`, occurred_at: 1795727378.25 + seq, mcp_server_id: 'math', tool_name: 'add', seq };
  if (rng.chance(0.3)) event.error_message = hostileString(rng);
  if (rng.chance(0.3)) event.tool_name = rng.pick(ESCAPE_PAYLOADS);
  // The gateway's own spacing, now and then.
  let text = rng.chance(0.3) ? JSON.stringify(event).replaceAll('":', '": ').replaceAll(',"', ', "') : JSON.stringify(event);
  // Deep nesting, spliced in as text (too deep for JSON.stringify here).
  if (rng.chance(0.1)) text = `${text.slice(0, -1)},"deep":${deeplyNested(rng.int(10, 5_000))}}`;
  return text;
}

/** A raw server that, once a client subscribes, sends `script` in order. */
async function garbageServer(script: Array<{ data: string | Buffer; binary?: boolean }>): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.add(wss);
  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => {});
    ws.once('message', () => {
      // With backpressure: the long run sends hundreds of 1 MB frames, which must not all sit in this process.
      void (async () => {
        for (const frame of script) {
          if (ws.readyState !== ws.OPEN) return;
          if (ws.bufferedAmount > 8 * 1024 * 1024) await new Promise<void>((resolve) => ws.send(frame.data, { binary: frame.binary === true }, () => resolve()));
          else ws.send(frame.data, { binary: frame.binary === true });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return `ws://127.0.0.1:${port}/api/ws/events`;
}

function buildScript(rng: Rng, goods: number, garbageEvery: number): { script: Array<{ data: string | Buffer; binary?: boolean; kind: string; bad: boolean; good: boolean }>; bad: number } {
  const script: Array<{ data: string | Buffer; binary?: boolean; kind: string; bad: boolean; good: boolean }> = [];
  let bad = 0;
  for (let seq = 1; seq <= goods; seq++) {
    const junk = rng.int(0, garbageEvery);
    for (let j = 0; j < junk; j++) {
      const g = garbage(rng);
      script.push({ ...g, good: false });
      if (g.bad) bad++;
    }
    script.push({ data: goodEvent(rng, seq), kind: 'good', bad: false, good: true });
  }
  return { script, bad };
}

describe('tail against a server that sends garbage', () => {
  for (const output of ['ndjson', 'pretty'] as const) {
    test(`-o ${output}: every bad frame reported and counted, every good event printed once ${NOTE}`, async () => {
      const rng = createRng(SEED ^ (output === 'ndjson' ? 1 : 2));
      const goods = scaled(200, 5_000);
      const { script, bad } = buildScript(rng, goods, 4);
      const url = await garbageServer(script);
      const tail = startCli(['tail', url, '-o', output, '-n', String(goods), '--timeout', '120s', '--no-reconnect', '--stats']);
      const { code, signal } = await tail.exited;
      const stdout = tail.stdout();
      const stderr = tail.stderr();
      const shown = new Set(stdout.split('\n').flatMap((l) => /"seq": ?(\d+)|seq=(\d+)/.exec(l)?.slice(1).filter(Boolean).map(Number) ?? []));
      const firstMissing = script.findIndex((f) => f.good && !shown.has(Number(/"seq": ?(\d+)/.exec(String(f.data))?.[1])));
      const around = firstMissing < 0 ? 'none' : script.slice(Math.max(0, firstMissing - 3), firstMissing + 1).map((f) => `${f.kind}: ${String(f.data).slice(0, 160)}`).join('\n');
      const missing = Array.from({ length: goods }, (_, i) => i + 1).filter((n) => !shown.has(n));
      if (process.env.HOSTILE_DEBUG) writeFileSync('/tmp/hostile-garbage-debug.json', JSON.stringify({ missing, script: script.map((f) => ({ kind: f.kind, data: String(f.data).slice(0, 300) })) }));
      const context = `${NOTE}\nmissing: ${JSON.stringify(missing.slice(0, 20))}\nexit ${code} ${signal}\nfirst good event not shown, with the frames before it:\n${around}\nstderr (tail):\n${stderr.slice(-3000)}`;
      expect(code, `tail ends normally after the count ${context}`).toBe(0);
      expect(stderr, context).not.toMatch(/^ {4}at /m);
      const lines = stdout.split('\n').filter((l) => l.length > 0);
      expect(lines.length, `one line per good event ${context}`).toBe(goods);
      if (output === 'ndjson') {
        // Every good event exactly once. (Order is not promised here: bogus "subscribed" frames make
        // tail hold early events as it would for serve's replay, and release them later.)
        const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
        expect(new Set(seqs).size, `no duplicates ${context}`).toBe(seqs.length);
        expect([...seqs].sort((a, b) => a - b), context).toEqual(Array.from({ length: goods }, (_, i) => i + 1));
      } else {
        const seqs = lines.map((line) => Number(/seq=(\d+)/.exec(line)?.[1]));
        expect([...seqs].sort((a, b) => a - b), context).toEqual(Array.from({ length: goods }, (_, i) => i + 1));
        lines.forEach((line, i) => expect(terminalHazard(line, false), `pretty line ${i} ${context}`).toBeUndefined());
      }
      const reported = stderr.split('\n').filter((l) => l.startsWith('hangar-events: ignored a bad frame')).length;
      // Reported one by one up to tail's cap (then counted, not shown); --stats counts every one.
      expect(reported, `bad frames reported (up to the cap) ${context}`).toBe(Math.min(bad, MAX_BAD_FRAME_REPORTS));
      if (bad > MAX_BAD_FRAME_REPORTS) expect(stderr, context).toMatch(/further bad frames from this source are counted/);
      const statsLine = /bad frames: (\d+)/.exec(stderr);
      expect(Number(statsLine?.[1]), `--stats counts them ${context}`).toBe(bad);
      for (const line of stderr.split('\n')) expect(terminalHazard(line, false), `stderr line is safe: ${JSON.stringify(line.slice(0, 120))} ${NOTE}`).toBeUndefined();
      recordFigures(`tail garbage server (-o ${output})`, { seed: SEED, frames_sent: script.length, bad_frames: bad, bad_frames_reported: reported, good_events: goods, good_events_lost: goods - lines.length });
    }, scaled(90_000, 600_000));
  }
});
