import type { ColorScheme } from '../io/color-level.js';
import type { HangarEvent } from '../protocol/types.js';
import { formatBytes } from '../format/bytes.js';
import { formatDuration } from '../format/duration.js';
import { compilePath, getPath, type FieldPath } from '../protocol/field-path.js';
import { formatPairValue, formatValue, truncate } from './fields.js';
import { stripControl } from '../protocol/sanitize.js';
import { serverIdentityFieldOf } from '../protocol/server-identity.js';
import { severityOf, severityOfState, type Severity } from './event-severity.js';
import { colorOfSeverity, SECURITY_TAG } from './severity.js';
import { renderTemplate, type CompiledTemplate } from './template.js';
import { formatTime, type TimeMode } from './time-format.js';
import { eventTimeMs } from '../protocol/event-time.js';
import { plural } from '../format/plural.js';
import { fitLine } from './line-fit.js';


/** Everything a pretty line depends on besides the event; built once per tail, not per event. */
export interface LineContext {
  colors: ColorScheme;
  time: TimeMode;
  /** Reference time for `--time relative` (the injected clock). */
  nowMs: number;
  /**
   * The arrival time (the injected wall clock), asked only for an event that
   * carries neither `occurred_at` nor `timestamp`: its time column shows when
   * it arrived, marked with ARRIVAL_MARK. Without it such an event shows `-`.
   */
  arrivalMs?: () => number;
  /** Cut the line to this many terminal columns (a terminal's width); undefined: never cut. */
  width?: number;
  /**
   * `-v/--wide`: every field in full. Otherwise bulky values are shown short:
   * `arguments` and `identity_context` beyond 40 characters as `{…3 keys}`,
   * a `correlation_id` longer than 12 characters by its first 8.
   */
  wide?: boolean;
  /** `--fields`: show exactly these fields (dotted paths allowed) after the type and server. */
  fields?: readonly string[];
  /** `--format`: a custom line instead of the default layout. */
  template?: CompiledTemplate;
  /** The stream the event came from, when several are merged: a label in its stable color leads the line. */
  source?: { label: string; index: number };
}

/** After a time that is the arrival time, not the event's own (it had no occurred_at or timestamp). */
export const ARRIVAL_MARK = '~';

/** Keys never repeated in the `key=value` tail of a line: identity and time (shown in the time column or not useful). */
export const identityKeys: ReadonlySet<string> = new Set(['event_type', 'event_id', 'occurred_at', 'produced_by', 'timestamp']);

/** Fields rendered in the highlighted part of the line (with units or as a transition), in display order. */
export const highlightedKeys: ReadonlySet<string> = new Set([
  'old_state', 'new_state', 'tool_name', 'duration_ms', 'startup_duration_ms', 'idle_duration_s', 'result_size_bytes',
  'error_type', 'error_message', 'consecutive_failures', 'total_failures',
]);

/**
 * One event as one terminal line (no trailing newline):
 *
 *     [source] time type server highlights key=value ...
 *
 * The type is colored by severity; a security or enforcement event is led
 * by `[SECURITY]` in the alert style, so it stands out without color too.
 * The server is the event's identity (mcp_server_id, provider_id,
 * mcp_server_name, provider_name, mcp_server) or `-`.
 * Highlights, when present: a state transition `ready -> degraded`, the tool
 * name, `duration_ms` with units (`12.5ms`, `1.2s`), `startup 1.2s`,
 * `idle 5m00s`, the result size (`42B`, `1.3KiB`), the error
 * (`error_type: error_message`) and `3 consecutive failures (7 total)`.
 * The other fields follow as `key=value` (nulls and identity fields skipped;
 * objects as compact JSON, cut at 200 characters). With `ctx.fields` the
 * line is the header plus exactly those fields as `key=value` (`-` when
 * missing); with `ctx.template` it is the template. Every peer string is
 * sanitized.
 */
export function formatEventLine(event: HangarEvent, ctx: LineContext): string {
  const line = formatFullLine(event, ctx);
  // A --format template is the user's own layout: never cut.
  return ctx.width === undefined || ctx.template !== undefined ? line : fitLine(line, ctx.width);
}

function formatFullLine(event: HangarEvent, ctx: LineContext): string {
  const colors = ctx.colors;
  let line = '';
  if (ctx.source !== undefined) line = `${colors.source(ctx.source.index, stripControl(ctx.source.label))} `;
  if (ctx.template !== undefined) return line + renderTemplate(ctx.template, event, colors, { time: ctx.time, nowMs: ctx.nowMs });

  const serverKey = serverIdentityFieldOf(event);
  line += formatHead(event, serverKey, ctx);
  if (ctx.fields !== undefined) return line + formatPickedFields(event, compiledFields(ctx.fields), colors);

  line += formatHighlights(event, colors);

  // The rest, compactly, in the order the server sent them.
  for (const key in event) {
    if (identityKeys.has(key) || key === serverKey || highlightedKeys.has(key)) continue;
    const value = event[key];
    if (value === null || value === undefined) continue;
    line += ` ${colors.key(`${stripControl(key)}=`)}${ctx.wide || !BULKY_KEYS.has(key) ? formatPairValue(value) : formatBulky(key, value)}`;
  }
  return line;
}

/**
 * The head of a default line: time, `[SECURITY]`, the type colored by
 * severity, the server (`serverKey`'s value, or `-`). It reads only the time
 * fields, the severity's fields and the server's: the line read from a
 * frame's bytes (plain-line.ts) hands it a view with just those.
 */
export function formatHead(event: HangarEvent, serverKey: string | undefined, ctx: LineContext): string {
  const time = ctx.time === 'none' ? '' : formatTimeColumn(eventTimeMs(event), ctx);
  return time + formatTypeAndServer(event.event_type, serverKey === undefined ? undefined : event[serverKey], severityOf(event), ctx.colors);
}

/** The time column of a line and the space after it (ctx.time not `none`): the event's time, else its arrival marked ARRIVAL_MARK. */
export function formatTimeColumn(timeMs: number | undefined, ctx: LineContext): string {
  const colors = ctx.colors;
  if (timeMs !== undefined || ctx.arrivalMs === undefined) return `${colors.dim(formatTime(timeMs, ctx.time, ctx.nowMs))} `;
  const arrivedMs = ctx.arrivalMs();
  return `${colors.dim(formatTime(arrivedMs, ctx.time, ctx.time === 'relative' ? arrivedMs : ctx.nowMs) + ARRIVAL_MARK)} `;
}

/**
 * The head after the time: `[SECURITY]` for a security event, the type
 * colored by `severity`, the server (`server`: the value of the event's
 * server field, a non-empty string; undefined: `-`). Depends on nothing
 * else: the line read from a frame's bytes keeps it per (type, server).
 */
export function formatTypeAndServer(type: unknown, server: unknown, severity: Severity, colors: ColorScheme): string {
  let line = severity === 'security' ? `${colors.security(SECURITY_TAG)} ` : '';
  // The type and the server id are peer strings like any value: cut like values, so one cannot fill the screen.
  line += colorOfSeverity(colors, severity)(truncate(stripControl(String(type))));
  return line + (server === undefined ? ` ${colors.dim('-')}` : ` ${colors.bold(truncate(stripControl(server as string)))}`);
}

/** Fields that are long on most events and rarely what one scans for; shown short unless --wide. */
export const BULKY_KEYS: ReadonlySet<string> = new Set(['arguments', 'identity_context', 'correlation_id']);
export const BULKY_MAX_CHARS = 40;
/** A correlation_id longer than this is shown by its first 8 characters and `…`. */
export const CUT_ID_CHARS = 12;

export function formatBulky(key: string, value: unknown): string {
  if (key === 'correlation_id' && typeof value === 'string') {
    const id = stripControl(value);
    return id.length > CUT_ID_CHARS ? `${id.slice(0, 8)}…` : formatPairValue(value);
  }
  const full = formatPairValue(value);
  if (full.length <= BULKY_MAX_CHARS || typeof value !== 'object' || value === null) return full;
  return Array.isArray(value) ? `[…${plural(value.length, 'item')}]` : `{…${plural(Object.keys(value).length, 'key')}}`;
}

/**
 * The highlights of a line. `clean`: every string of `event` is known to hold
 * nothing the sanitizer changes (the line read from a frame's bytes knows it
 * of an ASCII frame without DEL whose shown strings have no escapes), so they
 * are shown without its test.
 */
export function formatHighlights(event: HangarEvent, colors: ColorScheme, clean = false): string {
  const show = clean ? formatCleanValue : formatValue;
  let out = '';
  const oldState = event.old_state;
  const newState = event.new_state;
  if (isShown(oldState) || isShown(newState)) {
    const to = isShown(newState) ? show(newState) : '?';
    const toColored = typeof newState === 'string' ? colorOfSeverity(colors, severityOfState(newState))(to) : to;
    out += ` ${isShown(oldState) ? show(oldState) : '?'} -> ${toColored}`;
  }
  const tool = event.tool_name;
  if (isShown(tool)) out += ` ${show(tool)}`;
  const duration = event.duration_ms;
  if (duration !== undefined && duration !== null) out += ` ${typeof duration === 'number' ? formatDuration(duration) : show(duration)}`;
  const startup = event.startup_duration_ms;
  if (startup !== undefined && startup !== null) out += ` startup ${typeof startup === 'number' ? formatDuration(startup) : show(startup)}`;
  const idle = event.idle_duration_s;
  if (idle !== undefined && idle !== null) out += ` idle ${typeof idle === 'number' ? formatDuration(idle * 1000) : show(idle)}`;
  const size = event.result_size_bytes;
  if (size !== undefined && size !== null) out += ` ${typeof size === 'number' ? formatBytes(size) : show(size)}`;
  const errorType = event.error_type;
  const errorMessage = event.error_message;
  if (isShown(errorType) || isShown(errorMessage)) {
    const text = isShown(errorType) && isShown(errorMessage)
      ? `${show(errorType)}: ${show(errorMessage)}`
      : show(isShown(errorType) ? errorType : errorMessage);
    out += ` ${colors.failure(text)}`;
  }
  const consecutive = event.consecutive_failures;
  const total = event.total_failures;
  if (isShown(consecutive)) {
    out += ` ${show(consecutive)} consecutive ${consecutive === 1 ? 'failure' : 'failures'}`;
    if (isShown(total)) out += ` (${show(total)} total)`;
  } else if (isShown(total)) {
    out += ` ${show(total)} failures total`;
  }
  return out;
}

/** formatValue of a value whose strings need no sanitizing. */
function formatCleanValue(value: unknown): string {
  return typeof value === 'string' ? truncate(value) : formatValue(value);
}

function isShown(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function formatPickedFields(event: HangarEvent, paths: readonly FieldPath[], colors: ColorScheme): string {
  let out = '';
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    const value = getPath(event, path);
    out += ` ${colors.key(`${stripControl(path.text)}=`)}${value === undefined ? '-' : formatPairValue(value)}`;
  }
  return out;
}

/** `--fields` is compiled once per list (the context keeps the same array for the whole tail). */
const compiledFieldLists = new WeakMap<readonly string[], readonly FieldPath[]>();

function compiledFields(fields: readonly string[]): readonly FieldPath[] {
  let paths = compiledFieldLists.get(fields);
  if (paths === undefined) {
    paths = fields.map(compilePath);
    compiledFieldLists.set(fields, paths);
  }
  return paths;
}
