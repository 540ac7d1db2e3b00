import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, connect, eventually, startTestServer, testEvent, type TestClient } from './serve-support.js';

afterEach(closeAll);

const socketOf = (client: TestClient) => (client.ws as unknown as { _socket: Socket })._socket;

describe('serve: backpressure', () => {
  it('bounds a stalled client, never slows healthy ones, and accounts exactly for drops when it resumes', async () => {
    const queueSize = 64;
    const highWaterMarkBytes = 128 * 1024;
    const server = await startTestServer({ queueSize, highWaterMarkBytes });
    const stalled = await connect(server.url);
    const healthy = [await connect(server.url), await connect(server.url)];
    // A real slow consumer: the client stops reading its socket, so the kernel buffers fill and then the server's.
    socketOf(stalled).pause();

    const padding = 'p'.repeat(8 * 1024);
    const total = 2000;
    const batch = 40;
    let maxQueued = 0;
    let maxBuffered = 0;
    for (let sent = 0; sent < total; ) {
      for (let i = 0; i < batch && sent < total; i++) server.hub.publish(testEvent(++sent, { padding }));
      const target = sent;
      // Healthy clients keep up: wait for them (not for the stalled one) before the next batch.
      await Promise.all(healthy.map((c) => c.waitUntil(() => c.events().length >= target, `healthy client at ${target}`)));
      const stalledInfo = server.connections().find((c) => c.id === 1)!;
      maxQueued = Math.max(maxQueued, stalledInfo.queuedEvents);
      maxBuffered = Math.max(maxBuffered, stalledInfo.bufferedAmount);
    }
    const info = server.connections().find((c) => c.id === 1)!;
    expect(info.dropped).toBeGreaterThan(0);
    // Server-side memory for the stalled client stays bounded: its queue and its socket's user-space buffer.
    expect(maxQueued).toBeLessThanOrEqual(queueSize);
    // (at most the high-water mark plus two frames: the check runs before the last frame of a burst is written)
    expect(maxBuffered).toBeLessThanOrEqual(highWaterMarkBytes + 2 * (padding.length + 1024));

    for (const client of healthy) {
      expect(client.events().map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(client.controls('warning')).toEqual([]);
    }

    socketOf(stalled).resume();
    const lastTotal = () => {
      const warnings = stalled.controls('warning');
      return warnings.length === 0 ? 0 : (warnings[warnings.length - 1]!.total_dropped as number);
    };
    await stalled.waitUntil(() => stalled.events().length + lastTotal() === total && stalled.events().at(-1)?.seq === total, 'stalled client to drain');
    const warnings = stalled.controls('warning');
    expect(warnings.length).toBeGreaterThan(0);
    let running = 0;
    for (const warning of warnings) {
      expect(warning).toMatchObject({ type: 'warning', code: 'events_dropped', queue_limit: queueSize });
      running += warning.dropped as number;
      expect(warning.total_dropped).toBe(running);
    }
    // matched = delivered + total_dropped, and what arrived is in order without duplicates.
    const seqs = stalled.events().map((e) => e.seq as number);
    expect(seqs.length + running).toBe(total);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    expect(server.health().events_dropped).toBe(running);
  });

  it('closes a socket that makes no progress for --stall-timeout and keeps serving the others', async () => {
    const server = await startTestServer({ stallTimeoutMs: 300, queueSize: 16 });
    const stalled = await connect(server.url);
    const healthy = await connect(server.url);
    socketOf(stalled).pause();
    const padding = 'p'.repeat(16 * 1024);
    let n = 0;
    // Publish until the server gives up on the stalled client.
    while (server.connections().length === 2) {
      for (let i = 0; i < 10; i++) server.hub.publish(testEvent(++n, { padding }));
      const target = n;
      await healthy.waitUntil(() => healthy.events().length >= target, `healthy at ${target}`);
      if (n > 20_000) throw new Error('the stalled client was never closed');
    }
    expect(server.connections().map((c) => c.id)).toEqual([2]);
    server.hub.publish(testEvent(++n));
    const last = n;
    await healthy.next((f) => f.seq === last, 'event after the stalled client was closed');
    await eventually(() => server.health().clients === 1, 'health to count one client');
  });
});
