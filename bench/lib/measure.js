// Measurement windows shared by the scenarios.
import { sleep } from './children.js';
import { sampleProcess, cpuFraction } from './procfs.js';

/**
 * Counts what a client group receives over `windowMs` (after `warmMs`), with
 * the CPU and RSS of the server process meanwhile.
 * @returns {{eventsPerSec: number, minPerClientPerSec: number, bytesPerEvent: number, serverCpu: number,
 *            serverRssBytes: number, clientCpu: number, deliveries: number, seconds: number}}
 */
export async function measureGroup({ clients, group, serverPid, warmMs, windowMs }) {
  await sleep(warmMs);
  const before = await clients.call({ cmd: 'snapshot', group });
  const server0 = sampleProcess(serverPid);
  const client0 = sampleProcess(clients.pid);
  await sleep(windowMs);
  const after = await clients.call({ cmd: 'snapshot', group });
  const server1 = sampleProcess(serverPid);
  const client1 = sampleProcess(clients.pid);
  const seconds = (server1.atMs - server0.atMs) / 1000;
  const deliveries = after.events - before.events;
  return {
    clients: after.clients,
    deliveries,
    seconds,
    eventsPerSec: deliveries / seconds,
    minPerClientPerSec: (after.min - before.min) / seconds,
    bytesPerEvent: deliveries > 0 ? (after.bytes - before.bytes) / deliveries : NaN,
    serverCpu: cpuFraction(server0, server1),
    serverCpuSeconds: server1.cpuSeconds - server0.cpuSeconds,
    serverRssBytes: server1.rssBytes,
    clientCpu: cpuFraction(client0, client1),
    warnings: after.warnings - before.warnings,
  };
}

/** Polls `fn` every `everyMs` until it returns truthy or `timeoutMs` passes; resolves with the last value. */
export async function waitUntil(fn, { everyMs = 50, timeoutMs = 10000 } = {}) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value || performance.now() >= deadline) return value;
    await sleep(everyMs);
  }
}

/** Tracks the peak RSS of a process while a promise runs. */
export async function withPeakRss(pid, promise, everyMs = 100) {
  const { readRssBytes } = await import('./procfs.js');
  let peak = readRssBytes(pid);
  const timer = setInterval(() => {
    const rss = readRssBytes(pid);
    if (rss > peak) peak = rss;
  }, everyMs);
  try {
    const result = await promise;
    const rss = readRssBytes(pid);
    if (rss > peak) peak = rss;
    return { result, peakRssBytes: peak };
  } finally {
    clearInterval(timer);
  }
}
