import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, connect, startTestServer, testEvent } from './serve-support.js';

afterEach(closeAll);

describe('serve: chaos for testing consumers', () => {
  it('--chaos-drop drops about that fraction and announces every drop exactly like a slow-consumer drop', async () => {
    let state = 12345;
    // A seeded generator, so a failure reproduces.
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const server = await startTestServer({ chaosDrop: 0.3, random });
    const client = await connect(server.url);
    const total = 1000;
    for (let n = 1; n <= total; n++) server.hub.publish(testEvent(n));
    const lastTotal = () => (client.controls('warning').at(-1)?.total_dropped as number | undefined) ?? 0;
    await client.waitUntil(() => client.events().length + lastTotal() === total, 'every event delivered or announced');
    const dropped = lastTotal();
    expect(dropped).toBeGreaterThan(total * 0.2);
    expect(dropped).toBeLessThan(total * 0.4);
    let running = 0;
    let previousWasWarning = false;
    for (const frame of client.frames) {
      if (frame.type === 'warning') {
        expect(frame).toMatchObject({ code: 'events_dropped', queue_limit: 1024 });
        expect(previousWasWarning).toBe(false); // one warning per gap, before the next event
        running += frame.dropped as number;
        expect(frame.total_dropped).toBe(running);
      }
      previousWasWarning = frame.type === 'warning';
    }
    const seqs = client.events().map((e) => e.seq as number);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
  });

  it('--chaos-disconnect closes clients with 1012 and the server keeps accepting', async () => {
    const server = await startTestServer({ chaosDisconnectMs: 100 });
    const first = await connect(server.url);
    expect(await first.closed).toBe(1012);
    const second = await connect(server.url);
    expect(await second.closed).toBe(1012);
  });
});
