import { formatAgo, formatDurationCompact } from '../../format/duration.js';
import type { ColorScheme } from '../../io/color-level.js';
import { colorOfSeverity, SECURITY_TAG } from '../severity.js';
import { errorRate, eventRate, latencyPercentile, type ConnectionStatus, type ServerRow, type TableState } from './reduce-table.js';
import type { SourceRef } from '../../feed/messages.js';
import { fit, truncate, visibleWidth } from './text.js';
import { stripControl } from '../../protocol/sanitize.js';
import { plural } from '../../format/plural.js';
import { nextSort, type TableSort } from './sorts.js';

/**
 * The pure render of the live table: state + context -> lines. No line is
 * wider than `width` columns and there are never more than `height` lines, so
 * the live region can redraw in place. Colors come from the scheme only
 * (identity functions when color is off).
 */


/** A drop or gap banner is highlighted this long, then dimmed (its counter stays). */
export const BANNER_RECENT_MS = 30_000;
/** The security alert line is highlighted this long after the last security event, then dimmed. */
export const SECURITY_RECENT_MS = 300_000;
/** Pending approvals listed one per line at most; the rest are counted. */
export const APPROVAL_LINES = 3;

export interface TableHeaderInfo {
  /** The endpoints tail follows. */
  readonly sources: readonly SourceRef[];
  /** The filters in effect, e.g. `type=HealthCheck* server=math`; empty for none. */
  readonly filterDescription: string;
  /** The display is frozen (`p`); the stream is still counted. */
  readonly paused?: boolean;
  /** Show the keys line (stdin is a terminal). */
  readonly keys?: boolean;
  /** `A` opens the approvals view, though the keys line is drawn by someone else (the console). */
  readonly approvalKey?: boolean;
  /** A time stamp shown after the program name (plain snapshots carry one). */
  readonly clock?: string;
}

export interface TableRenderContext {
  readonly colors: ColorScheme;
  /** Columns available; `Infinity` for no limit (plain snapshots). */
  readonly width: number;
  /** Lines available; `Infinity` for no limit. */
  readonly height: number;
  /** Wall clock, for "ago" figures and the event rate. */
  readonly nowMs: number;
  readonly sort: TableSort;
  readonly header: TableHeaderInfo;
  /**
   * The console's selected server: its row is marked `>` (and inverse with
   * color) and kept in view; every row is then indented by two columns.
   */
  readonly selected?: string | undefined;
}

type Paint = (text: string) => string;
interface Segment {
  readonly text: string;
  readonly paint?: Paint | undefined;
  /** A separator: left out when nothing after it would fit. */
  readonly sep?: boolean;
}

/** Joins segments into one line cut to `width` columns; colors are applied after cutting. */
function composeLine(segments: readonly Segment[], width: number): string {
  let remaining = width;
  let out = '';
  for (const segment of segments) {
    if (remaining <= 0) break;
    const textWidth = visibleWidth(segment.text);
    if (segment.sep && textWidth >= remaining) break;
    const text = textWidth > remaining ? truncate(segment.text, remaining) : segment.text;
    remaining -= Math.min(textWidth, remaining);
    out += segment.paint && text.length > 0 ? segment.paint(text) : text;
  }
  return out;
}

// ---- formatting of figures -------------------------------------------------

/** Whole counts, compacted from a million up. */
export function formatCount(n: number): string {
  if (n < 1_000_000) return String(n);
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${(n / 1_000_000_000).toFixed(1)}G`;
}

function formatRate(perSecond: number): string {
  if (perSecond < 1000) return `${perSecond.toFixed(1)}/s`;
  return `${(perSecond / 1000).toFixed(1)}k/s`;
}

function formatPercent(ratio: number): string {
  if (ratio >= 1) return '100%';
  return `${(ratio * 100).toFixed(1)}%`;
}

// ---- sorting ---------------------------------------------------------------

const stateOrder: Record<string, number> = { dead: 0, degraded: 1, initializing: 2, ready: 3, cold: 4 };

/** How much trouble a server is in: 0 none, higher is worse. */
export function problemSeverity(row: ServerRow): number {
  if (row.state === 'dead') return 5;
  if (row.breaker === 'open' || row.state === 'degraded') return 4;
  if (row.health === 'failed' || row.breaker === 'half_open') return 3;
  const rate = errorRate(row) ?? 0;
  if (rate >= 0.05) return 2;
  if (rate > 0) return 1;
  return 0;
}

function byName(a: ServerRow, b: ServerRow): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function compareRows(sort: TableSort): (a: ServerRow, b: ServerRow) => number {
  switch (sort) {
    case 'problems':
      return (a, b) => problemSeverity(b) - problemSeverity(a) || byName(a, b);
    case 'server':
      return byName;
    case 'state': {
      const rank = (row: ServerRow) => (row.state === undefined ? 6 : (stateOrder[row.state] ?? 5));
      return (a, b) => rank(a) - rank(b) || byName(a, b);
    }
    case 'errors':
      return (a, b) => (errorRate(b) ?? -1) - (errorRate(a) ?? -1) || b.callsFailed - a.callsFailed || byName(a, b);
    case 'calls':
      return (a, b) => b.callsOk + b.callsFailed - (a.callsOk + a.callsFailed) || byName(a, b);
    case 'latency':
      return (a, b) => (latencyPercentile(b, 0.95) ?? -1) - (latencyPercentile(a, 0.95) ?? -1) || byName(a, b);
    case 'last':
      return (a, b) => (b.lastEventAtMs ?? 0) - (a.lastEventAtMs ?? 0) || byName(a, b);
    default: {
      const unreachable: never = sort;
      return unreachable;
    }
  }
}

/** The rows in display order. */
export function sortRows(state: TableState, sort: TableSort): ServerRow[] {
  if (sort === 'latency') {
    // Each percentile sorts the row's window: compute it once per row, not per comparison.
    const p95 = new Map(state.rows.map((row) => [row, latencyPercentile(row, 0.95) ?? -1]));
    return [...state.rows].sort((a, b) => p95.get(b)! - p95.get(a)! || byName(a, b));
  }
  return [...state.rows].sort(compareRows(sort));
}

// ---- columns ---------------------------------------------------------------

interface Cell {
  readonly text: string;
  readonly paint?: Paint | undefined;
}

type ColumnKey = 'server' | 'state' | 'breaker' | 'health' | 'ok' | 'failed' | 'err' | 'p50' | 'p95' | 'tools' | 'last' | 'ago';

interface Column {
  readonly key: ColumnKey;
  readonly title: string;
  readonly align: 'left' | 'right';
  /** The column may be cut down to this width before columns are dropped. */
  readonly minWidth?: number;
  /** Cap of the natural width (long server ids are cut with an ellipsis). */
  readonly maxWidth?: number;
  cell(row: ServerRow, ctx: TableRenderContext): Cell;
}

const DASH = '-';

function stateCell(state: string | undefined, colors: ColorScheme): Cell {
  if (state === undefined) return { text: DASH, paint: colors.dim };
  switch (state) {
    case 'ready':
      return { text: state, paint: colors.success };
    case 'initializing':
      return { text: state, paint: colors.info };
    case 'degraded':
      return { text: state, paint: colors.warning };
    case 'dead':
      return { text: state, paint: colors.failure };
    case 'cold':
      return { text: state, paint: colors.dim };
    default:
      return { text: state };
  }
}

function breakerCell(breaker: string | undefined, colors: ColorScheme): Cell {
  if (breaker === undefined) return { text: DASH, paint: colors.dim };
  if (breaker === 'open') return { text: breaker, paint: colors.failure };
  if (breaker === 'half_open') return { text: breaker, paint: colors.warning };
  return { text: breaker };
}

const COLUMNS: readonly Column[] = [
  { key: 'server', title: 'SERVER', align: 'left', minWidth: 6, maxWidth: 32, cell: (row) => ({ text: row.id }) },
  { key: 'state', title: 'STATE', align: 'left', cell: (row, ctx) => stateCell(row.state, ctx.colors) },
  { key: 'breaker', title: 'BREAKER', align: 'left', cell: (row, ctx) => breakerCell(row.breaker, ctx.colors) },
  {
    key: 'health',
    title: 'HEALTH',
    align: 'left',
    cell: (row, { colors }) => {
      if (row.health === 'passed') return { text: 'ok', paint: colors.success };
      if (row.health === 'failed') return { text: `fail x${row.healthFailures}`, paint: colors.failure };
      return { text: DASH, paint: colors.dim };
    },
  },
  { key: 'ok', title: 'OK', align: 'right', cell: (row) => ({ text: formatCount(row.callsOk) }) },
  {
    key: 'failed',
    title: 'FAIL',
    align: 'right',
    cell: (row, { colors }) => ({ text: formatCount(row.callsFailed), paint: row.callsFailed > 0 ? colors.failure : undefined }),
  },
  {
    key: 'err',
    title: 'ERR%',
    align: 'right',
    cell: (row, { colors }) => {
      const rate = errorRate(row);
      if (rate === undefined) return { text: DASH, paint: colors.dim };
      return { text: formatPercent(rate), paint: rate >= 0.1 ? colors.failure : rate > 0 ? colors.warning : undefined };
    },
  },
  {
    key: 'p50',
    title: 'P50',
    align: 'right',
    cell: (row, { colors }) => {
      const ms = latencyPercentile(row, 0.5);
      return ms === undefined ? { text: DASH, paint: colors.dim } : { text: formatDurationCompact(ms) };
    },
  },
  {
    key: 'p95',
    title: 'P95',
    align: 'right',
    cell: (row, { colors }) => {
      const ms = latencyPercentile(row, 0.95);
      return ms === undefined ? { text: DASH, paint: colors.dim } : { text: formatDurationCompact(ms) };
    },
  },
  {
    key: 'tools',
    title: 'TOOLS',
    align: 'right',
    cell: (row, { colors }) => (row.toolsCount === undefined ? { text: DASH, paint: colors.dim } : { text: String(row.toolsCount) }),
  },
  {
    key: 'last',
    title: 'LAST EVENT',
    align: 'left',
    minWidth: 10,
    // Colored by the event's severity, like the type on a pretty line (info stays plain).
    cell: (row, ctx) => ({ text: row.lastEventType, paint: row.lastSeverity === 'info' ? undefined : colorOfSeverity(ctx.colors, row.lastSeverity) }),
  },
  {
    key: 'ago',
    title: 'AGO',
    align: 'right',
    // `-`: a row seeded from the fleet snapshot has had no event yet.
    cell: (row, { nowMs, colors }) => ({ text: row.lastEventAtMs === undefined ? '-' : formatAgo(nowMs - row.lastEventAtMs), paint: colors.dim }),
  },
];

/** Columns given up first when the terminal is narrow (SERVER and STATE always stay). */
const DROP_ORDER: readonly ColumnKey[] = ['tools', 'p50', 'last', 'ok', 'ago', 'p95', 'failed', 'health', 'err', 'breaker'];
const GUTTER = '  ';

interface LaidOutColumn {
  readonly column: Column;
  readonly width: number;
}

/** Picks the columns and their widths for `width`: shrink LAST EVENT, then drop columns in DROP_ORDER, then cut SERVER. */
function layoutColumns(cells: ReadonlyMap<ColumnKey, Cell[]>, width: number): LaidOutColumn[] {
  const natural = new Map<ColumnKey, number>();
  for (const column of COLUMNS) {
    let w = visibleWidth(column.title);
    for (const cell of cells.get(column.key) ?? []) w = Math.max(w, visibleWidth(cell.text));
    natural.set(column.key, Math.min(w, column.maxWidth ?? Number.POSITIVE_INFINITY));
  }
  let keys = COLUMNS.map((c) => c.key);
  const total = (set: readonly ColumnKey[]) => set.reduce((sum, k) => sum + natural.get(k)!, 0) + GUTTER.length * (set.length - 1);
  const widths = new Map(natural);
  for (let dropped = 0; ; dropped++) {
    const over = total(keys) - width;
    if (over <= 0) break;
    if (keys.includes('last')) {
      const last = COLUMNS.find((c) => c.key === 'last')!;
      const slack = natural.get('last')! - Math.max(last.minWidth ?? 0, visibleWidth(last.title));
      if (slack >= over) {
        widths.set('last', natural.get('last')! - over);
        break;
      }
    }
    const next = DROP_ORDER[dropped];
    if (next === undefined) {
      // Only SERVER and STATE are left: cut the server ids down to a few characters, then the states.
      const serverMin = Math.min(natural.get('server')!, COLUMNS[0]!.minWidth ?? 1);
      const server = Math.max(serverMin, natural.get('server')! - over);
      widths.set('server', server);
      widths.set('state', Math.max(1, width - server - GUTTER.length));
      break;
    }
    keys = keys.filter((k) => k !== next);
  }
  return COLUMNS.filter((c) => keys.includes(c.key)).map((column) => ({ column, width: widths.get(column.key)! }));
}

function formatRowLine(layout: readonly LaidOutColumn[], cellFor: (key: ColumnKey) => Cell, width: number): string {
  const segments: Segment[] = [];
  layout.forEach(({ column, width: columnWidth }, i) => {
    if (i > 0) segments.push({ text: GUTTER, sep: true });
    const cell = cellFor(column.key);
    const text = truncate(cell.text, columnWidth);
    const pad = ' '.repeat(Math.max(0, columnWidth - visibleWidth(text)));
    // Paint the text, not its padding; no trailing spaces after the last column.
    if (column.align === 'right') segments.push({ text: pad }, { text, paint: cell.paint });
    else if (i === layout.length - 1) segments.push({ text, paint: cell.paint });
    else segments.push({ text, paint: cell.paint }, { text: pad });
  });
  return composeLine(segments, width);
}

// ---- header, banners, footer -------------------------------------------------

/** `withReason`: say why a reconnect is needed (one endpoint; with several the states must all stay visible). */
function connectionSegment(status: ConnectionStatus | undefined, nowMs: number, colors: ColorScheme, withReason: boolean): Segment {
  if (status === undefined) return { text: 'connecting', paint: colors.warning };
  switch (status.state) {
    case 'connected':
      return { text: 'connected', paint: colors.success };
    case 'connecting':
      return { text: status.attempt > 1 ? `connecting (attempt ${status.attempt})` : 'connecting', paint: colors.warning };
    case 'reconnecting': {
      const inMs = Math.max(0, (status.retryAtMs ?? nowMs) - nowMs);
      // Why it cannot connect, after the countdown (a narrow terminal cuts the reason, not the state).
      const why = withReason && status.reason ? ` (${status.reason})` : '';
      return { text: `reconnecting in ${Math.ceil(inMs / 1000)}s${why}`, paint: colors.warning };
    }
    case 'auth-failed':
      return { text: 'auth failed', paint: colors.failure };
    default: {
      const unreachable: never = status.state;
      return unreachable;
    }
  }
}

function titleLine(state: TableState, ctx: TableRenderContext): string {
  const { colors, header } = ctx;
  const sources = header.sources;
  const filter = stripControl(header.filterDescription).trim();
  // One endpoint shows its URL; several (or a narrow terminal) show labels, so states stay visible.
  const build = (useUrl: boolean): Segment[] => {
    const segments: Segment[] = [{ text: 'hangar-events', paint: colors.bold }];
    if (header.clock !== undefined) segments.push({ text: '  ', sep: true }, { text: header.clock, paint: colors.dim });
    if (sources.length === 0) segments.push({ text: '  ', sep: true }, { text: 'no endpoint' });
    sources.forEach((source, i) => {
      segments.push({ text: i === 0 ? '  ' : ', ', sep: true });
      const name = stripControl(useUrl ? source.url : source.label);
      segments.push({ text: name, paint: sources.length > 1 ? (t) => colors.source(source.index, t) : undefined });
      segments.push({ text: ' ', sep: true });
      segments.push(connectionSegment(state.connections.get(source.index), ctx.nowMs, colors, sources.length === 1));
    });
    segments.push({ text: '  ', sep: true }, { text: filter.length > 0 && filter !== 'all events' ? `filter: ${filter}` : 'all events', paint: colors.dim });
    return segments;
  };
  let segments = build(sources.length === 1);
  if (segments.reduce((n, s) => n + visibleWidth(s.text), 0) > ctx.width) segments = build(false);
  return composeLine(segments, ctx.width);
}

function statsLine(state: TableState, ctx: TableRenderContext): string {
  const { colors } = ctx;
  const servers = state.rows.length;
  const segments: Segment[] = [
    { text: plural(state.totalEvents, 'event', 'events', formatCount(state.totalEvents)) },
    { text: '  ', sep: true },
    { text: formatRate(eventRate(state, ctx.nowMs)) },
    { text: '  ', sep: true },
    {
      text: state.lastEventAtMs === undefined ? 'no events yet' : `last ${formatAgo(ctx.nowMs - state.lastEventAtMs)} ago`,
    },
    { text: '  ', sep: true },
    { text: `${servers} ${servers === 1 ? 'server' : 'servers'}` },
    { text: '  ', sep: true },
    { text: `sort: ${ctx.sort === 'problems' ? 'problems first' : ctx.sort}`, paint: colors.dim },
  ];
  if (ctx.header.paused) segments.push({ text: '  ', sep: true }, { text: 'PAUSED', paint: colors.warning });
  return composeLine(segments, ctx.width);
}

function bannerLine(text: string, recent: boolean, ctx: TableRenderContext): string {
  if (!recent) return composeLine([{ text, paint: ctx.colors.dim }], ctx.width);
  // A highlighted banner spans the whole line so it cannot be missed.
  const padded = Number.isFinite(ctx.width) && ctx.colors.enabled ? fit(text, ctx.width) : truncate(text, ctx.width);
  return ctx.colors.alert(padded);
}

function bannerLines(state: TableState, ctx: TableRenderContext): string[] {
  const lines: string[] = [];
  const { drops, gaps } = state;
  if (drops) {
    const ago = ctx.nowMs - drops.lastAtMs;
    const why = drops.lastMessage.length > 0 ? `: ${drops.lastMessage}` : '';
    const by = drops.totalBySource.size > 1 ? '' : ` by ${drops.lastSource}`;
    const from = drops.totalBySource.size > 1 ? ` by ${drops.lastSource}` : '';
    const text = `! ${plural(drops.totalDropped, 'event', 'events', formatCount(drops.totalDropped))} dropped${by}, last ${formatCount(drops.lastDropped)} of them ${formatAgo(ago)} ago${from}${why}`;
    lines.push(bannerLine(text, ago < BANNER_RECENT_MS, ctx));
  }
  if (gaps) {
    const ago = ctx.nowMs - gaps.lastAtMs;
    // Figures before the (peer-supplied, possibly long) reason, so a narrow terminal cuts the reason.
    const notes: string[] = [];
    if (gaps.lastDownForMs !== undefined) notes.push(`stream down ${formatDurationCompact(gaps.lastDownForMs)}`);
    if (gaps.count > 1) notes.push(`${gaps.count} gaps`);
    const details = notes.length > 0 ? ` (${notes.join(', ')})` : '';
    const text = `! events may have been missed ${formatAgo(ago)} ago on ${gaps.lastSource}${details}: ${gaps.lastReason}`;
    lines.push(bannerLine(text, ago < BANNER_RECENT_MS, ctx));
  }
  return lines;
}

/** The alert line of security and enforcement events: count, and the latest with its subject and reason. */
function securityLine(state: TableState, ctx: TableRenderContext): string | undefined {
  const security = state.security;
  const last = security?.recent[security.recent.length - 1];
  if (security === undefined || last === undefined) return undefined;
  const ago = Math.max(0, ctx.nowMs - last.atMs);
  const what = `${last.type}${last.subject ? ` ${last.subject}` : ''}${last.detail ? ` (${last.detail})` : ''}`;
  const text = `${SECURITY_TAG} ${formatCount(security.count)} security/enforcement ${security.count === 1 ? 'event' : 'events'}, last ${formatAgo(ago)} ago: ${what}`;
  if (ago >= SECURITY_RECENT_MS) return composeLine([{ text, paint: ctx.colors.dim }], ctx.width);
  const padded = Number.isFinite(ctx.width) && ctx.colors.enabled ? fit(text, ctx.width) : truncate(text, ctx.width);
  return ctx.colors.security(padded);
}

/** Pending approvals: a summary line, then the oldest ones (server, tool, how long they wait, channel, id), at most `maxLines` lines in all. */
function approvalLines(state: TableState, ctx: TableRenderContext, maxLines: number): string[] {
  const pending = [...state.approvals.values()];
  if (pending.length === 0 || maxLines < 1) return [];
  const oldest = pending[0]!;
  const lines = [
    composeLine(
      [
        { text: `approvals pending: ${formatCount(pending.length)}`, paint: ctx.colors.warning },
        { text: `  oldest waiting ${formatAgo(Math.max(0, ctx.nowMs - oldest.requestedAtMs))}`, paint: ctx.colors.dim },
        // How to act: the key when there are keys, the command otherwise.
        ...(ctx.header.keys || ctx.header.approvalKey
          ? [{ text: '  A', paint: ctx.colors.bold, sep: true }, { text: ' to approve or deny', paint: ctx.colors.dim }]
          : [{ text: '  (hangar-events approve|deny ID)', paint: ctx.colors.dim, sep: true }]),
      ],
      ctx.width,
    ),
  ];
  // Up to APPROVAL_LINES approvals are listed; `+N more` takes a line of its own when some are left out.
  const room = maxLines - 1;
  const all = pending.length <= Math.min(room, APPROVAL_LINES);
  const listed = all ? pending.length : Math.max(0, Math.min(APPROVAL_LINES, room - 1));
  for (let i = 0; i < listed; i++) {
    const a = pending[i]!;
    lines.push(
      composeLine(
        [
          { text: `  ${a.server} ${a.tool}` },
          { text: `  waiting ${formatAgo(Math.max(0, ctx.nowMs - a.requestedAtMs))}`, paint: ctx.colors.warning },
          { text: a.channel ? `  via ${a.channel}` : '', paint: ctx.colors.dim },
          { text: `  ${a.id}`, paint: ctx.colors.dim },
        ],
        ctx.width,
      ),
    );
  }
  if (!all && room > 0) lines.push(composeLine([{ text: `  +${pending.length - listed} more`, paint: ctx.colors.dim }], ctx.width));
  return lines;
}

function footerLine(state: TableState, ctx: TableRenderContext): string | undefined {
  const parts = [...state.serverlessByType.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([type, n]) => `${type} ${formatCount(n)}`);
  if (state.otherServerless > 0) parts.push(`other types ${formatCount(state.otherServerless)}`);
  const notes: string[] = [];
  if (parts.length > 0) notes.push(`no server: ${parts.join(', ')}`);
  if (state.untrackedEvents > 0) notes.push(`${plural(state.untrackedEvents, 'event', 'events', formatCount(state.untrackedEvents))} for servers beyond the table's limit`);
  if (state.badFrames > 0) notes.push(`${plural(state.badFrames, 'unreadable frame', 'unreadable frames', formatCount(state.badFrames))}`);
  if (state.snapshotProblem !== undefined) notes.push(`fleet snapshot unavailable: ${state.snapshotProblem}`);
  if (notes.length === 0) return undefined;
  return composeLine([{ text: notes.join('  '), paint: ctx.colors.dim }], ctx.width);
}

function keysLine(ctx: TableRenderContext): string {
  const { colors } = ctx;
  return composeLine(
    [
      { text: 'q', paint: colors.bold },
      { text: ' quit  ', paint: colors.dim },
      { text: 's', paint: colors.bold },
      { text: ` sort (${ctx.sort} -> ${nextSort(ctx.sort)})  `, paint: colors.dim },
      { text: 'p', paint: colors.bold },
      { text: ctx.header.paused ? ' resume' : ' pause', paint: colors.dim },
    ],
    ctx.width,
  );
}

/**
 * Renders the table: title (endpoints, connection state, filters), stream
 * figures, drop/gap banners, the security alert line, column titles, one
 * line per server (or "+N more servers" when they do not fit), pending tool
 * approvals, the footer of server-less events and, when keys are on, the
 * keys line.
 */
export function renderTable(state: TableState, ctx: TableRenderContext): string[] {
  const { colors } = ctx;
  const width = Math.max(1, ctx.width);
  const c: TableRenderContext = { ...ctx, width };
  const security = securityLine(state, c);
  const top = [titleLine(state, c), statsLine(state, c), ...bannerLines(state, c), ...(security !== undefined ? [security] : [])];
  const footer = footerLine(state, c);
  const bottom: string[] = [];
  if (footer !== undefined) bottom.push(footer);
  if (ctx.header.keys) bottom.push(keysLine(c));

  const rows = sortRows(state, ctx.sort);
  // Lines left for server rows; keys and footer give way first on short terminals.
  let room = ctx.height - top.length - 1 - bottom.length;
  const need = rows.length === 0 ? 1 : Math.min(rows.length, 2);
  while (room < need && bottom.length > 0) {
    bottom.pop();
    room++;
  }
  // Pending approvals want a summary and a few lines; on a short terminal they give way to the rows, down to the summary.
  const approvalsWanted = state.approvals.size === 0 ? 0 : 1 + Math.min(state.approvals.size, APPROVAL_LINES) + (state.approvals.size > APPROVAL_LINES ? 1 : 0);
  const spare = room - rows.length; // lines the server rows leave free
  const approvalRoom = Math.min(approvalsWanted, Math.max(approvalsWanted > 0 ? 1 : 0, spare), Math.max(0, room - need));
  const approvals = approvalLines(state, c, approvalRoom);
  room -= approvals.length;
  const shown = rows.length <= room ? rows.length : Math.max(0, room - 1);
  // The selected row stays in view: the window of rows slides down to it.
  const selectedAt = ctx.selected === undefined ? -1 : rows.findIndex((row) => row.id === ctx.selected);
  const offset = selectedAt >= shown ? selectedAt - shown + 1 : 0;
  const visible = rows.slice(offset, offset + shown);
  const mark = ctx.selected === undefined ? (line: string) => line : (line: string, on = false) => `${on ? '>' : ' '} ${line}`;
  const rowWidth = ctx.selected === undefined ? width : Math.max(1, width - 2);

  // Only the rows on screen are formatted, and they alone decide the column widths.
  const cells = new Map<ColumnKey, Cell[]>();
  for (const column of COLUMNS) cells.set(column.key, visible.map((row) => column.cell(row, c)));
  const layout = layoutColumns(cells, rowWidth);
  const titles = composeLine([{ text: mark(formatRowLine(layout, (key) => ({ text: COLUMNS.find((col) => col.key === key)!.title }), rowWidth)), paint: colors.bold }], width);

  const body: string[] = [];
  if (rows.length === 0) {
    if (room >= 1) body.push(composeLine([{ text: 'no servers yet: waiting for events', paint: colors.dim }], width));
  } else {
    for (let i = 0; i < visible.length; i++) {
      if (offset + i === selectedAt) {
        // One inverse bar across the width: cell colors would break it.
        const plain = formatRowLine(layout, (key) => ({ text: cells.get(key)![i]!.text }), rowWidth);
        body.push(colors.inverse(fit(mark(plain, true), width)));
      } else {
        body.push(mark(formatRowLine(layout, (key) => cells.get(key)![i]!, rowWidth)));
      }
    }
    const more = rows.length - shown;
    if (more > 0) body.push(composeLine([{ text: `+${more} more ${more === 1 ? 'server' : 'servers'}`, paint: colors.dim }], width));
  }
  const lines = [...top, titles, ...body, ...approvals, ...bottom];
  return Number.isFinite(ctx.height) ? lines.slice(0, Math.max(1, ctx.height)) : lines;
}
