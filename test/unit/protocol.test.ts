import { describe, expect, it } from 'vitest';
import { decodeClientMessage, decodeServerFrame } from '../../src/protocol/decode.js';
import { compileSubscription, isGatewayPattern, matchesGatewayPattern, matchesGatewaySubscription, matchesSubscription } from '../../src/protocol/filter.js';
import { serverIdentityOf } from '../../src/protocol/server-identity.js';
import { suggest, EVENT_CATALOG } from '../../src/protocol/catalog.js';

describe('gateway patterns', () => {
  it('matches *, exact names and segment patterns the way the gateway does', () => {
    expect(matchesGatewayPattern('*', 'HealthCheckFailed')).toBe(true);
    expect(matchesGatewayPattern('HealthCheckFailed', 'HealthCheckFailed')).toBe(true);
    expect(matchesGatewayPattern('healthcheckfailed', 'HealthCheckFailed')).toBe(false);
    expect(matchesGatewayPattern('tools/*', 'tools/call')).toBe(true);
    expect(matchesGatewayPattern('*/request', 'tools/request')).toBe(true);
    expect(matchesGatewayPattern('tools/*', 'tools/call/x')).toBe(false);
  });
  it('treats a * inside a segment as invalid: it matches nothing', () => {
    expect(isGatewayPattern('Health*')).toBe(false);
    expect(matchesGatewayPattern('Health*', 'HealthCheckFailed')).toBe(false);
    expect(isGatewayPattern('tools/*')).toBe(true);
  });
  it('ANDs across keys, ORs within a key, and an empty list matches nothing', () => {
    const event = { event_type: 'HealthCheckFailed', mcp_server_id: 'math' };
    expect(matchesSubscription({}, event)).toBe(true);
    expect(matchesSubscription({ eventTypes: ['X', 'HealthCheckFailed'], serverIds: ['math'] }, event)).toBe(true);
    expect(matchesSubscription({ eventTypes: ['HealthCheckFailed'], serverIds: ['fetch'] }, event)).toBe(false);
    expect(matchesSubscription({ eventTypes: [] }, event)).toBe(false);
    expect(matchesGatewaySubscription({ eventTypes: ['X', 'HealthCheckFailed'], serverIds: ['math'] }, event)).toBe(true);
    expect(matchesGatewaySubscription({ eventTypes: [] }, event)).toBe(false);
  });
  it('matches a server filter on mcp_server_id only on the gateway, on every identity field on serve', () => {
    for (const field of ['provider_id', 'mcp_server_name', 'provider_name', 'mcp_server']) {
      const event = { event_type: 'X', [field]: 'math' };
      expect(matchesGatewaySubscription({ serverIds: ['math'] }, event), field).toBe(false);
      expect(matchesSubscription({ serverIds: ['math'] }, event), field).toBe(true);
      expect(matchesSubscription({ serverIds: ['fetch'] }, event), field).toBe(false);
    }
    expect(matchesSubscription({ serverIds: ['math'] }, { event_type: 'GroupCreated', group_id: 'math' })).toBe(false);
  });
  it('finds the server identity in protocol order', () => {
    expect(serverIdentityOf({ mcp_server_id: 'a', provider_id: 'p' })).toBe('a');
    expect(serverIdentityOf({ provider_id: 'p', mcp_server_name: 'n' })).toBe('p');
    expect(serverIdentityOf({ mcp_server_name: 'n', provider_name: 'q' })).toBe('n');
    expect(serverIdentityOf({ provider_name: 'q', mcp_server: 'm' })).toBe('q');
    expect(serverIdentityOf({ mcp_server: 'm' })).toBe('m');
    expect(serverIdentityOf({ mcp_server_id: '', mcp_server: 'm' })).toBe('m');
    expect(serverIdentityOf({ mcp_server_id: 42, group_id: 'g' })).toBeUndefined();
    expect(serverIdentityOf({})).toBeUndefined();
  });
});

describe('decoding', () => {
  it('decodes subscribe, legacy subscribe and pong, and rejects the rest with a reason', () => {
    expect(decodeClientMessage('{"type": "subscribe", "event_types": ["A"]}')).toEqual({ ok: true, value: { type: 'subscribe', event_types: ['A'] } });
    expect(decodeClientMessage('{"mcp_server_ids": ["math"]}')).toEqual({ ok: true, value: { type: 'subscribe', mcp_server_ids: ['math'] } });
    expect(decodeClientMessage('{"type":"pong"}')).toEqual({ ok: true, value: { type: 'pong' } });
    expect(decodeClientMessage('[1]')).toMatchObject({ ok: false });
    expect(decodeClientMessage('{"type":"subscribe","event_types":"A"}')).toMatchObject({ ok: false, error: expect.stringContaining('event_types') });
    expect(decodeClientMessage('{"type":"subscribe","replay":{"last":-1}}')).toMatchObject({ ok: false });
    expect(decodeClientMessage('{"__proto__":{"x":1},"type":"subscribe"}')).toEqual({ ok: true, value: { type: 'subscribe' } });
  });
  it('tells events from control messages, whatever the spacing', () => {
    expect(decodeServerFrame('{"event_type": "X", "occurred_at": 1.5}')).toEqual({ ok: true, value: { kind: 'event', event: { event_type: 'X', occurred_at: 1.5 } } });
    expect(decodeServerFrame('{"type": "ping"}')).toEqual({ ok: true, value: { kind: 'control', message: { type: 'ping' } } });
    expect(decodeServerFrame('not json')).toMatchObject({ ok: false });
    expect(decodeServerFrame('{"event_type": 3}')).toMatchObject({ ok: false });
  });
});

describe('decoding what a hostile or restarted server sends', () => {
  it('validates drop and replay counts: a negative, fractional, huge or non-number count is 0', () => {
    for (const bad of ['-5', '1.5', '1e400', '9007199254740993', '"7"', 'null']) {
      const warning = decodeServerFrame(`{"type":"warning","code":"events_dropped","dropped":${bad},"total_dropped":${bad},"queue_limit":${bad},"message":"m"}`);
      expect(warning, bad).toEqual({ ok: true, value: { kind: 'control', message: { type: 'warning', code: 'events_dropped', dropped: 0, total_dropped: 0, message: 'm' } } });
      const replayed = decodeServerFrame(`{"type":"replayed","count":${bad},"complete":true}`);
      expect(replayed, bad).toEqual({ ok: true, value: { kind: 'control', message: { type: 'replayed', count: 0, complete: true } } });
    }
    expect(decodeServerFrame('{"type":"warning","dropped":17,"total_dropped":42,"queue_limit":1024,"message":""}')).toMatchObject({
      value: { message: { dropped: 17, total_dropped: 42, queue_limit: 1024 } },
    });
  });

  it('reads the instance_id of an ack, and a replay.after that names one', () => {
    expect(decodeServerFrame('{"type":"subscribed","event_types":[],"mcp_server_ids":[],"instance_id":"run-1"}')).toMatchObject({ value: { message: { instance_id: 'run-1' } } });
    expect(decodeServerFrame('{"type": "subscribed", "event_types": [], "mcp_server_ids": []}')).toEqual({
      ok: true,
      value: { kind: 'control', message: { type: 'subscribed', event_types: [], mcp_server_ids: [] } },
    });
    expect(decodeClientMessage('{"type":"subscribe","replay":{"after":"e-1","instance_id":"run-1"}}')).toEqual({
      ok: true,
      value: { type: 'subscribe', replay: { after: 'e-1', instance_id: 'run-1' } },
    });
    expect(decodeClientMessage('{"type":"subscribe","replay":{"last":5,"instance_id":"run-1"}}')).toMatchObject({ ok: false });
    expect(decodeClientMessage('{"type":"subscribe","replay":{"after":"e-1","instance_id":7}}')).toMatchObject({ ok: false });
  });

  it('reads a replay_filter (lists of strings under known keys) and the kept count of a replayed', () => {
    expect(decodeClientMessage('{"type":"subscribe","replay":{"last":5},"replay_filter":{"types":["*Failed"],"where":["duration_ms>1"]}}')).toEqual({
      ok: true,
      value: { type: 'subscribe', replay: { last: 5 }, replay_filter: { types: ['*Failed'], where: ['duration_ms>1'] } },
    });
    expect(decodeClientMessage('{"type":"subscribe","replay_filter":{"types":"*Failed"}}')).toEqual({ ok: false, error: '"replay_filter.types" must be a list of strings' });
    expect(decodeClientMessage('{"type":"subscribe","replay_filter":{"regex":[]}}')).toMatchObject({ ok: false, error: expect.stringContaining('not "regex"') });
    expect(decodeClientMessage('{"type":"subscribe","replay_filter":[]}')).toMatchObject({ ok: false });
    expect(decodeServerFrame('{"type":"replayed","count":3,"complete":true,"kept":200}')).toEqual({ ok: true, value: { kind: 'control', message: { type: 'replayed', count: 3, complete: true, kept: 200 } } });
    expect(decodeServerFrame('{"type":"replayed","count":3,"complete":true,"kept":-2}')).toEqual({ ok: true, value: { kind: 'control', message: { type: 'replayed', count: 3, complete: true } } });
  });
});

describe('catalog suggestions', () => {
  const names = EVENT_CATALOG.map((e) => e.name);
  it('suggests the case-insensitive match first, else the nearest names', () => {
    expect(suggest('healthcheckfailed', names)).toEqual(['HealthCheckFailed']);
    expect(suggest('HealthCheckFialed', names)[0]).toBe('HealthCheckFailed');
    expect(suggest('Zzzzzz', names)).toEqual([]);
  });
});

describe('compiled subscriptions (serve compiles each subscribe once)', () => {
  const types = ['ToolInvocationCompleted', 'tools/call/request', 'tools/list', 'a/b', 'a/b/c', 'A/B', 'x', 'Health*', 'tools/*', '*/request', 'a/*/c', ''];
  const events = [
    ...types.map((event_type) => ({ event_type })),
    { event_type: 'McpServerStarted', mcp_server_id: 'math' },
    { event_type: 'McpServerDiscovered', mcp_server_name: 'math' },
    { event_type: 'tools/call/request', provider_id: 'db' },
  ];
  const filters = [
    {},
    { eventTypes: [] },
    { eventTypes: ['*'] },
    { eventTypes: ['ToolInvocationCompleted', 'tools/*'] },
    { eventTypes: ['*/*/request', 'a/*/c', 'Health*', 'tools/list*'] },
    { eventTypes: ['a/b'], serverIds: ['math'] },
    { serverIds: [] },
    { serverIds: ['math', 'db'] },
    { eventTypes: ['McpServerStarted', 'McpServerDiscovered', 'tools/call/request'], serverIds: ['math'] },
  ];
  it('agrees with matchesSubscription on every filter and event, also when asked twice (the memo)', () => {
    for (const filter of filters) {
      const matches = compileSubscription(filter);
      for (const event of [...events, ...events]) expect(matches(event), `${JSON.stringify(filter)} ${JSON.stringify(event)}`).toBe(matchesSubscription(filter, event));
    }
  });

  it('does not split strings per event: 256 long segment patterns cost a publish no more than one', () => {
    // 256 patterns like a/a/.../x0 (the CPU amplification of a hostile client): the work is counted, not timed.
    const patterns = Array.from({ length: 256 }, (_, i) => `${'a/'.repeat(200)}x${i}`);
    const matches = compileSubscription({ eventTypes: patterns });
    const split = String.prototype.split;
    let splits = 0;
    String.prototype.split = function (this: string, ...args: Parameters<typeof split>) {
      splits++;
      return split.apply(this, args);
    } as typeof split;
    try {
      for (let i = 0; i < 1000; i++) {
        matches({ event_type: i % 2 ? 'tools/call/request' : `${'a/'.repeat(200)}x7` });
        matches({ event_type: 'ToolInvocationCompleted' });
      }
    } finally {
      String.prototype.split = split;
    }
    // Each distinct event type is split once; the verdict is remembered.
    expect(splits).toBeLessThanOrEqual(2);
    expect(matches({ event_type: `${'a/'.repeat(200)}x7` })).toBe(true);
    expect(matches({ event_type: `${'a/'.repeat(200)}x999` })).toBe(false);
  });
});
