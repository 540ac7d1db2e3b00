import { emptyAggregates, reduceAggregates, type Aggregates } from '../aggregate/aggregates.js';
import { TOP_COLUMNS, topView, type TopBy } from '../aggregate/top-view.js';
import type { ColorScheme } from '../io/color-level.js';
import type { IO } from '../io/io.js';
import { listenToKeys, type KeyListener } from '../io/keys.js';
import { createLiveRegion, type LiveRegion } from '../io/live-region.js';
import { terminalSize } from '../io/terminal-size.js';
import { rowAsJson } from '../render/top/cells.js';
import { renderTopColumns, renderTopTable } from '../render/top/render-top.js';
import { fit, truncate } from '../render/table/text.js';
import type { FeedNotice } from '../feed/messages.js';
import type { SinkStart, TailSink } from '../tail/sinks/sink.js';
import { waitForDrain } from '../tail/sinks/drain.js';
import type { Timer } from '../io/clock.js';

/**
 * `hangar-events top`'s output: folds every event into the aggregates (a pure
 * reducer) and shows one grouping. On a terminal (`live`) it redraws in place
 * every `refreshMs` (q or Ctrl-C quits, s moves the sort column, r reverses);
 * otherwise it writes the table (or its rows as JSON/NDJSON) once, when the
 * session ends: after `onceAfterMs` when following, at the end of the history
 * with --no-follow, at Ctrl-C.
 */

export type TopOutput = 'table' | 'json' | 'ndjson';

export interface TopSinkOptions {
  readonly by: TopBy;
  /** A column id of `by` (resolveSortColumn), or undefined for the grouping's default. */
  readonly sort: string | undefined;
  readonly output: TopOutput;
  /** -n: at most this many rows (undefined: all, or what fits on the screen). */
  readonly maxRows: number | undefined;
  readonly colors: ColorScheme;
  /** Redraw in place on the terminal rather than print once. */
  readonly live: boolean;
  readonly refreshMs: number;
  /** When following without a terminal (or --once): end the session this long after the start. */
  readonly onceAfterMs: number | undefined;
  /** Whether the session follows live (rates and ages as of now) or reads a history (as of its last event). */
  readonly follow: boolean;
  readonly onQuit: () => void;
  /** Off a terminal: connection notices on stderr, as tail reports them. */
  readonly status?: { notice(notice: FeedNotice): void; close(): void } | undefined;
}

/** Above this many unflushed bytes, `whenWritable` waits for stdout to drain. */
const HIGH_WATER_BYTES = 64 * 1024;

export function createTopSink(io: IO, options: TopSinkOptions): TailSink {
  let state: Aggregates = emptyAggregates();
  let sort = options.sort;
  let reverse = false;
  let filterDescription = '';
  let region: LiveRegion | undefined;
  let refresh: Timer | undefined;
  let once: Timer | undefined;
  let keysOn = false;
  let keys: KeyListener | undefined;
  let started = false;
  let closed = false;

  const asOfMs = () => (options.follow ? io.now() : (state.lastAtMs ?? io.now()));

  const screen = (final: boolean): string[] => {
    const { columns, rows } = terminalSize(io.stdout, io.env);
    const height = final ? Math.max(1, rows - 1) : rows;
    const view = topView(state, options.by, { asOfMs: asOfMs(), sort, reverse });
    const clock = new Date(io.now()).toISOString().slice(11, 19);
    const title = `hangar-events top  by ${options.by}  ${view.rows.length} ${view.rows.length === 1 ? 'row' : 'rows'}  ${state.totalEvents} events  ${filterDescription}  ${clock}`;
    const keys = keysOn ? 'q quit  s sort column  r reverse' : '';
    const lines = [options.colors.bold(truncate(title, columns))];
    if (keys !== '' && height >= 4) lines.push(options.colors.dim(fit(keys, columns).trimEnd()));
    const room = Math.max(0, height - lines.length);
    const maxRows = options.maxRows === undefined ? room : Math.min(room, options.maxRows + 1);
    lines.push(...renderTopColumns(view, { colors: options.colors, asOfMs: asOfMs(), width: columns, height: maxRows }));
    return lines.slice(0, height);
  };

  const draw = (final = false) => {
    if (region) region.update(screen(final));
  };

  const print = () => {
    const view = topView(state, options.by, { asOfMs: asOfMs(), sort, reverse });
    const rows = options.maxRows === undefined ? view.rows : view.rows.slice(0, options.maxRows);
    if (options.output === 'json') io.stdout.write(`${JSON.stringify(rows.map((row) => rowAsJson(view, row)), null, 2)}\n`);
    else if (options.output === 'ndjson') io.stdout.write(rows.map((row) => `${JSON.stringify(rowAsJson(view, row))}\n`).join(''));
    else io.stdout.write(`${renderTopTable(view, { colors: options.colors, asOfMs: asOfMs(), maxRows: options.maxRows ?? Number.POSITIVE_INFINITY })}\n`);
  };

  const onKey = (chunk: Buffer | string) => {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.startsWith('\x1b')) return;
    for (const key of text) {
      if (key === 'q' || key === 'Q' || key === '\x03' || key === '\x04') {
        options.onQuit();
        return;
      }
      if (key === 's') {
        const ids = TOP_COLUMNS[options.by].map((column) => column.id);
        const current = topView(emptyAggregates(), options.by, { asOfMs: 0, sort }).sort;
        sort = ids[(ids.indexOf(current) + 1) % ids.length];
        draw();
      } else if (key === 'r') {
        reverse = !reverse;
        draw();
      }
    }
  };

  const startKeys = () => {
    keys = listenToKeys(io.stdin, onKey);
    keysOn = keys.listening;
  };

  const stopKeys = () => {
    keys?.stop();
    keysOn = false;
  };

  return {
    start(context: SinkStart) {
      if (started || closed) return;
      started = true;
      filterDescription = context.filterDescription;
      if (options.live) {
        region = createLiveRegion(io.stdout, { onResize: () => draw() });
        startKeys();
        draw();
        refresh = io.clock.setInterval(() => draw(), Math.max(100, options.refreshMs)).unref();
      }
      if (options.onceAfterMs !== undefined) {
        once = io.clock.setTimeout(() => options.onQuit(), options.onceAfterMs).unref();
      }
    },
    event(event) {
      state = reduceAggregates(state, event, io.now());
    },
    notice(notice) {
      options.status?.notice(notice);
    },
    canWrite() {
      return io.stdout.writableLength <= HIGH_WATER_BYTES;
    },
    whenWritable() {
      return io.stdout.writableLength <= HIGH_WATER_BYTES ? Promise.resolve() : waitForDrain(io.stdout);
    },
    async close() {
      if (closed) return;
      closed = true;
      refresh?.cancel();
      once?.cancel();
      try {
        if (!started) return;
        if (region) draw(true);
        else print();
      } finally {
        stopKeys();
        region?.done();
        options.status?.close();
      }
    },
  };
}
