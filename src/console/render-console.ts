import type { Aggregates, SecurityEntry } from '../aggregate/aggregates.js';
import { topView, type TopBy, type TopColumn, type TopView } from '../aggregate/top-view.js';
import { formatAgo } from '../format/duration.js';
import type { ColorScheme } from '../io/color-level.js';
import type { TableState } from '../render/table/reduce-table.js';
import { renderTable, sortRows, type TableHeaderInfo } from '../render/table/render-table.js';
import { nextSort } from '../render/table/sorts.js';
import { fit, truncate } from '../render/table/text.js';
import { renderTopColumns } from '../render/top/render-top.js';
import { CONSOLE_VIEWS, selectedIndex, type ConsoleState, type ConsoleView, type DetailTarget, type RowRef } from './console-state.js';

/**
 * The console's frame (pure): a line of views with the current one marked
 * and what the figures cover, the view itself (the fleet table, a grouping
 * of the aggregates, the security events, the approvals, or a detail), and at
 * the bottom the `/` prompt or the status line and the keys. No line is wider
 * than `width`, there are never more than `height` lines.
 */

export interface ConsoleData {
  /** The fleet table (under the filter when one is set). */
  readonly table: TableState;
  readonly aggregates: Aggregates;
  /** What the figures cover: every event since the start, or the events kept (under a filter). */
  readonly scope: { readonly kind: 'all' } | { readonly kind: 'kept'; readonly kept: number; readonly evicted: number };
  /** The approvals view's own lines, when an approvals controller draws it. */
  readonly approvalsLines?: ((height: number) => string[]) | undefined;
  /** The open detail's data (the owner computes it from the kept events). */
  readonly detail?: DetailData | undefined;
}

/** What a detail shows besides its title: a grouping narrowed to it, recent transitions, the last events, and log lines. */
export interface DetailData {
  readonly title: string;
  /** `state ready  breaker closed  health ok`, for a server. */
  readonly facts: string;
  readonly sub: TopView | undefined;
  /** `12:00:03  ready -> degraded` lines, newest last. */
  readonly transitions: readonly string[];
  /** The last events as pretty lines (already colored and cut to the width). */
  readonly events: readonly string[];
  /** Log lines, or why there are none (loading, unavailable). */
  readonly logs: { readonly lines: readonly string[] } | { readonly note: string } | undefined;
}

export interface ConsoleRenderContext {
  readonly colors: ColorScheme;
  readonly width: number;
  readonly height: number;
  readonly nowMs: number;
  readonly header: TableHeaderInfo;
}

/** The aggregate grouping behind a view, for the views that are one. */
export const VIEW_GROUPING: Partial<Record<ConsoleView, TopBy>> = { tools: 'tool', callers: 'caller', errors: 'error_type' };

const SECURITY_COLUMNS: readonly TopColumn[] = [
  { id: 'at', header: 'WHEN', kind: 'time' },
  { id: 'type', header: 'TYPE', kind: 'text' },
  { id: 'what', header: 'WHAT', kind: 'text' },
  { id: 'who', header: 'WHO', kind: 'text' },
  { id: 'detail', header: 'DETAIL', kind: 'text' },
];

/** The security events newest first, as a table. */
export function securityView(entries: readonly SecurityEntry[]): TopView {
  const rows = [...entries].reverse().map((e, i) => ({ _key: `${e.atMs}:${i}`, at: e.atMs, type: e.type, what: e.what || null, who: e.who || null, detail: e.detail || null }));
  return { by: 'server', columns: SECURITY_COLUMNS, rows, overflow: 0, sort: 'at', descending: true };
}

const APPROVAL_COLUMNS: readonly TopColumn[] = [
  { id: 'server', header: 'SERVER', kind: 'text' },
  { id: 'tool', header: 'TOOL', kind: 'text' },
  { id: 'requested', header: 'WAITING', kind: 'time' },
  { id: 'channel', header: 'CHANNEL', kind: 'text' },
  { id: 'id', header: 'ID', kind: 'text' },
];

/** Pending approvals oldest first, as the table tracks them. */
export function approvalsView(table: TableState): TopView {
  const rows = [...table.approvals.values()].map((a) => ({ _key: a.id, server: a.server, tool: a.tool, requested: a.requestedAtMs, channel: a.channel || null, id: a.id }));
  return { by: 'server', columns: APPROVAL_COLUMNS, rows, overflow: 0, sort: 'requested', descending: false };
}

/** The table of a view (undefined for the servers view, which is the fleet table). */
export function viewTable(ui: ConsoleState, data: ConsoleData, nowMs: number): TopView | undefined {
  const by = VIEW_GROUPING[ui.view];
  if (by !== undefined) {
    const sort = ui.sorts[ui.view];
    return topView(data.aggregates, by, { asOfMs: nowMs, sort: sort.column, reverse: sort.reverse });
  }
  if (ui.view === 'security') return securityView(data.aggregates.security);
  if (ui.view === 'approvals') return approvalsView(data.table);
  return undefined;
}

/** What Enter opens on a row of a view. */
function opensOf(view: ConsoleView, row: Readonly<Record<string, unknown>>): DetailTarget | undefined {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (view) {
    case 'tools':
      return { kind: 'tool', server: str(row.server), tool: str(row.tool) };
    case 'callers':
      return { kind: 'caller', caller: str(row.caller), agent: str(row.agent) };
    case 'errors':
      return { kind: 'error', errorType: str(row.error_type), server: str(row.server) };
    case 'security':
      return row.what && typeof row.what === 'string' && row.what !== '' ? { kind: 'server', server: row.what } : undefined;
    default:
      return undefined;
  }
}

/** The rows of the current view in display order, as the keys see them. */
export function viewRows(ui: ConsoleState, data: ConsoleData, nowMs: number): RowRef[] {
  if (ui.view === 'servers') return sortRows(data.table, ui.tableSort).map((row) => ({ key: row.id, opens: { kind: 'server', server: row.id } }));
  const table = viewTable(ui, data, nowMs);
  if (table === undefined) return [];
  return table.rows.map((row) => ({ key: String(row._key ?? Object.values(row).join('\u0000')), opens: opensOf(ui.view, row) }));
}

function viewsLine(ui: ConsoleState, data: ConsoleData, ctx: ConsoleRenderContext): string {
  const { colors } = ctx;
  let plain = '';
  let out = '';
  for (const view of CONSOLE_VIEWS) {
    const label = view === ui.view ? `[${view}]` : ` ${view} `;
    plain += label;
    out += view === ui.view ? colors.bold(colors.inverse(label)) : colors.dim(label);
  }
  const scope =
    data.scope.kind === 'all'
      ? 'exact since start'
      : `filter ${ui.filterText ?? ''}: the last ${data.scope.kept} events kept${data.scope.evicted > 0 ? ` (${data.scope.evicted} older let go)` : ''}`;
  const room = ctx.width - plain.length - 2;
  if (room < 8) return truncate(plain, ctx.width) === plain ? out : colors.bold(truncate(plain, ctx.width));
  const tail = truncate(scope, room);
  return `${out}  ${data.scope.kind === 'all' ? colors.dim(tail) : colors.warning(tail)}`;
}

/** The keys line: the table's own keys first (as before the console), then the console's. */
function keysHint(ui: ConsoleState): string {
  const sort = ui.view === 'servers' ? `s sort (${ui.tableSort} -> ${nextSort(ui.tableSort)})` : 's < > r sort';
  return `q quit  ${sort}  p ${ui.paused ? 'resume' : 'pause'}  Tab view  ↑↓ select  Enter open  / filter  ? help`;
}

/** Every key, as `?` shows it (and the README's key table says). */
export const HELP_LINES: readonly string[] = [
  'Tab / Shift-Tab     next / previous view: servers tools callers errors approvals security',
  '↑ ↓  j k            move the selection',
  'PgUp PgDn Home End  a page up or down, the first or last row',
  'Enter               open the selected server (or tool, caller, error): its detail',
  'Esc  Backspace      back from a detail',
  '/                   filter every view: type=Tool* server=github, or duration_ms>500',
  '                    (Enter applies; Esc, or / then an empty Enter, clears it)',
  's  >  <             next / previous sort column (servers: the sort cycle)',
  'r                   reverse the sort (tools, callers, errors)',
  'p                   pause the display (the stream is still counted)',
  'A                   the approvals view',
  '?                   this help (any key closes it)',
  'q  Ctrl-C           quit',
];

function bottomLines(ui: ConsoleState, ctx: ConsoleRenderContext): string[] {
  const { colors, width } = ctx;
  if (ui.prompt !== undefined) {
    const line = `/${ui.prompt.text}█`;
    const error = ui.prompt.error !== undefined ? `  ${ui.prompt.error.split('\n')[0]}` : '  Enter apply  Esc clear';
    const shown = truncate(line, width);
    const rest = truncate(error, Math.max(0, width - shown.length));
    return [shown + (ui.prompt.error !== undefined ? colors.failure(rest) : colors.dim(rest))];
  }
  const lines: string[] = [];
  if (ui.status !== undefined) {
    const text = truncate(ui.status.text, width);
    const fresh = ctx.nowMs - ui.status.atMs < 10_000;
    const paint = !fresh ? colors.dim : { info: colors.info, success: colors.success, failure: colors.failure, warning: colors.warning }[ui.status.tone];
    lines.push(paint(text));
  }
  if (ctx.header.keys === true) lines.push(colors.dim(truncate(keysHint(ui), width)));
  return lines;
}

function detailLines(ui: ConsoleState, detail: DetailData | undefined, ctx: ConsoleRenderContext, height: number): string[] {
  const { colors, width } = ctx;
  if (detail === undefined) return [colors.dim('loading…')];
  const lines: string[] = [colors.bold(truncate(detail.title, width))];
  if (detail.facts !== '') lines.push(truncate(detail.facts, width));
  const section = (title: string) => colors.dim(truncate(`── ${title} `.padEnd(Math.min(width, 40), '─'), width));
  if (detail.transitions.length > 0) {
    lines.push(section('state history'));
    lines.push(...detail.transitions.slice(-5).map((t) => truncate(t, width)));
  }
  if (detail.sub !== undefined && detail.sub.rows.length > 0) {
    const subRows = Math.min(detail.sub.rows.length, 6);
    lines.push(section(detail.sub.by === 'tool' ? 'tools' : detail.sub.by === 'caller' ? 'callers' : 'errors'));
    lines.push(...renderTopColumns(detail.sub, { colors, asOfMs: ctx.nowMs, width, height: subRows + 1 }));
  }
  const logs = detail.logs;
  const logLines = logs === undefined ? [] : 'lines' in logs ? logs.lines.slice(-6).map((l) => truncate(l, width)) : [colors.dim(truncate(logs.note, width))];
  // The last events take what is left, keeping room for the logs.
  const room = Math.max(0, height - lines.length - (logs === undefined ? 0 : logLines.length + 1) - 1);
  if (detail.events.length > 0 && room > 0) {
    lines.push(section(`last ${Math.min(room, detail.events.length)} events`));
    lines.push(...detail.events.slice(-room));
  }
  if (logs !== undefined) {
    lines.push(section('log (GET /api/mcp_servers/{id}/logs)'));
    lines.push(...logLines);
  }
  return lines.slice(0, height);
}

/** The whole frame. */
export function renderConsole(ui: ConsoleState, data: ConsoleData, ctx: ConsoleRenderContext): string[] {
  const { colors } = ctx;
  const width = Math.max(1, ctx.width);
  const c = { ...ctx, width };
  const bottom = bottomLines(ui, c);
  // The views line and the console's keys need a keyboard: without one the table is drawn as it always was.
  const top = ctx.header.keys === true || ui.view !== 'servers' ? [viewsLine(ui, data, c)] : [];
  // A short terminal gives up the keys line first, then the views line.
  let bodyHeight = ctx.height - top.length - bottom.length;
  while (bodyHeight < 3 && bottom.length > (ui.prompt !== undefined ? 1 : 0)) {
    bottom.shift();
    bodyHeight++;
  }
  if (bodyHeight < 3 && top.length > 0) {
    top.pop();
    bodyHeight++;
  }
  bodyHeight = Math.max(1, bodyHeight);
  let body: string[];
  if (ui.help) {
    body = [colors.bold('keys'), ...HELP_LINES.map((line) => truncate(line, width))];
  } else if (ui.detail !== undefined) {
    body = detailLines(ui, data.detail, c, bodyHeight);
  } else if (ui.view === 'servers') {
    const rows = viewRows(ui, data, ctx.nowMs);
    const at = selectedIndex(ui, rows);
    body = renderTable(data.table, {
      colors,
      width,
      height: bodyHeight,
      nowMs: ctx.nowMs,
      sort: ui.tableSort,
      header: { ...ctx.header, paused: ui.paused, keys: false, approvalKey: ctx.header.keys === true },
      selected: at >= 0 ? rows[at]!.key : undefined,
    });
  } else if (ui.view === 'approvals' && data.approvalsLines !== undefined) {
    body = data.approvalsLines(bodyHeight);
  } else {
    const table = viewTable(ui, data, ctx.nowMs)!;
    const rows = viewRows(ui, data, ctx.nowMs);
    const at = selectedIndex(ui, rows);
    const listHeight = bodyHeight - (table.overflow > 0 ? 1 : 0);
    const offset = at >= listHeight - 1 ? at - (listHeight - 1) + 1 : 0;
    body = renderTopColumns(table, { colors, asOfMs: ctx.nowMs, width, height: listHeight, selected: at >= 0 ? at : undefined, offset });
    if (table.rows.length === 0) body.push(colors.dim(ui.view === 'approvals' ? 'no approvals pending' : `no ${ui.view} yet: waiting for events`));
    if (table.overflow > 0) body.push(colors.dim(truncate(`${table.overflow} events of further groups are counted in the totals, not listed`, width)));
  }
  const frame = [...top, ...body.slice(0, bodyHeight), ...bottom];
  return frame.slice(0, Math.max(1, ctx.height)).map((line) => (line.length > 0 ? line : fit('', 0)));
}

/** How long ago, for detail lines. */
export function ago(nowMs: number, atMs: number): string {
  return `${formatAgo(Math.max(0, nowMs - atMs))} ago`;
}
