import { aggregateEvents, emptyAggregates, errorOf, reduceAggregates, type Aggregates } from '../aggregate/aggregates.js';
import { callerOf, carriesCaller } from '../aggregate/caller.js';
import { topView, DEFAULT_SORT } from '../aggregate/top-view.js';
import type { ColorScheme } from '../io/color-level.js';
import { serverIdentityOf } from '../protocol/server-identity.js';
import type { ServerLogLine } from '../protocol/server-logs.js';
import type { HangarEvent } from '../protocol/types.js';
import { formatEventLine } from '../render/line.js';
import { emptyTableState, reduceTable, serverRow, type TableState } from '../render/table/reduce-table.js';
import type { TableHeaderInfo } from '../render/table/render-table.js';
import type { TableSort } from '../render/table/sorts.js';
import { cleanLabel, stripControl } from '../protocol/sanitize.js';
import { eventTimeMs } from '../protocol/event-time.js';
import { parseConsoleFilter, type ConsoleFilter } from './console-filter.js';
import { initialConsoleState, reduceConsoleKey, type ConsoleKey, type ConsoleState, type DetailTarget } from './console-state.js';
import { KeptEvents } from './kept-events.js';
import { renderConsole, VIEW_GROUPING, viewRows, viewTable, type ConsoleData, type DetailData } from './render-console.js';

/**
 * The console behind `tail -o table` on a terminal: keeps the aggregates
 * (exact since the start, every view counting while hidden) and a bounded
 * window of events (kept-events.ts) from which the views are recomputed
 * under a filter and a detail is drawn; turns keys into the pure state
 * (console-state.ts) and frames into lines (render-console.ts). The owner
 * (the table sink) feeds it events, asks it for frames and passes it keys.
 */

/** Lines of a server's log the detail asks for. */
export const DETAIL_LOG_LINES = 20;
/** Events a detail lists. */
export const DETAIL_EVENTS = 20;

export interface ConsoleControllerOptions {
  readonly colors: ColorScheme;
  readonly nowMs: () => number;
  /** The servers view's sort at the start (`--sort`). */
  readonly sort?: TableSort | undefined;
  /** GET /api/mcp_servers/{id}/logs on the endpoint followed; without it the detail says logs are not available. */
  readonly fetchLogs?: ((server: string, lines: number) => Promise<readonly ServerLogLine[]>) | undefined;
  readonly redraw: () => void;
  readonly quit: () => void;
}

type LogsState = { readonly server: string } & ({ readonly lines: readonly string[] } | { readonly note: string });

export class ConsoleController {
  private ui: ConsoleState;
  private aggregates: Aggregates = emptyAggregates();
  private readonly kept = new KeptEvents();
  private filter: ConsoleFilter | undefined;
  /** The views under the filter: recomputed from the kept events when it is set, then folded forward. */
  private filtered: { table: TableState; aggregates: Aggregates; kept: number } | undefined;
  private logs: LogsState | undefined;
  private closed = false;

  constructor(private readonly options: ConsoleControllerOptions) {
    this.ui = initialConsoleState(options.sort);
  }

  get view(): ConsoleState['view'] {
    return this.ui.view;
  }

  /** The approvals view was closed (Esc in it): back to the servers view. */
  leaveApprovals(): void {
    if (this.ui.view !== 'approvals') return;
    this.ui = { ...this.ui, view: 'servers', status: { text: 'view: servers', tone: 'info', atMs: this.options.nowMs() } };
    this.options.redraw();
  }

  get paused(): boolean {
    return this.ui.paused;
  }

  /** One event of the stream (`bytes`: its frame's size, for the memory budget). */
  event(event: HangarEvent, bytes: number, arrivalMs: number): void {
    this.aggregates = reduceAggregates(this.aggregates, event, arrivalMs);
    this.kept.push(event, arrivalMs, bytes);
    if (this.filter !== undefined && this.filtered !== undefined && this.filter.matches(event)) {
      this.filtered = {
        table: reduceTable(this.filtered.table, event, arrivalMs),
        aggregates: reduceAggregates(this.filtered.aggregates, event, arrivalMs),
        kept: this.filtered.kept + 1,
      };
    }
  }

  private applyFilter(text: string | undefined): void {
    const parsed = text === undefined ? undefined : parseConsoleFilter(text);
    this.filter = parsed !== undefined && parsed.ok ? parsed.filter : undefined;
    if (this.filter === undefined) {
      this.filtered = undefined;
      return;
    }
    const matches = this.filter.matches;
    let table = emptyTableState();
    let count = 0;
    const events: { event: HangarEvent; arrivalMs: number }[] = [];
    for (const kept of this.kept.values()) {
      if (!matches(kept.event)) continue;
      table = reduceTable(table, kept.event, kept.arrivalMs);
      events.push(kept);
      count++;
    }
    this.filtered = { table, aggregates: aggregateEvents(events), kept: count };
  }

  private data(live: TableState, width: number): ConsoleData {
    const filtered = this.filtered;
    // Under a filter the fleet table is the filtered one, with the live connection state, banners and approvals.
    const table = filtered === undefined ? live : { ...filtered.table, connections: live.connections, drops: live.drops, gaps: live.gaps, badFrames: live.badFrames, snapshotProblem: live.snapshotProblem, approvals: live.approvals };
    const base: ConsoleData = {
      table,
      aggregates: filtered?.aggregates ?? this.aggregates,
      scope: filtered === undefined ? { kind: 'all' } : { kind: 'kept', kept: filtered.kept, evicted: this.kept.evicted },
    };
    const detail = this.ui.detail === undefined ? undefined : this.detailData(this.ui.detail, live, width);
    return { ...base, detail };
  }

  private predicate(target: DetailTarget): (event: HangarEvent) => boolean {
    const base = this.filter?.matches ?? (() => true);
    switch (target.kind) {
      case 'server':
        return (e) => serverIdentityOf(e) === target.server && base(e);
      case 'tool':
        return (e) => serverIdentityOf(e) === target.server && cleanLabel(e.tool_name) === target.tool && base(e);
      case 'caller':
        return (e) => carriesCaller(e) && callerOf(e).id === target.caller && callerOf(e).agent === target.agent && base(e);
      case 'error':
        return (e) => (serverIdentityOf(e) ?? '-') === target.server && errorOf(e)?.type === target.errorType && base(e);
    }
  }

  private detailData(target: DetailTarget, live: TableState, width: number): DetailData {
    const nowMs = this.options.nowMs();
    const matches = this.predicate(target);
    const matched: { event: HangarEvent; arrivalMs: number }[] = [];
    for (const kept of this.kept.values()) if (matches(kept.event)) matched.push(kept);
    const aggregates = aggregateEvents(matched);
    const subBy = target.kind === 'server' || target.kind === 'caller' ? 'tool' : 'caller';
    const sub = topView(aggregates, subBy, { asOfMs: nowMs });
    const lineCtx = { colors: this.options.colors, time: 'local' as const, nowMs, width };
    const events = matched.slice(-DETAIL_EVENTS).map(({ event }) => formatEventLine(event, lineCtx));
    const transitions: string[] = [];
    let facts = '';
    let title: string;
    switch (target.kind) {
      case 'server': {
        title = `server ${target.server}`;
        const row = serverRow(live, target.server);
        if (row !== undefined) {
          const health = row.health === 'passed' ? 'ok' : row.health === 'failed' ? `failing x${row.healthFailures}` : '-';
          facts = `state ${row.state ?? '-'}  breaker ${row.breaker ?? '-'}  health ${health}  tools ${row.toolsCount ?? '-'}  calls ${row.callsOk + row.callsFailed} (${row.callsFailed} failed)`;
        }
        for (const { event } of matched) {
          const type = event.event_type.replace(/^Provider/u, 'McpServer');
          const at = eventTimeMs(event);
          const time = at === undefined ? '--:--:--' : new Date(at).toISOString().slice(11, 19);
          if (type === 'McpServerStateChanged') transitions.push(`${time}  ${cleanLabel(event.old_state, 24) ?? '?'} -> ${cleanLabel(event.new_state, 24) ?? '?'}`);
          else if (type === 'CircuitBreakerStateChanged') transitions.push(`${time}  breaker ${cleanLabel(event.old_state, 24) ?? '?'} -> ${cleanLabel(event.new_state, 24) ?? '?'}`);
        }
        break;
      }
      case 'tool':
        title = `tool ${target.tool} on ${target.server}  (its callers, its last events)`;
        break;
      case 'caller':
        title = `caller ${target.caller}${target.agent ? ` via ${target.agent}` : ''}  (the tools it called, its last events)`;
        break;
      case 'error':
        title = `error ${target.errorType} on ${target.server}  (who hit it, its last events)`;
        break;
    }
    const scope = this.filter === undefined ? `from the last ${this.kept.length} events kept` : `from the kept events under filter ${this.filter.text}`;
    const logs = target.kind !== 'server' ? undefined : this.logs !== undefined && this.logs.server === target.server ? this.logs : { note: 'loading logs…' };
    return { title: `${title}  ${scope}`, facts, sub: sub.rows.length > 0 ? sub : undefined, transitions, events, logs: logs === undefined ? undefined : 'lines' in logs ? { lines: logs.lines } : { note: logs.note } };
  }

  private loadLogs(server: string): void {
    const fetchLogs = this.options.fetchLogs;
    if (fetchLogs === undefined) {
      this.logs = { server, note: 'logs: not available here (a store or a file is the source)' };
      return;
    }
    this.logs = undefined;
    fetchLogs(server, DETAIL_LOG_LINES).then(
      (lines) => {
        if (this.closed) return;
        const shown = lines.map((l) => {
          const time = l.recorded_at > 0 ? new Date(l.recorded_at * 1000).toISOString().slice(11, 19) : '--:--:--';
          return `${time} ${stripControl(l.stream)} ${stripControl(l.content)}`;
        });
        this.logs = { server, ...(shown.length > 0 ? { lines: shown } : { note: 'logs: the server has no log lines yet' }) };
        this.options.redraw();
      },
      (error: Error) => {
        if (this.closed) return;
        this.logs = { server, note: `logs unavailable: ${stripControl(error.message)}` };
        this.options.redraw();
      },
    );
  }

  /** The frame for the terminal. */
  render(live: TableState, ctx: { readonly width: number; readonly height: number; readonly header: TableHeaderInfo }): string[] {
    const nowMs = this.options.nowMs();
    return renderConsole(this.ui, this.data(live, ctx.width), { colors: this.options.colors, width: ctx.width, height: ctx.height, nowMs, header: { ...ctx.header, filterDescription: this.describeFilter(ctx.header.filterDescription) } });
  }

  /** The flags' filters and the console's, for the table's title. */
  private describeFilter(flags: string): string {
    if (this.filter === undefined) return flags;
    return flags === 'all events' || flags === '' ? this.filter.text : `${flags} and ${this.filter.text}`;
  }

  /** One key. */
  key(key: ConsoleKey, live: TableState, pageRows: number): void {
    // Function keys and other sequences are nobody's: no redraw for them.
    if (key.name === 'other') return;
    const nowMs = this.options.nowMs();
    const data = this.data(live, 80);
    const table = viewTable(this.ui, data, nowMs);
    const by = VIEW_GROUPING[this.ui.view];
    const { state, effect } = reduceConsoleKey(this.ui, key, {
      rows: viewRows(this.ui, data, nowMs),
      columns: table?.columns.map((c) => ({ id: c.id, header: c.header })) ?? [],
      sortColumn: by === undefined ? table?.sort : (this.ui.sorts[this.ui.view].column ?? DEFAULT_SORT[by]),
      pageRows,
      nowMs,
      checkFilter: (text) => {
        const parsed = parseConsoleFilter(text);
        return parsed.ok ? undefined : parsed.error;
      },
    });
    this.ui = state;
    switch (effect.kind) {
      case 'quit':
        this.options.quit();
        return;
      case 'filter':
        this.applyFilter(effect.text);
        break;
      case 'detail':
        if (effect.target.kind === 'server') this.loadLogs(effect.target.server);
        break;
      default:
        break;
    }
    this.options.redraw();
  }

  close(): void {
    this.closed = true;
  }
}
