import type { Key } from '../io/keys.js';
import { TABLE_SORTS, type TableSort } from '../render/table/sorts.js';

/**
 * What the console shows and how the keys move it: the view, the selection
 * and sort of each view, the `/` prompt and filter, the detail opened with
 * Enter, the help, and the status line saying what the last key did. Pure:
 * `reduceConsoleKey(state, key, context)` returns the next state and what
 * the owner must do (quit, pause, recompute under a new filter, fetch a
 * server's logs). Nothing here reads the stream.
 */

export const CONSOLE_VIEWS = ['servers', 'tools', 'callers', 'errors', 'approvals', 'security'] as const;
export type ConsoleView = (typeof CONSOLE_VIEWS)[number];

/**
 * A key as the terminal decoder gives it (io/keys.ts has the decoder): the
 * named keys the console reads, a printable character, or anything else.
 */
export type ConsoleKey = Key;

/** What Enter opened: a server's detail, or the detail of a tool, caller or error (narrowed the same way). */
export type DetailTarget =
  | { readonly kind: 'server'; readonly server: string }
  | { readonly kind: 'tool'; readonly server: string; readonly tool: string }
  | { readonly kind: 'caller'; readonly caller: string; readonly agent: string }
  | { readonly kind: 'error'; readonly errorType: string; readonly server: string };

export interface ViewSort {
  /** A column id of the view's table (undefined: its default). */
  readonly column: string | undefined;
  readonly reverse: boolean;
}

export type StatusTone = 'info' | 'success' | 'failure' | 'warning';

export interface ConsoleState {
  readonly view: ConsoleView;
  /** The selected row of each view, by key, and where it was (for when it leaves). */
  readonly selected: Readonly<Record<ConsoleView, { readonly key: string | undefined; readonly index: number }>>;
  /** The servers view sorts as the table always has (`s` cycles). */
  readonly tableSort: TableSort;
  readonly sorts: Readonly<Record<ConsoleView, ViewSort>>;
  /** The filter in effect, as typed; undefined for none. */
  readonly filterText: string | undefined;
  /** The `/` prompt while open: what is typed and, after a bad Enter, why it does not parse. */
  readonly prompt: { readonly text: string; readonly error: string | undefined } | undefined;
  readonly detail: DetailTarget | undefined;
  readonly help: boolean;
  readonly paused: boolean;
  readonly status: { readonly text: string; readonly tone: StatusTone; readonly atMs: number } | undefined;
}

export function initialConsoleState(tableSort: TableSort = 'problems'): ConsoleState {
  const each = <T>(value: T) => Object.fromEntries(CONSOLE_VIEWS.map((view) => [view, value])) as Record<ConsoleView, T>;
  return {
    view: 'servers',
    // Nothing is selected until a key moves the selection: the fleet table looks as it always has.
    selected: each({ key: undefined, index: -1 }),
    tableSort,
    sorts: each<ViewSort>({ column: undefined, reverse: false }),
    filterText: undefined,
    prompt: undefined,
    detail: undefined,
    help: false,
    paused: false,
    status: undefined,
  };
}

/** One row of the current view as the keys see it: its key and, for Enter, what it opens. */
export interface RowRef {
  readonly key: string;
  readonly opens: DetailTarget | undefined;
}

/** What a key needs to know of the screen: the rows of the current view in display order, the sortable columns, the page size. */
export interface KeyContext {
  readonly rows: readonly RowRef[];
  /** Column ids and headers of the current view's table (empty for views without columns). */
  readonly columns: readonly { readonly id: string; readonly header: string }[];
  /** The column the view is sorted by now (resolved default). */
  readonly sortColumn: string | undefined;
  /** Rows in a page (PgUp/PgDn). */
  readonly pageRows: number;
  readonly nowMs: number;
  /** Compiles the typed filter: the reason when it does not parse. */
  readonly checkFilter: (text: string) => string | undefined;
}

/** What the owner does after a key. */
export type ConsoleEffect =
  | { readonly kind: 'none' }
  | { readonly kind: 'quit' }
  /** The filter changed (undefined: cleared): recompute the views from the kept events. */
  | { readonly kind: 'filter'; readonly text: string | undefined }
  /** A detail opened: fetch what it needs (a server's logs). */
  | { readonly kind: 'detail'; readonly target: DetailTarget };

const NONE: ConsoleEffect = { kind: 'none' };

function status(state: ConsoleState, text: string, nowMs: number, tone: StatusTone = 'info'): ConsoleState {
  return { ...state, status: { text, tone, atMs: nowMs } };
}

function describeTarget(target: DetailTarget): string {
  switch (target.kind) {
    case 'server':
      return `server ${target.server}`;
    case 'tool':
      return `tool ${target.server} ${target.tool}`;
    case 'caller':
      return `caller ${target.caller}${target.agent ? ` via ${target.agent}` : ''}`;
    case 'error':
      return `error ${target.errorType} on ${target.server}`;
  }
}

/** The index of the selected row in `rows` now (its key where it went, else its old place). */
export function selectedIndex(state: ConsoleState, rows: readonly RowRef[]): number {
  const selected = state.selected[state.view];
  if (rows.length === 0 || (selected.key === undefined && selected.index < 0)) return -1;
  const at = selected.key === undefined ? -1 : rows.findIndex((row) => row.key === selected.key);
  return at >= 0 ? at : Math.min(Math.max(0, selected.index), rows.length - 1);
}

function select(state: ConsoleState, rows: readonly RowRef[], index: number): ConsoleState {
  if (rows.length === 0) return state;
  const at = Math.min(Math.max(0, index), rows.length - 1);
  return { ...state, selected: { ...state.selected, [state.view]: { key: rows[at]!.key, index: at } } };
}

function switchView(state: ConsoleState, delta: number, nowMs: number): ConsoleState {
  const at = CONSOLE_VIEWS.indexOf(state.view);
  const view = CONSOLE_VIEWS[(at + delta + CONSOLE_VIEWS.length) % CONSOLE_VIEWS.length]!;
  return status({ ...state, view, detail: undefined }, `view: ${view}`, nowMs);
}

function moveSortColumn(state: ConsoleState, context: KeyContext, delta: number): ConsoleState {
  if (state.view === 'servers') {
    const at = TABLE_SORTS.indexOf(state.tableSort);
    const tableSort = TABLE_SORTS[(at + delta + TABLE_SORTS.length) % TABLE_SORTS.length]!;
    return status({ ...state, tableSort }, `sort: ${tableSort === 'problems' ? 'problems first' : tableSort}`, context.nowMs);
  }
  if (context.columns.length === 0) return status(state, `the ${state.view} view has no columns to sort`, context.nowMs, 'warning');
  const ids = context.columns.map((c) => c.id);
  const at = Math.max(0, ids.indexOf(context.sortColumn ?? ids[0]!));
  const column = context.columns[(at + delta + ids.length) % ids.length]!;
  const sort = { ...state.sorts[state.view], column: column.id };
  return status({ ...state, sorts: { ...state.sorts, [state.view]: sort } }, `sort: ${column.header}${sort.reverse ? ' (reversed)' : ''}`, context.nowMs);
}

function promptKey(state: ConsoleState, key: ConsoleKey, context: KeyContext): { state: ConsoleState; effect: ConsoleEffect } {
  const prompt = state.prompt!;
  switch (key.name) {
    case 'escape':
    case 'ctrl-c':
      // Esc in the prompt clears the filter.
      return {
        state: status({ ...state, prompt: undefined, filterText: undefined }, state.filterText === undefined ? 'filter: none' : 'filter cleared', context.nowMs),
        effect: state.filterText === undefined ? NONE : { kind: 'filter', text: undefined },
      };
    case 'enter': {
      const text = prompt.text.trim();
      if (text === '') {
        return { state: status({ ...state, prompt: undefined, filterText: undefined }, 'filter cleared', context.nowMs), effect: { kind: 'filter', text: undefined } };
      }
      const error = context.checkFilter(text);
      if (error !== undefined) return { state: { ...state, prompt: { text: prompt.text, error } }, effect: NONE };
      return { state: status({ ...state, prompt: undefined, filterText: text }, `filter: ${text}`, context.nowMs, 'success'), effect: { kind: 'filter', text } };
    }
    case 'backspace':
      return { state: { ...state, prompt: { text: [...prompt.text].slice(0, -1).join(''), error: undefined } }, effect: NONE };
    case 'char':
      return { state: { ...state, prompt: { text: prompt.text + key.char, error: undefined } }, effect: NONE };
    default:
      return { state, effect: NONE };
  }
}

/** The console after one key, and what the owner must do. */
export function reduceConsoleKey(state: ConsoleState, key: ConsoleKey, context: KeyContext): { state: ConsoleState; effect: ConsoleEffect } {
  const { nowMs } = context;
  if (state.prompt !== undefined) return promptKey(state, key, context);
  if (state.help) {
    // Any key closes the help (q still quits).
    if (key.name === 'ctrl-c' || (key.name === 'char' && key.char === 'q')) return { state, effect: { kind: 'quit' } };
    return { state: status({ ...state, help: false }, 'help closed', nowMs), effect: NONE };
  }
  if (key.name === 'ctrl-c' || key.name === 'ctrl-d' || (key.name === 'char' && (key.char === 'q' || key.char === 'Q'))) return { state, effect: { kind: 'quit' } };
  if (key.name === 'tab') return { state: switchView(state, 1, nowMs), effect: NONE };
  if (key.name === 'shift-tab') return { state: switchView(state, -1, nowMs), effect: NONE };
  const rows = context.rows;
  const at = selectedIndex(state, rows);
  switch (key.name) {
    case 'up':
      return { state: select(state, rows, at < 0 ? rows.length - 1 : at - 1), effect: NONE };
    case 'down':
      return { state: select(state, rows, at + 1), effect: NONE };
    case 'page-up':
      return { state: select(state, rows, at - Math.max(1, context.pageRows)), effect: NONE };
    case 'page-down':
      return { state: select(state, rows, at + Math.max(1, context.pageRows)), effect: NONE };
    case 'home':
      return { state: select(state, rows, 0), effect: NONE };
    case 'end':
      return { state: select(state, rows, rows.length - 1), effect: NONE };
    case 'enter': {
      const target = at >= 0 ? rows[at]!.opens : undefined;
      if (target === undefined) {
        const why = rows.length === 0 ? 'nothing to open: no rows yet' : at < 0 ? 'select a row first (↑/↓ or j/k), then Enter' : 'this row has no detail';
        return { state: status(state, why, nowMs, 'warning'), effect: NONE };
      }
      return { state: status({ ...state, detail: target }, `detail: ${describeTarget(target)} (Esc back)`, nowMs), effect: { kind: 'detail', target } };
    }
    case 'escape':
    case 'backspace':
      if (state.detail !== undefined) return { state: status({ ...state, detail: undefined }, `back to ${state.view}`, nowMs), effect: NONE };
      return { state, effect: NONE };
    case 'char':
      break;
    default:
      return { state, effect: NONE };
  }
  switch (key.char) {
    case 'j':
      return { state: select(state, rows, at + 1), effect: NONE };
    case 'k':
      return { state: select(state, rows, at < 0 ? rows.length - 1 : at - 1), effect: NONE };
    case '/':
      return { state: { ...state, prompt: { text: state.filterText ?? '', error: undefined } }, effect: NONE };
    case '?':
      return { state: { ...state, help: true }, effect: NONE };
    case 's':
    case 'S':
    case '>':
      return { state: moveSortColumn(state, context, 1), effect: NONE };
    case '<':
      return { state: moveSortColumn(state, context, -1), effect: NONE };
    case 'r':
    case 'R': {
      if (state.view === 'servers' || context.columns.length === 0) return { state: status(state, `the ${state.view} view has a fixed order (r reverses the tools, callers and errors views)`, nowMs, 'warning'), effect: NONE };
      const sort = { ...state.sorts[state.view], reverse: !state.sorts[state.view].reverse };
      return { state: status({ ...state, sorts: { ...state.sorts, [state.view]: sort } }, sort.reverse ? 'sort reversed' : 'sort: natural order', nowMs), effect: NONE };
    }
    case 'p':
    case 'P':
      return { state: status({ ...state, paused: !state.paused }, state.paused ? 'resumed' : 'paused: the stream is still counted', nowMs), effect: NONE };
    case 'A':
      return { state: status({ ...state, view: 'approvals', detail: undefined }, 'view: approvals', nowMs), effect: NONE };
    default:
      return { state: status(state, `no key '${key.char}' here: ? shows every key`, nowMs, 'warning'), effect: NONE };
  }
}
