// The max-rate path in one process: the demo source at --rate max into the real Hub with one Subscriber
// on a transport that discards (its writes complete at once), CPU per event from process.cpuUsage (every
// thread: GC helpers included) over 5 windows of 2^20 events after a warm-up; prints the minimum and
// the median. With YOUNG=small the process first sets what serve sets for itself
// (--semi-space-growth-factor=1), to compare the two in processes taking turns (issue 24, memory).
// node bench/findings/serve-max-rate-micro.mjs [dist dir]
import { setFlagsFromString } from 'node:v8';
import { resolve } from 'node:path';

if (process.env.YOUNG === 'small') setFlagsFromString('--semi-space-growth-factor=1');
const dist = resolve(process.argv[2] ?? 'dist');
const { Hub } = await import(`${dist}/server/hub.js`);
const { Subscriber } = await import(`${dist}/server/subscriber.js`);
const { createSimulatorSource } = await import(`${dist}/sources/fleet/simulator.js`);

const hub = new Hub({ historySize: 2048, historyBytes: 64 * 1024 * 1024, now: () => Date.now(), queueSize: 1024 });
const transport = {
  bufferedAmount: 0,
  send: (frame, done) => done?.(),
  sendFramed: (wire, done) => done?.(),
  cork() {},
  uncork() {},
};
const subscriber = new Subscriber({ transport, limits: { queueSize: 1024, queueBytes: 8 << 20, highWaterMarkBytes: 128 * 1024, maxPendingControls: 64 }, stats: hub.stats, monotonicMs: () => performance.now() });
hub.attach(subscriber);
const clock = { now: () => Date.now(), monotonicMs: () => performance.now(), setTimeout: (fn, ms) => { const t = setTimeout(fn, ms); return { cancel: () => clearTimeout(t) }; } };
const source = createSimulatorSource({ servers: 5, ratePerSec: 'max', seed: 1, clock });
const WINDOW = 1 << 20;
const results = [];
let mark = { at: 0, cpu: process.cpuUsage() };
let windows = -1; // the first window warms up
const publishSerialized = hub.publishSerialized.bind(hub);
hub.publishSerialized = (event, wire) => {
  publishSerialized(event, wire);
  if (hub.stats.published - mark.at >= WINDOW) {
    const cpu = process.cpuUsage(mark.cpu);
    if (windows >= 0) results.push(((cpu.user + cpu.system) * 1000) / (hub.stats.published - mark.at));
    windows++;
    mark = { at: hub.stats.published, cpu: process.cpuUsage() };
    if (results.length === 5) source.stop();
  }
};
await source.run(hub, { info() {}, warn() {} });
const sorted = [...results].sort((a, b) => a - b);
console.log(JSON.stringify({ young: process.env.YOUNG ?? 'default', minNs: Math.round(sorted[0]), medianNs: Math.round(sorted[2]), all: results.map(Math.round), delivered: hub.stats.delivered }));
