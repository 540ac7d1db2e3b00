import { describe, expect, it } from 'vitest';
import { History } from '../../src/server/history.js';
import { LiveEvent } from '../../src/server/live-event.js';
import type { HangarEvent } from '../../src/protocol/types.js';

const entry = (n: number, server = 'math') => {
  const event: HangarEvent = { event_type: 'E', event_id: `id-${n}`, occurred_at: 100 + n, mcp_server_id: server };
  return { event, frame: Buffer.from(JSON.stringify(event)), occurredAtS: 100 + n };
};
const push = (history: History, e: ReturnType<typeof entry>) => history.push(LiveEvent.of(e.event, e.frame), e.occurredAtS);
const ns = (frames: Buffer[]) => frames.map((f) => (JSON.parse(f.toString()) as HangarEvent).event_id);

describe('History', () => {
  it('answers last/since/after completely while nothing was evicted', () => {
    const history = new History({ capacity: 10, maxBytes: 1 << 20 });
    for (let n = 1; n <= 5; n++) push(history, entry(n, n % 2 ? 'math' : 'fetch'));
    expect(history.replay({ last: 2 }, {})).toEqual({ frames: expect.any(Array), positions: [3, 4], complete: true });
    expect(ns(history.replay({ last: 2 }, {}).frames)).toEqual(['id-4', 'id-5']);
    expect(ns(history.replay({ last: 2 }, { serverIds: ['math'] }).frames)).toEqual(['id-3', 'id-5']);
    expect(history.replay({ last: 50 }, {}).complete).toBe(true);
    expect(ns(history.replay({ since: 103 }, {}).frames)).toEqual(['id-3', 'id-4', 'id-5']);
    expect(ns(history.replay({ after: 'id-2' }, { serverIds: ['fetch'] }).frames)).toEqual(['id-4']);
    expect(history.replay({ after: 'unknown' }, {}).complete).toBe(false);
    expect(history.replay({ last: 0 }, {})).toEqual({ frames: [], positions: [], complete: true });
  });

  it('evicts beyond capacity and bytes, and then says complete:false only when the gap matters', () => {
    const history = new History({ capacity: 3, maxBytes: 1 << 20 });
    for (let n = 1; n <= 6; n++) push(history, entry(n));
    expect(history.length).toBe(3);
    expect(ns(history.replay({ last: 3 }, {}).frames)).toEqual(['id-4', 'id-5', 'id-6']);
    expect(history.replay({ last: 3 }, {}).complete).toBe(true);
    expect(history.replay({ last: 4 }, {}).complete).toBe(false);
    expect(history.replay({ since: 104 }, {}).complete).toBe(true);
    expect(history.replay({ since: 103 }, {}).complete).toBe(false);
    expect(history.replay({ after: 'id-3' }, {}).complete).toBe(false);
    expect(history.replay({ after: 'id-4' }, {})).toMatchObject({ complete: true });
    const small = new History({ capacity: 100, maxBytes: entry(1).frame.length * 2 });
    for (let n = 1; n <= 5; n++) push(small, entry(n));
    expect(small.length).toBe(2);
    expect(small.byteLength).toBeLessThanOrEqual(entry(1).frame.length * 2);
  });

  it('keeps a duplicate id pointing at the newest entry', () => {
    const history = new History({ capacity: 2, maxBytes: 1 << 20 });
    push(history, entry(1));
    const again = entry(1);
    push(history, { ...again, occurredAtS: 200 });
    push(history, entry(2)); // evicts the first id-1, must not forget the second
    expect(history.replay({ after: 'id-1' }, {})).toMatchObject({ complete: true });
    expect(ns(history.replay({ after: 'id-1' }, {}).frames)).toEqual(['id-2']);
  });

  it('finds ids by after once the ring has wrapped many times, and forgets evicted ones', () => {
    const history = new History({ capacity: 7, maxBytes: 1 << 20 });
    for (let n = 1; n <= 53; n++) push(history, entry(n, n % 3 ? 'math' : 'fetch'));
    expect(history.length).toBe(7);
    expect(ns(history.replay({ last: 7 }, {}).frames)).toEqual(['id-47', 'id-48', 'id-49', 'id-50', 'id-51', 'id-52', 'id-53']);
    expect(history.replay({ after: 'id-50' }, {})).toMatchObject({ complete: true });
    expect(ns(history.replay({ after: 'id-50' }, {}).frames)).toEqual(['id-51', 'id-52', 'id-53']);
    expect(ns(history.replay({ after: 'id-47' }, { serverIds: ['fetch'] }).frames)).toEqual(['id-48', 'id-51']);
    expect(ns(history.replay({ after: 'id-53' }, {}).frames)).toEqual([]);
    expect(history.replay({ after: 'id-53' }, {}).complete).toBe(true);
    // Evicted: everything kept is replayed, and the answer says it may not be all.
    expect(history.replay({ after: 'id-46' }, {})).toMatchObject({ complete: false });
    expect(ns(history.replay({ after: 'id-46' }, {}).frames)).toHaveLength(7);
    expect(ns(history.replay({ since: 150 }, {}).frames)).toEqual(['id-50', 'id-51', 'id-52', 'id-53']);
    expect(history.replay({ since: 150 }, {}).complete).toBe(true);
    expect(history.replay({ since: 146 }, {}).complete).toBe(false);
  });

  it('with capacity 0 keeps nothing and never claims completeness once something was published', () => {
    const history = new History({ capacity: 0, maxBytes: 1 << 20 });
    expect(history.replay({ last: 5 }, {}).complete).toBe(true);
    push(history, entry(1));
    expect(history.replay({ last: 5 }, {})).toEqual({ frames: [], positions: [], complete: false });
  });
});
