import type { ColorScheme } from '../../io/color-level.js';
import type { IO } from '../../io/io.js';
import { createLiveRegion, type LiveRegion } from '../../io/live-region.js';
import { waitForDrain } from './drain.js';
import { terminalSize } from '../../io/terminal-size.js';
import { emptyTableState, reduceTable, reduceTableNotice, type TableState } from '../../render/table/reduce-table.js';
import { renderTable, type TableHeaderInfo } from '../../render/table/render-table.js';
import { nextSort, type TableSort } from '../../render/table/sorts.js';
import type { SourceRef, FeedNotice } from '../../feed/messages.js';
import type { SinkStart, TailSink } from './sink.js';
import { decodeKeys, isChar, listenToKeys, type KeyListener } from '../../io/keys.js';
import { ApprovalsController, type TableApprovals } from './approvals-controller.js';
import { ConsoleController } from '../../console/console-controller.js';
import type { ServerLogLine } from '../../protocol/server-logs.js';
import type { Timer } from '../../io/clock.js';

/**
 * `tail -o table`: the live table of the fleet. State is updated per event
 * (a pure reducer); the screen per frame, at most FRAME_INTERVAL_MS apart,
 * however fast events arrive.
 *
 * On a terminal (`interactive`) the table is redrawn in place through the
 * live region, with keys when stdin is a terminal too: q (or Ctrl-C) quits,
 * s cycles the sort, p pauses the display while the stream is still counted,
 * the console (src/console/) adds its views, selection, details, filter
 * and help, and A (or Tab to `approvals`) hands the keys to the approvals
 * view (approvals-controller.ts), which has keys of its own.
 * Otherwise it prints a plain snapshot every `intervalMs` and a last one at
 * close, so it can be logged or piped.
 */

export interface TableSinkOptions {
  readonly colors: ColorScheme;
  readonly sort: TableSort;
  /** Plain-snapshot period when not interactive. */
  readonly intervalMs: number;
  /** Redraw in place (stdout is a terminal) rather than print snapshots. */
  readonly interactive: boolean;
  /** Called when the user asks to stop (q, Ctrl-C in raw mode); tail then ends and closes the sink. */
  readonly onQuit?: (() => void) | undefined;
  /** GET /api/mcp_servers/{id}/logs on the endpoint followed, for the console's server detail. */
  readonly fetchLogs?: ((server: string, lines: number) => Promise<readonly ServerLogLine[]>) | undefined;
  /**
   * Also reports notices on stderr (drops, gaps, connection status). Only for
   * plain snapshots: on a terminal the table shows them and stderr lines would tear it.
   */
  readonly status?: { notice(notice: FeedNotice): void; close(): void } | undefined;
  /**
   * The approvals API of the endpoint followed (the first URL), for the
   * approvals view (`A`): its countdowns, arguments and decisions. Without it
   * the view lists what the stream announced and cannot decide.
   */
  readonly approvals?: TableApprovals | undefined;
  /** --bell: rings when a new approval is requested (the table rings for nothing else). */
  readonly bell?: (() => void) | undefined;
}

/** Minimum time between two frames (about 10 per second). */
export const FRAME_INTERVAL_MS = 100;
/** A frame is drawn at least this often, so "ago" figures and the rate move on a quiet stream. */
const IDLE_REDRAW_MS = 1000;
/** Above this many unflushed bytes, `whenWritable` waits for stdout to drain. */
const HIGH_WATER_BYTES = 64 * 1024;

export function createTableSink(io: IO, options: TableSinkOptions): TailSink {
  let state: TableState = emptyTableState();
  /** Endpoints connected whose subscription has not been acknowledged yet. */
  let header: TableHeaderInfo = { sources: [], filterDescription: '' };
  let sort = options.sort;
  let paused = false;
  let dirty = true;
  let lastFrameMs = Number.NEGATIVE_INFINITY;
  let timer: Timer | undefined;
  let region: LiveRegion | undefined;
  let keysOn = false;
  let keys: KeyListener | undefined;
  let started = false;
  let closed = false;
  /** The first endpoint connected and its subscription not acknowledged yet. */
  let awaitingFirstAck = false;
  const approvalsView = new ApprovalsController({
    approvals: options.approvals,
    getTable: () => state,
    setTable: (next) => {
      state = next;
      dirty = true;
    },
    redraw: () => draw(),
    quit: () => options.onQuit?.(),
    nowMs: () => io.now(),
    monotonicMs: () => io.monotonicMs(),
  });
  // On a terminal the console (src/console/) draws the table, its other views and details; the keys drive it.
  const consoleView = options.interactive
    ? new ConsoleController({ colors: options.colors, sort: options.sort, nowMs: () => io.now(), fetchLogs: options.fetchLogs, redraw: () => draw(), quit: () => options.onQuit?.() })
    : undefined;

  /** `final`: one line short of the terminal, so the newline after it does not scroll the header away. */
  const draw = (showKeys = keysOn, final = false) => {
    if (!region) return;
    // Never 0: a terminal that reports no size is drawn for COLUMNS/LINES, else 80x24.
    const { columns, rows } = terminalSize(io.stdout, io.env);
    const height = final ? Math.max(1, rows - 1) : rows;
    const lines = approvalsView.isOpen && !final
      ? approvalsView.render({ colors: options.colors, width: columns, height })
      : consoleView
        ? consoleView.render(state, { width: columns, height, header: { ...header, keys: showKeys } })
        : renderTable(state, { colors: options.colors, width: columns, height, nowMs: io.now(), sort, header: { ...header, paused, keys: showKeys } });
    region.update(lines);
    dirty = false;
    lastFrameMs = io.monotonicMs();
  };

  const tick = () => {
    approvalsView.tick();
    if ((consoleView?.paused ?? paused) && !approvalsView.isOpen) return;
    if (dirty || io.monotonicMs() - lastFrameMs >= IDLE_REDRAW_MS) draw();
  };

  const snapshot = () => {
    const nowMs = io.now();
    const lines = renderTable(state, {
      colors: options.colors,
      width: io.stdout.columns ?? Number.POSITIVE_INFINITY,
      height: Number.POSITIVE_INFINITY,
      nowMs,
      sort,
      header: { ...header, clock: new Date(nowMs).toISOString() },
    });
    io.stdout.write(`${lines.join('\n')}\n\n`);
  };

  const onKey = (chunk: Buffer | string) => {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (const key of decodeKeys(text)) {
      // The approvals view has keys of its own (and a reason is typed there): it gets them all, but
      // Tab / Shift-Tab, which move the console on to another view.
      if (approvalsView.isOpen && !(consoleView && (key.name === 'tab' || key.name === 'shift-tab'))) {
        approvalsView.key(key);
        // Esc closed it: the console leaves its approvals view too.
        if (!approvalsView.isOpen) consoleView?.leaveApprovals();
        continue;
      }
      if (consoleView) {
        const { rows } = terminalSize(io.stdout, io.env);
        consoleView.key(key, state, Math.max(1, rows - 8));
        // The console's approvals view (A, or Tab to it) is the approvals controller's.
        if (consoleView.view === 'approvals' && !approvalsView.isOpen) approvalsView.open();
        else if (consoleView.view !== 'approvals' && approvalsView.isOpen) approvalsView.hide();
        continue;
      }
      if (isChar(key, 'q') || isChar(key, 'Q') || key.name === 'ctrl-c' || key.name === 'ctrl-d') {
        options.onQuit?.();
        return;
      }
      if (isChar(key, 's') || isChar(key, 'S')) {
        sort = nextSort(sort);
        draw();
      } else if (isChar(key, 'p') || isChar(key, 'P')) {
        paused = !paused;
        draw();
      } else if (isChar(key, 'A')) {
        approvalsView.open();
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
      header = { sources: context.sources, filterDescription: context.filterDescription };
      if (options.interactive) {
        region = createLiveRegion(io.stdout, { onResize: () => draw() });
        startKeys();
        draw();
        timer = io.clock.setInterval(tick, FRAME_INTERVAL_MS).unref();
      } else {
        timer = io.clock.setInterval(snapshot, Math.max(1, options.intervalMs)).unref();
      }
    },
    event(event, raw) {
      const announced = approvalsView.event(event) && !state.approvals.has(event.approval_id as string);
      state = reduceTable(state, event, io.now());
      consoleView?.event(event, raw.length, io.now());
      dirty = true;
      if (announced) options.bell?.();
    },
    notice(notice) {
      state = reduceTableNotice(state, notice, io.now());
      dirty = true;
      options.status?.notice(notice);
      // Approvals requested before we connected are announced by no event: ask the list once per
      // connection of the first endpoint, once it is subscribed (the first ack after each connect).
      if (notice.kind === 'connected' && notice.source.index === 0) awaitingFirstAck = true;
      if (notice.kind === 'subscribed' && notice.source.index === 0 && awaitingFirstAck) {
        awaitingFirstAck = false;
        approvalsView.refresh();
      }
    },
    canWrite() {
      return io.stdout.writableLength <= HIGH_WATER_BYTES;
    },
    whenWritable() {
      // Data is waiting in stdout's buffer, so its 'drain' is still to come.
      return io.stdout.writableLength <= HIGH_WATER_BYTES ? Promise.resolve() : waitForDrain(io.stdout);
    },
    async close() {
      if (closed) return;
      closed = true;
      approvalsView.close();
      consoleView?.close();
      timer?.cancel();
      timer = undefined;
      if (!started) {
        options.status?.close();
        return;
      }
      try {
        if (region) {
          // The last frame stays on screen, with everything that arrived.
          paused = false;
          draw(false, true);
        } else {
          snapshot();
        }
      } finally {
        stopKeys();
        region?.done();
        options.status?.close();
      }
    },
  };
}
