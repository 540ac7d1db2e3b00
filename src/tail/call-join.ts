import type { HangarEvent } from '../protocol/types.js';
import { serverIdentityOf } from '../protocol/server-identity.js';
import { eventTimeMs } from '../protocol/event-time.js';

/**
 * `--calls`: tool invocations as calls. A ToolInvocationRequested is held by
 * its correlation_id until its ToolInvocationCompleted or ...Failed arrives;
 * the pair becomes one call with its duration and outcome. A completion
 * whose request came before the tail started is a call too (its duration from
 * `duration_ms`). Requests still waiting can be listed as open.
 */

export type CallOutcome = 'completed' | 'failed' | 'open';

export interface ToolCall {
  readonly outcome: CallOutcome;
  readonly correlationId: string | undefined;
  readonly server: string | undefined;
  readonly tool: string | undefined;
  /** When it was requested (event time, else arrival), if the request was seen. */
  readonly requestedAtMs: number | undefined;
  /** When it ended (completed/failed), or "now" for an open call. */
  readonly atMs: number;
  /** duration_ms of the completion, else the time between request and end (or now, when open). */
  readonly durationMs: number | undefined;
  readonly arguments: unknown;
  readonly errorType: unknown;
  readonly errorMessage: unknown;
  readonly resultSizeBytes: unknown;
  /** The request was not seen (the call began before the tail). */
  readonly requestSeen: boolean;
}

interface OpenCall {
  readonly request: HangarEvent;
  readonly atMs: number;
  reported: boolean;
}

const REQUESTED = new Set(['ToolInvocationRequested']);
const ENDED = new Set(['ToolInvocationCompleted', 'ToolInvocationFailed']);

/** Whether `--calls` needs this event type. */
export function isCallEvent(eventType: string): boolean {
  return REQUESTED.has(eventType) || ENDED.has(eventType);
}

export class CallJoin {
  private readonly open = new Map<string, OpenCall>();

  /** `maxOpen`: requests kept waiting at most (the oldest is reported open and forgotten beyond it). */
  constructor(private readonly maxOpen = 10_000) {}

  /** Folds one event in; returns the calls it completes (or, past maxOpen, the oldest open one it evicts). */
  add(event: HangarEvent, arrivalMs: number): ToolCall[] {
    const id = typeof event.correlation_id === 'string' ? event.correlation_id : undefined;
    const atMs = eventTimeMs(event) ?? arrivalMs;
    if (REQUESTED.has(event.event_type)) {
      if (id === undefined) return [openCall({ request: event, atMs, reported: false }, arrivalMs)];
      this.open.set(id, { request: event, atMs, reported: false });
      if (this.open.size > this.maxOpen) {
        const [oldestId, oldest] = this.open.entries().next().value as [string, OpenCall];
        this.open.delete(oldestId);
        return [openCall(oldest, arrivalMs)];
      }
      return [];
    }
    if (!ENDED.has(event.event_type)) return [];
    const started = id === undefined ? undefined : this.open.get(id);
    if (id !== undefined) this.open.delete(id);
    const request = started?.request;
    const duration = typeof event.duration_ms === 'number' ? event.duration_ms : started ? atMs - started.atMs : undefined;
    return [
      {
        outcome: event.event_type === 'ToolInvocationFailed' ? 'failed' : 'completed',
        correlationId: id,
        server: serverIdentityOf(event) ?? (request ? serverIdentityOf(request) : undefined),
        tool: typeof event.tool_name === 'string' ? event.tool_name : typeof request?.tool_name === 'string' ? request.tool_name : undefined,
        requestedAtMs: started?.atMs,
        atMs,
        durationMs: duration,
        arguments: request?.arguments,
        errorType: event.error_type,
        errorMessage: event.error_message,
        resultSizeBytes: event.result_size_bytes,
        requestSeen: started !== undefined,
      },
    ];
  }

  /** Calls open for at least `olderThanMs` and not reported yet (each is returned once). */
  dueOpen(nowMs: number, olderThanMs: number): ToolCall[] {
    const due: ToolCall[] = [];
    for (const call of this.open.values()) {
      if (!call.reported && nowMs - call.atMs >= olderThanMs) {
        call.reported = true;
        due.push(openCall(call, nowMs));
      }
    }
    return due;
  }

  /** Every call still open (at exit). */
  allOpen(nowMs: number): ToolCall[] {
    return [...this.open.values()].map((call) => openCall(call, nowMs));
  }
}

function openCall(call: OpenCall, nowMs: number): ToolCall {
  const request = call.request;
  return {
    outcome: 'open',
    correlationId: typeof request.correlation_id === 'string' ? request.correlation_id : undefined,
    server: serverIdentityOf(request),
    tool: typeof request.tool_name === 'string' ? request.tool_name : undefined,
    requestedAtMs: call.atMs,
    atMs: nowMs,
    durationMs: Math.max(0, nowMs - call.atMs),
    arguments: request.arguments,
    errorType: undefined,
    errorMessage: undefined,
    resultSizeBytes: undefined,
    requestSeen: true,
  };
}
