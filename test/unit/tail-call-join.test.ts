import { describe, expect, it } from 'vitest';
import { CallJoin } from '../../src/tail/call-join.js';

const request = (id: string, atS: number) => ({ event_type: 'ToolInvocationRequested', mcp_server_id: 'math', tool_name: 'add', correlation_id: id, occurred_at: atS });

describe('CallJoin', () => {
  it('a completion without duration_ms takes the time since its request', () => {
    const join = new CallJoin();
    expect(join.add(request('c-1', 100), 0)).toEqual([]);
    const [call] = join.add({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', correlation_id: 'c-1', occurred_at: 100.25 }, 0);
    expect(call).toMatchObject({ outcome: 'completed', tool: 'add', durationMs: 250, requestSeen: true });
    expect(join.allOpen(0)).toEqual([]);
  });

  it('open calls are reported once when they get old, and all of them at the end', () => {
    const join = new CallJoin();
    join.add(request('c-1', 100), 0);
    join.add(request('c-2', 109), 0);
    expect(join.dueOpen(110_000, 10_000).map((call) => call.correlationId)).toEqual(['c-1']);
    expect(join.dueOpen(111_000, 10_000)).toEqual([]);
    expect(join.allOpen(120_000).map((call) => [call.correlationId, call.outcome, call.durationMs])).toEqual([
      ['c-1', 'open', 20_000],
      ['c-2', 'open', 11_000],
    ]);
  });

  it('keeps at most maxOpen requests; the oldest is reported open when evicted', () => {
    const join = new CallJoin(2);
    join.add(request('a', 1), 0);
    join.add(request('b', 2), 0);
    expect(join.add(request('c', 3), 5000).map((call) => [call.correlationId, call.outcome])).toEqual([['a', 'open']]);
    expect(join.allOpen(5000).map((call) => call.correlationId)).toEqual(['b', 'c']);
  });
});
