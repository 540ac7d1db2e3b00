import type { ColorScheme } from '../../io/color-level.js';
import type { OutputStream } from '../../io/io.js';
import type { HangarEvent } from '../../protocol/types.js';
import { formatDuration } from '../../format/duration.js';
import { formatBytes } from '../../format/bytes.js';
import { formatPairValue, formatValue } from '../../render/fields.js';
import { fitLine } from '../../render/line-fit.js';
import { escapeJsonForTerminal, stripControl } from '../../protocol/sanitize.js';
import { formatTime, type TimeMode } from '../../render/time-format.js';
import { CallJoin, type ToolCall } from '../call-join.js';
import type { SourceRef } from '../../feed/messages.js';
import type { StatusReporter } from '../status.js';
import type { SinkStart } from './sink.js';
import { WriterSink } from './writer-sink.js';
import type { Clock, Timer } from '../../io/clock.js';

/** A call still open this long is shown once as open (and again, with its outcome, when it ends). */
export const OPEN_CALL_REPORT_MS = 10_000;

export interface CallsSinkOptions {
  readonly stdout: OutputStream;
  readonly colors: ColorScheme;
  readonly time: TimeMode;
  /** NDJSON call objects instead of lines. */
  readonly json: boolean;
  readonly nowMs: () => number;
  /** The once-a-second check for calls open too long (tail passes io.clock). */
  readonly clock: Pick<Clock, 'setInterval'>;
  readonly widthOf: () => number | undefined;
  readonly wide: boolean;
  readonly status: StatusReporter;
  /** -n: after this many ended (completed or failed) calls, `onCount` ends the tail. */
  readonly count?: number | undefined;
  readonly onCount?: (() => void) | undefined;
}

/**
 * `tail --calls`: one line per tool call, a ToolInvocationRequested joined
 * with its Completed or Failed by correlation_id, with duration and outcome:
 *
 *     12:00:01.200 github search_issues ok 1.2s 2.1KiB args={…3 keys} 5b0c6f0e…
 *     12:00:03.000 math div FAILED 20ms ZeroDivisionError: division by zero
 *     12:00:15.000 fetch get open 10.0s+ args={"url":"https://example.com"}
 *
 * Calls open for 10 s are shown as `open` once; calls still open at exit are
 * listed then. With -o ndjson each call is a JSON object on its own line.
 */
export class CallsSink extends WriterSink {
  private readonly join = new CallJoin();
  private timer: Timer | undefined;
  private ended = 0;

  constructor(private readonly options: CallsSinkOptions) {
    super(options.stdout, options.status);
  }

  start(_context: SinkStart): void {
    this.timer = this.options.clock
      .setInterval(() => {
        for (const call of this.join.dueOpen(this.options.nowMs(), OPEN_CALL_REPORT_MS)) this.write(call);
      }, 1000)
      .unref();
  }

  event(event: HangarEvent, _raw: string, _source: SourceRef): void {
    const { count, onCount } = this.options;
    for (const call of this.join.add(event, this.options.nowMs())) {
      if (count !== undefined && this.ended >= count) return;
      this.write(call);
      if (call.outcome !== 'open' && ++this.ended === count) onCount?.();
    }
  }

  override async close(): Promise<void> {
    this.timer?.cancel();
    // The calls still open, unless -n calls were shown (a script asked for exactly that many).
    const { count } = this.options;
    if (count === undefined || this.ended < count) for (const call of this.join.allOpen(this.options.nowMs())) this.write(call);
    await super.close();
  }

  private write(call: ToolCall): void {
    // JSON on a terminal: what it must not get raw inside a string is escaped (the same value).
    const line = this.options.json ? (this.options.stdout.isTTY ? escapeJsonForTerminal(JSON.stringify(callJson(call))) : JSON.stringify(callJson(call))) : formatCallLine(call, this.options);
    this.writer.write(`${line}\n`);
  }
}

/** One call as a line (pure; peer strings sanitized). */
export function formatCallLine(call: ToolCall, options: Pick<CallsSinkOptions, 'colors' | 'time' | 'nowMs' | 'widthOf' | 'wide'>): string {
  const { colors } = options;
  let line = '';
  if (options.time !== 'none') line += `${colors.dim(formatTime(call.atMs, options.time, options.nowMs()))} `;
  line += `${colors.bold(call.server === undefined ? '-' : stripControl(call.server).slice(0, 80))} ${call.tool === undefined ? '?' : stripControl(call.tool).slice(0, 80)}`;
  const duration = call.durationMs === undefined ? '' : ` ${formatDuration(call.durationMs)}${call.outcome === 'open' ? '+' : ''}`;
  if (call.outcome === 'completed') line += ` ${colors.success('ok')}${duration}`;
  else if (call.outcome === 'failed') line += ` ${colors.failure('FAILED')}${duration}`;
  else line += ` ${colors.warning('open')}${duration}`;
  if (typeof call.resultSizeBytes === 'number') line += ` ${formatBytes(call.resultSizeBytes)}`;
  if (call.outcome === 'failed' && (call.errorType !== undefined || call.errorMessage !== undefined)) {
    const parts = [call.errorType, call.errorMessage].filter((part) => part !== undefined && part !== null && part !== '').map(formatValue);
    if (parts.length > 0) line += ` ${colors.failure(parts.join(': '))}`;
  }
  if (call.arguments !== undefined && call.arguments !== null) {
    const full = formatPairValue(call.arguments);
    const short = options.wide || full.length <= 40 || typeof call.arguments !== 'object' ? full : `{…${Object.keys(call.arguments).length} keys}`;
    line += ` ${colors.key('args=')}${short}`;
  }
  if (!call.requestSeen) line += ` ${colors.dim('(requested before tail started)')}`;
  if (call.correlationId !== undefined) {
    const id = stripControl(call.correlationId);
    line += ` ${colors.dim(options.wide || id.length <= 12 ? id : `${id.slice(0, 8)}…`)}`;
  }
  const width = options.wide ? undefined : options.widthOf();
  return width === undefined ? line : fitLine(line, width);
}

/** One call as a JSON object (for -o ndjson --calls). */
export function callJson(call: ToolCall): Record<string, unknown> {
  return {
    outcome: call.outcome,
    mcp_server_id: call.server ?? null,
    tool_name: call.tool ?? null,
    correlation_id: call.correlationId ?? null,
    duration_ms: call.durationMs ?? null,
    requested_at: call.requestedAtMs === undefined ? null : new Date(call.requestedAtMs).toISOString(),
    at: new Date(call.atMs).toISOString(),
    arguments: call.arguments ?? null,
    error_type: call.errorType ?? null,
    error_message: call.errorMessage ?? null,
    result_size_bytes: call.resultSizeBytes ?? null,
    request_seen: call.requestSeen,
  };
}
