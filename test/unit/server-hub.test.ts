import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/server/hub.js';
import { Subscriber, type Transport } from '../../src/server/subscriber.js';

function recordingSubscriber(hub: Hub) {
  const frames: Buffer[] = [];
  const transport: Transport = { send: (frame, done) => (frames.push(frame), done?.()), bufferedAmount: 0, cork() {}, uncork() {} };
  const subscriber = new Subscriber({
    transport,
    limits: { queueSize: 100, queueBytes: 1 << 20, highWaterMarkBytes: 1 << 20, maxPendingControls: 100 },
    stats: hub.stats,
    monotonicMs: () => 0,
    schedule: (flush) => flush(),
  });
  hub.attach(subscriber);
  return { subscriber, frames };
}

describe('Hub', () => {
  it('assigns event_id and occurred_at when missing, and serializes each event once for every subscriber', () => {
    let n = 0;
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 1_795_727_378_500, newEventId: () => `id-${++n}` });
    const a = recordingSubscriber(hub);
    const b = recordingSubscriber(hub);
    const input = { event_type: 'HealthCheckPassed', mcp_server_id: 'math' };
    expect(hub.publish(input)).toBe(true);
    expect(input).toEqual({ event_type: 'HealthCheckPassed', mcp_server_id: 'math' }); // the caller's object is not changed
    expect(a.frames).toHaveLength(1);
    expect(a.frames[0]).toBe(b.frames[0]); // the same Buffer
    expect(JSON.parse(a.frames[0]!.toString())).toEqual({ ...input, event_id: 'id-1', occurred_at: 1_795_727_378.5 });
    expect(hub.stats).toEqual({ published: 1, delivered: 2, dropped: 0 });
  });

  it('does not publish what cannot be serialized', () => {
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 0 });
    expect(hub.publish({ event_type: 'X', big: 1n })).toBe(false);
    expect(hub.stats.published).toBe(0);
  });

  it('whenSubscribed resolves once someone listens', async () => {
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 0 });
    let resolved = false;
    const waiting = hub.whenSubscribed().then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    recordingSubscriber(hub);
    await waiting;
    expect(resolved).toBe(true);
    await hub.whenSubscribed();
  });
});
