// The server side of a scenario in its own process, driven over IPC by
// bench/run.js. Two kinds, one interface:
//   raw   - the baseline: a bare `ws` WebSocketServer. In `pump` mode every
//           connection is sent a pre-serialized buffer as fast as its socket
//           drains (the ceiling for a server); otherwise published events are
//           serialized once and sent to every connection.
//   serve - hangar-events' own server, started in-process with the exported
//           startServer() from the build (dist/), fed by the same publisher.
// The publisher stamps `sent_at_ns` (process.hrtime, CLOCK_MONOTONIC: the same
// clock in every process of the host) into each event for latency figures.
import { WebSocketServer } from 'ws';
import { createRandom, makeEvent, makeSerializedPool } from '../lib/events.js';
import { startServeBackend } from '../lib/serve-backend.js';

const args = JSON.parse(process.argv[2] ?? '{}');
// BENCH_SERVE_KIND=raw swaps the raw server in for serve (to exercise the harness itself).
const kind = args.kind === 'serve' && process.env.BENCH_SERVE_KIND === 'raw' ? 'raw' : (args.kind ?? 'raw');

/** An unmasked WebSocket text frame (header + payload) around `payload`. */
function textFrame(payload) {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, len]) : len < 65536 ? Buffer.from([0x81, 126, len >> 8, len & 0xff]) : null;
  if (!head) throw new Error('bench frames stay under 64 KiB');
  return Buffer.concat([head, payload]);
}

// framed: the pool is framed once and written to each socket as it is (no `ws.send` per frame):
// the ceiling for a server that frames each event once for every subscriber.
function startRawBackend({ highWaterMark = 64 * 1024, poolSize = 4096, payloadBytes = 0, framed = false }) {
  const pool = payloadBytes > 0 ? [padTo(payloadBytes)] : makeSerializedPool(poolSize);
  const frames = framed ? pool.map(textFrame) : null;
  const sendOptions = { binary: false };
  const subscribed = new Set();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/api/ws/events', perMessageDeflate: false, clientTracking: false });
  let pumped = 0;
  let pumping = false;
  const pumpStates = new Map();
  function pump(ws, state) {
    const socket = ws._socket;
    if (!pumping || ws.readyState !== 1 || socket.destroyed) {
      state.active = false;
      return;
    }
    socket.cork();
    // At most one burst per turn: a socket reset by the peer may accept writes
    // without buffering them until its error is processed on a later turn.
    let burst = 4096;
    if (frames) {
      while (socket.writableLength < highWaterMark && burst-- > 0) {
        socket.write(frames[state.next]);
        state.next = state.next + 1 === pool.length ? 0 : state.next + 1;
        pumped++;
      }
    } else {
      while (ws.bufferedAmount < highWaterMark && burst-- > 0) {
        ws.send(pool[state.next], sendOptions);
        state.next = state.next + 1 === pool.length ? 0 : state.next + 1;
        pumped++;
      }
    }
    socket.uncork();
    // Refill on the next turn, never from inside 'drain': a write the kernel
    // takes at once completes synchronously and emits 'drain' on nextTick, so
    // refilling there chains nextTicks forever and starves every other socket
    // (and the IPC channel) of the event loop.
    const again = () => setImmediate(() => pump(ws, state));
    if (socket.writableNeedDrain) socket.once('drain', again);
    else again();
  }
  let corked = false;
  function uncorkAll() {
    corked = false;
    for (const ws of subscribed) ws._socket.uncork();
  }
  function startPump(ws) {
    const state = pumpStates.get(ws);
    if (state && !state.active) {
      state.active = true;
      pump(ws, state);
    }
  }
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.once('message', () => {
      ws.send('{"type":"subscribed","event_types":[],"mcp_server_ids":[]}');
      subscribed.add(ws);
      pumpStates.set(ws, { next: Math.floor(Math.random() * pool.length), active: false });
      ws.once('close', () => {
        subscribed.delete(ws);
        pumpStates.delete(ws);
      });
      if (pumping) startPump(ws);
    });
  });
  return new Promise((resolve) => {
    wss.on('listening', () => {
      const { port } = wss.address();
      resolve({
        url: `ws://127.0.0.1:${port}/api/ws/events`,
        /** Serializes once, sends to every subscriber; sockets stay corked until the end of the current burst (tick). */
        publish(event) {
          const data = Buffer.from(JSON.stringify(event));
          if (!corked) {
            corked = true;
            for (const ws of subscribed) ws._socket.cork();
            process.nextTick(uncorkAll);
          }
          for (const ws of subscribed) ws.send(data, sendOptions);
        },
        /** Starts (or stops) sending the pool as fast as each socket drains, to every subscriber. */
        setPump(on) {
          pumping = on;
          if (on) for (const ws of subscribed) startPump(ws);
        },
        stats: () => ({ pumped, clients: subscribed.size }),
        close: () => new Promise((done) => wss.close(() => done())),
      });
    });
  });
}

function padTo(bytes) {
  const base = makeSerializedPool(1)[0].toString();
  if (base.length + 12 >= bytes) return Buffer.from(base);
  return Buffer.from(`${base.slice(0, -1)},"pad":"${'x'.repeat(bytes - base.length - 10)}"}`);
}

// ---- the publisher ------------------------------------------------------

const random = createRandom(7);
const templates = Array.from({ length: 1024 }, (_, i) => makeEvent(random, i));
let seq = 0;

function nextEvent() {
  const template = templates[seq & 1023];
  seq++;
  // A fresh object per event (the server may annotate it); unique id and stamp.
  return {
    ...template,
    event_id: `${template.event_id.slice(0, 24)}${seq.toString(16).padStart(12, '0')}`,
    seq,
    sent_at_ns: Number(process.hrtime.bigint()),
  };
}

let backend;
let progressMin = 0;
let progressWaiter = null;

/**
 * Publishes `rate` events per second for `durationMs`: on each tick (every
 * `tickMs`) the events that have come due, each stamped as it is published.
 */
function publishAtRate(rate, durationMs, tickMs = 1) {
  return new Promise((resolve) => {
    const start = performance.now();
    let published = 0;
    const tick = () => {
      const elapsed = performance.now() - start;
      const due = Math.min(Math.floor((elapsed / 1000) * rate), Math.floor((durationMs / 1000) * rate));
      while (published < due) {
        backend.publish(nextEvent());
        published++;
      }
      if (elapsed >= durationMs) resolve({ published, elapsedMs: performance.now() - start });
      else setTimeout(tick, tickMs);
    };
    tick();
  });
}

/**
 * Publishes as fast as the slowest of the paced clients keeps up: never more
 * than `window` events ahead of the slowest client's count (reported over
 * IPC), in bursts of `burst` per event-loop turn, for `durationMs`.
 */
function publishPaced(window, durationMs, burst = 256) {
  return new Promise((resolve) => {
    const start = performance.now();
    let published = 0;
    const base = progressMin;
    const loop = () => {
      if (performance.now() - start >= durationMs) {
        resolve({ published, elapsedMs: performance.now() - start });
        return;
      }
      let budget = Math.min(burst, window - (published - (progressMin - base)));
      if (budget <= 0) {
        progressWaiter = loop;
        setTimeout(() => {
          if (progressWaiter === loop) {
            progressWaiter = null;
            loop();
          }
        }, 50);
        return;
      }
      while (budget-- > 0) {
        backend.publish(nextEvent());
        published++;
      }
      setImmediate(loop);
    };
    loop();
  });
}

process.on('message', async (message) => {
  const reply = (body) => process.send({ id: message.id, ...body });
  try {
    switch (message.cmd) {
      case 'rate':
        reply(await publishAtRate(message.rate, message.durationMs, message.tickMs));
        break;
      case 'paced':
        progressMin = message.base ?? 0;
        reply(await publishPaced(message.window, message.durationMs, message.burst));
        break;
      case 'progress': {
        progressMin = message.min;
        const waiter = progressWaiter;
        progressWaiter = null;
        waiter?.();
        break;
      }
      case 'pump':
        backend.setPump(message.on);
        reply({ ok: true });
        break;
      case 'stats':
        reply({ ...(backend.stats?.() ?? {}), memory: process.memoryUsage(), cpu: process.cpuUsage() });
        break;
      case 'gc':
        globalThis.gc?.();
        reply({ rss: process.memoryUsage.rss() });
        break;
      default:
        reply({ error: `unknown command ${message.cmd}` });
    }
  } catch (error) {
    reply({ error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));

try {
  backend = kind === 'raw' ? await startRawBackend(args) : await startServeBackend(args);
  process.send({ type: 'ready', pid: process.pid, url: backend.url });
} catch (error) {
  process.send({ type: 'failed', error: String(error?.message ?? error) });
  process.exit(1);
}
