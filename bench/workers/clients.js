// Client-side load in its own process, driven over IPC by bench/run.js.
// Groups of subscribers: `tcp` (the minimal frame-counting client of
// lib/raw-ws-client.js, cheap enough to run a thousand of) or `ws` (the `ws`
// library's client, counting 'message' events: the ceiling for a client).
import WebSocket from 'ws';
import { RawWsClient } from '../lib/raw-ws-client.js';
import { quantileSorted } from '../lib/stats.js';

const groups = new Map();
const MAX_SAMPLES = 4_000_000;

class WsLibClient {
  constructor(url, subscribe) {
    this.url = url;
    this.subscribe = subscribe;
    this.events = 0;
    this.bytes = 0;
    this.controls = 0;
    this.warnings = 0;
    this.dropped = 0;
    this.totalDropped = 0;
  }
  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false });
      this.ws = ws;
      let subscribed = false;
      ws.on('error', (error) => {
        if (!subscribed) reject(error);
      });
      ws.on('open', () => ws.send(this.subscribe));
      ws.on('message', (data) => {
        this.bytes += data.length;
        // Control frames are rare; an event frame is only counted.
        if (data[2] === 0x74 && data[3] === 0x79 && data[1] === 0x22 && data[0] === 0x7b) {
          this.controls++;
          const message = JSON.parse(data.toString());
          if (message.type === 'subscribed' && !subscribed) {
            subscribed = true;
            resolve();
          } else if (message.type === 'warning') {
            this.warnings++;
            this.dropped += message.dropped;
            this.totalDropped = message.total_dropped;
          } else if (message.type === 'ping') ws.send('{"type":"pong"}');
          return;
        }
        this.events++;
      });
    });
  }
  pause() {
    this.ws.pause();
  }
  resume() {
    this.ws.resume();
  }
  close() {
    this.ws.terminate();
  }
}

function createGroup(name, options) {
  const group = { name, options, clients: [], pending: new Set(), samples: new Float64Array(options.latency ? MAX_SAMPLES : 0), sampleCount: 0, failed: 0, errors: [] };
  groups.set(name, group);
  return group;
}

async function open(message) {
  // latencyEvery: only every n-th client scans its events for `sent_at_ns` (the rest only count), to keep this process light.
  // pauseOnSubscribe: each client stops reading once subscribed (a consumer that fell behind).
  const { group: name, url, count, impl = 'tcp', subscribe = '{"type":"subscribe"}', latency = false, latencyEvery = 1, concurrency = 100, pauseOnSubscribe = false } = message;
  const group = groups.get(name) ?? createGroup(name, { latency });
  const { hostname, port, pathname } = new URL(url);
  const onLatency = latency
    ? (ns) => {
        if (group.sampleCount < MAX_SAMPLES) group.samples[group.sampleCount++] = ns;
      }
    : undefined;
  let next = 0;
  async function lane() {
    while (next < count) {
      next++;
      const index = next - 1;
      const sampled = onLatency && index % latencyEvery === 0 ? onLatency : undefined;
      const client = impl === 'ws' ? new WsLibClient(url, subscribe) : new RawWsClient({ host: hostname, port: Number(port), path: pathname, subscribe, onLatency: sampled });
      group.pending.add(client);
      try {
        await client.connect();
        if (pauseOnSubscribe) client.pause();
        group.pending.delete(client);
        group.clients.push(client);
      } catch (error) {
        group.pending.delete(client);
        group.failed++;
        if (group.errors.length < 3) group.errors.push(String(error?.message ?? error));
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { opened: group.clients.length, failed: group.failed, errors: group.errors };
}

function snapshot(name, { resetLatency = false, perClient: wantPerClient = false } = {}) {
  const group = groups.get(name);
  if (!group) return { clients: 0, events: 0 };
  let events = 0;
  let bytes = 0;
  let min = Infinity;
  let max = 0;
  let warnings = 0;
  let dropped = 0;
  let closed = 0;
  const perClient = [];
  for (const client of group.clients) {
    events += client.events;
    bytes += client.bytes;
    warnings += client.warnings;
    dropped += client.dropped;
    if (client.events < min) min = client.events;
    if (client.events > max) max = client.events;
    if (client.closed) closed++;
    if (wantPerClient) perClient.push({ events: client.events, warnings: client.warnings, dropped: client.dropped, totalDropped: client.totalDropped, closed: !!client.closed });
  }
  const result = { clients: group.clients.length, events, bytes, min: group.clients.length ? min : 0, max, warnings, dropped, closed };
  if (wantPerClient) result.perClient = perClient;
  if (group.pending.size > 0) result.pending = [...group.pending].slice(0, 5).map((c) => ({ handshakeDone: c.handshakeDone, subscribed: c.subscribed, bytes: c.bytes, closed: c.closed }));
  if (group.options.latency) {
    const sorted = group.samples.subarray(0, group.sampleCount).sort();
    result.latency = {
      samples: sorted.length,
      p50Ms: quantileSorted(sorted, 0.5) / 1e6,
      p99Ms: quantileSorted(sorted, 0.99) / 1e6,
      maxMs: sorted.length ? sorted[sorted.length - 1] / 1e6 : NaN,
    };
    if (resetLatency) group.sampleCount = 0;
  }
  return result;
}

const progressTimers = new Map();

process.on('message', async (message) => {
  const reply = (body) => process.send({ id: message.id, ...body });
  try {
    switch (message.cmd) {
      case 'open':
        reply(await open(message));
        break;
      case 'snapshot':
        reply(snapshot(message.group, message));
        break;
      case 'pause':
      case 'resume':
        for (const client of groups.get(message.group)?.clients ?? []) client[message.cmd]();
        reply({ ok: true });
        break;
      case 'progress': {
        // Reports the slowest client's event count every `everyMs` (flow control for a paced publisher).
        clearInterval(progressTimers.get(message.group));
        if (message.everyMs > 0) {
          const group = groups.get(message.group);
          let last = -1;
          progressTimers.set(
            message.group,
            setInterval(() => {
              let min = Infinity;
              for (const client of group.clients) if (client.events < min) min = client.events;
              if (min !== last) {
                last = min;
                process.send({ type: 'progress', group: message.group, min });
              }
            }, message.everyMs),
          );
        }
        reply({ ok: true });
        break;
      }
      case 'close':
        for (const client of groups.get(message.group)?.clients ?? []) client.close();
        groups.delete(message.group);
        reply({ ok: true });
        break;
      default:
        reply({ error: `unknown command ${message.cmd}` });
    }
  } catch (error) {
    reply({ error: String(error?.stack ?? error) });
  }
});
// Never outlive the harness.
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', pid: process.pid });
