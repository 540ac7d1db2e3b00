import {
  MAX_SUBSCRIBE_ENTRIES,
  type ClientMessage,
  type HangarEvent,
  type ReplayFilter,
  type ReplayRequest,
  type ServerControlMessage,
} from './types.js';

/**
 * Total decoding of peer input: every function returns a result and never
 * throws, whatever bytes arrive.
 */

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const fail = <T>(error: string): Decoded<T> => ({ ok: false, error });

/** Parses JSON without throwing. */
export function parseJson(text: string): Decoded<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An event is a JSON object with a non-empty string `event_type`. */
export function decodeEvent(value: unknown): Decoded<HangarEvent> {
  if (!isPlainObject(value)) return fail('an event must be a JSON object');
  if (typeof value.event_type !== 'string' || value.event_type.length === 0) {
    return fail('an event needs a non-empty string "event_type"');
  }
  return ok(value as HangarEvent);
}

function decodeStringList(value: unknown, key: string): Decoded<string[] | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (!Array.isArray(value)) return fail(`"${key}" must be a list of strings`);
  if (value.length > MAX_SUBSCRIBE_ENTRIES) return fail(`"${key}" has ${value.length} entries; the limit is ${MAX_SUBSCRIBE_ENTRIES}`);
  for (const item of value) {
    if (typeof item !== 'string') return fail(`"${key}" must be a list of strings`);
  }
  return ok(value as string[]);
}

function decodeReplay(value: unknown): Decoded<ReplayRequest | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (!isPlainObject(value)) return fail('"replay" must be an object such as {"last": 100}');
  const keys = Object.keys(value).filter((key) => !('after' in value && key === 'instance_id'));
  if (keys.length !== 1) return fail('"replay" takes exactly one of "last", "since" or "after"');
  if ('last' in value) {
    const last = value.last;
    if (typeof last !== 'number' || !Number.isInteger(last) || last < 0) return fail('"replay.last" must be a whole number >= 0');
    return ok({ last });
  }
  if ('since' in value) {
    const since = value.since;
    if (typeof since !== 'number' || !Number.isFinite(since)) return fail('"replay.since" must be Unix seconds');
    return ok({ since });
  }
  if ('after' in value) {
    const after = value.after;
    if (typeof after !== 'string' || after.length === 0 || after.length > 256) return fail('"replay.after" must be an event id');
    const instance = value.instance_id;
    if (instance === undefined) return ok({ after });
    if (typeof instance !== 'string' || instance.length === 0 || instance.length > 256) return fail('"replay.instance_id" must be the instance_id of an earlier ack');
    return ok({ after, instance_id: instance });
  }
  return fail('"replay" takes exactly one of "last", "since" or "after"');
}

const REPLAY_FILTER_KEYS = ['types', 'exclude_types', 'servers', 'groups', 'where'] as const;

function decodeReplayFilter(value: unknown): Decoded<ReplayFilter | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (!isPlainObject(value)) return fail('"replay_filter" must be an object such as {"types": ["*Failed"]}');
  const filter: ReplayFilter = {};
  for (const key of Object.keys(value)) {
    if (!(REPLAY_FILTER_KEYS as readonly string[]).includes(key)) return fail(`"replay_filter" takes ${REPLAY_FILTER_KEYS.map((k) => `"${k}"`).join(', ')}; not ${JSON.stringify(key).slice(0, 80)}`);
  }
  for (const key of REPLAY_FILTER_KEYS) {
    const list = decodeStringList(value[key], `replay_filter.${key}`);
    if (!list.ok) return list;
    if (list.value) filter[key] = list.value;
  }
  return ok(filter);
}

/**
 * Decodes a client frame. A message without `type` but with `event_types` or
 * `mcp_server_ids` is a (legacy) subscribe.
 */
export function decodeClientMessage(text: string): Decoded<ClientMessage> {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (!isPlainObject(value)) return fail('a message must be a JSON object');
  const type = value.type;
  const legacy = type === undefined && ('event_types' in value || 'mcp_server_ids' in value);
  if (type === 'pong') return ok({ type: 'pong' });
  if (type !== 'subscribe' && !legacy) {
    if (type === undefined) return fail('a message needs a "type" ("subscribe" or "pong")');
    return fail(`unknown message type ${JSON.stringify(String(type)).slice(0, 80)}; expected "subscribe" or "pong"`);
  }
  const eventTypes = decodeStringList(value.event_types, 'event_types');
  if (!eventTypes.ok) return eventTypes;
  const serverIds = decodeStringList(value.mcp_server_ids, 'mcp_server_ids');
  if (!serverIds.ok) return serverIds;
  const replay = decodeReplay(value.replay);
  if (!replay.ok) return replay;
  const replayFilter = decodeReplayFilter(value.replay_filter);
  if (!replayFilter.ok) return replayFilter;
  const message: ClientMessage = { type: 'subscribe' };
  if (eventTypes.value) message.event_types = eventTypes.value;
  if (serverIds.value) message.mcp_server_ids = serverIds.value;
  if (replay.value) message.replay = replay.value;
  if (replayFilter.value) message.replay_filter = replayFilter.value;
  return ok(message);
}

/** A count from a peer: a whole number >= 0 that arithmetic keeps exact (a hostile -5 or 1e400 is not one). */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A peer's count, or 0 when it is not a valid one. */
function countOf(value: unknown): number {
  return isCount(value) ? value : 0;
}

/** A frame from a server: an event (has `event_type`) or a control message (has `type`). */
export type ServerFrame =
  | { kind: 'event'; event: HangarEvent }
  | { kind: 'control'; message: ServerControlMessage }
  | { kind: 'unknown-control'; type: string; value: Record<string, unknown> };

/** Decodes a server frame. Garbage yields an error result, never an exception. */
export function decodeServerFrame(text: string): Decoded<ServerFrame> {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (!isPlainObject(value)) return fail('frame is not a JSON object');
  if ('event_type' in value) {
    const event = decodeEvent(value);
    return event.ok ? ok({ kind: 'event', event: event.value }) : event;
  }
  const type = value.type;
  if (typeof type !== 'string') return fail('frame has neither "event_type" nor "type"');
  switch (type) {
    case 'subscribed':
      return ok({
        kind: 'control',
        message: {
          type,
          event_types: Array.isArray(value.event_types) ? value.event_types.filter((t): t is string => typeof t === 'string') : [],
          mcp_server_ids: Array.isArray(value.mcp_server_ids) ? value.mcp_server_ids.filter((t): t is string => typeof t === 'string') : [],
          ...(typeof value.instance_id === 'string' && value.instance_id.length > 0 && value.instance_id.length <= 256 ? { instance_id: value.instance_id } : {}),
        },
      });
    case 'ping':
      return ok({ kind: 'control', message: { type } });
    case 'warning':
      return ok({
        kind: 'control',
        message: {
          type,
          code: typeof value.code === 'string' ? value.code : 'unknown',
          dropped: countOf(value.dropped),
          total_dropped: countOf(value.total_dropped),
          ...(isCount(value.queue_limit) ? { queue_limit: value.queue_limit } : {}),
          ...(isCount(value.down_ms) ? { down_ms: value.down_ms } : {}),
          message: typeof value.message === 'string' ? value.message : '',
        },
      });
    case 'replayed':
      return ok({
        kind: 'control',
        message: { type, count: countOf(value.count), complete: value.complete !== false, ...(isCount(value.kept) ? { kept: value.kept } : {}) },
      });
    case 'error':
      return ok({
        kind: 'control',
        message: {
          type,
          code: typeof value.code === 'string' ? value.code : 'error',
          message: typeof value.message === 'string' ? value.message : '',
        },
      });
    default:
      return ok({ kind: 'unknown-control', type, value });
  }
}

/**
 * Decodes one NDJSON line into an event (for stdin, replay files, ingest
 * bodies and recordings). Never throws; the error says what is wrong.
 */
export function decodeEventLine(line: string): Decoded<HangarEvent> {
  const parsed = parseJson(line);
  return parsed.ok ? decodeIngestedEvent(parsed.value) : parsed;
}

/**
 * Deepest nesting an event taken in by serve (stdin, replay files, POST
 * /api/events) may have. JSON.parse reads any depth, but serializing an event
 * for subscribers overflows the stack a few thousand levels down; refusing it
 * at the door names the line, where failing later would lose it silently.
 */
export const MAX_EVENT_DEPTH = 1000;

/** decodeEvent, and the event nests at most MAX_EVENT_DEPTH levels (objects and arrays). */
export function decodeIngestedEvent(value: unknown): Decoded<HangarEvent> {
  const decoded = decodeEvent(value);
  if (decoded.ok && nestsDeeperThan(value, MAX_EVENT_DEPTH)) {
    return fail(`the event is nested deeper than ${MAX_EVENT_DEPTH} levels of objects and arrays; flatten it`);
  }
  return decoded;
}

/** Whether `value` nests objects and arrays deeper than `limit` levels (the value itself is level 1); iterative, never throws. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
