import { NotConnectedError, RuntimeError, TimeoutError } from '../errors.js';
import type { ClientHints } from '../client/hints.js';
import type { StreamClientOptions } from '../client/stream-options.js';
import { openFeed } from '../feed/open-feed.js';
import { formatDuration } from '../format/duration.js';
import { displayUrl } from '../format/url.js';
import type { fetchFleetSnapshot } from '../client/fleet-snapshot.js';
import type { EventFilter } from '../filter/event-filter.js';
import { plainColorScheme, resolveColorLevel, type ColorLevel, type ColorMode, type ColorScheme } from '../io/color-level.js';
import { canDrawLive } from '../io/terminal-size.js';
import type { IO } from '../io/io.js';
import type { ReplayRequest } from '../protocol/types.js';
import type { CompiledTemplate } from '../render/template.js';
import { TailPipeline, type PipelineEnd, type PipelineHints } from './pipeline.js';
import { createSink, type OutputSettings, type SinkParts } from './sinks/create-sink.js';
import type { TailSink } from './sinks/sink.js';
import { TailStats } from './stats.js';
import { createOraSpinner, StatusReporter, type Spinner } from './status.js';
import type { StoreLocation } from '../store/location.js';
import type { StoreReader } from '../store/store-reader.js';
import type { StoreWindow } from '../store/store-window.js';
import type { HangarEvent } from '../protocol/types.js';

/** Everything one tail session needs, compiled and checked (commands/tail/options.ts builds it from flags). */
export interface TailSessionOptions extends OutputSettings {
  /** Normalised ws:// or wss:// URLs; at least one unless a store is the source. */
  readonly urls: readonly string[];
  /** Headers of the upgrade request: credentials and extra headers (never printed). */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** --api-key-header, when given (auth errors then know a credential was sent). */
  readonly apiKeyHeader?: string | undefined;
  /** Extra CA certificates (PEM) for wss://. */
  readonly ca: Buffer | undefined;
  readonly insecure: boolean;
  readonly filter: EventFilter;
  /** Said on stderr before connecting (an unknown event type, one a gateway never emits). */
  readonly warnings: readonly string[];
  /** Human description of the filters, e.g. `type=HealthCheck* server=math`, for banners and the table header. */
  readonly filterDescription: string;
  /** The pretty line's template, if any. */
  readonly template: CompiledTemplate | undefined;
  readonly color: ColorMode;
  /** No connection status on stderr (warnings, gaps and errors still appear). */
  readonly quiet: boolean;
  readonly reconnect: boolean;
  /** Consecutive failed reconnects before giving up; undefined = keep trying. */
  readonly maxRetries: number | undefined;
  /** Ask the server for its last n events first. */
  readonly history: number | undefined;
  /** Ask the server for the events since this time (ms since the epoch). */
  readonly sinceEpochMs: number | undefined;
  /** End (exit 0) at this time (ms since the epoch): an event later than it is not shown, and the stream stops then. */
  readonly untilEpochMs: number | undefined;
  /** false: print the history and end. */
  readonly follow: boolean;
  readonly count: number | undefined;
  readonly timeoutMs: number | undefined;
  /** Append every shown event, as received, to this NDJSON file. */
  readonly record: string | undefined;
  /** Print a summary on stderr at the end. */
  readonly stats: boolean;
  /** --exec: a shell command run for every shown event (JSON on stdin, HANGAR_EVENT* in the environment). */
  readonly exec: { readonly command: string; readonly concurrency: number } | undefined;
  /** --bell: ring the terminal (BEL on stderr, when it is one) on shown events, at most once a second. */
  readonly bell: boolean;
  /** How messages name the settings (commands/ passes its flag names). */
  readonly hints: { readonly client: ClientHints; readonly pipeline: PipelineHints; readonly exec?: string };
  /** The gateway's event store (--store): history and outages come from it; with no URL it is the only source. */
  readonly store: StoreLocation | undefined;
  readonly storeTablePrefix: string | undefined;
  /** How often the store is read (following it alone, or keeping the resume point while live). */
  readonly storeIntervalMs: number;
}

/** Knobs tests turn (short ping intervals, fast backoff); the CLI uses the defaults. */
export interface TailDeps {
  readonly client?: Partial<
    Pick<StreamClientOptions, 'pingIntervalMs' | 'livenessMarginMs' | 'serverDetectMs' | 'backoff' | 'random' | 'maxFrameBytes' | 'handshakeTimeoutMs' | 'standStillMs' | 'clock'>
  >;
  /** Builds the stderr spinner; default: ora when stderr is a terminal. */
  readonly createSpinner?: (io: IO) => Promise<Spinner | undefined>;
  /** The table's fleet snapshot fetch (default GET /api/mcp_servers); null turns it off. */
  readonly fetchSnapshot?: typeof fetchFleetSnapshot | null;
  /**
   * Another output than tail's own (`top`): builds the sink from the parts
   * tail made. `ownsTerminal` says it redraws stdout in place, so no spinner
   * is started on stderr.
   */
  readonly sink?: { readonly create: (parts: SinkParts) => TailSink; readonly ownsTerminal: boolean };
}

/**
 * One tail: connects to every URL, subscribes, and writes the matching
 * events until the count, the timeout, Ctrl-C, the end of history (no
 * follow) or a closed stdout ends it. Throws AuthError, ConnectionError,
 * TimeoutError or RuntimeError; a normal end returns. The options are already
 * compiled and checked (commands/tail/options.ts), so nothing here is a usage error.
 */
export async function runTailSession(options: TailSessionOptions, io: IO, deps: TailDeps = {}): Promise<void> {
  const { filter, template } = options;

  const stdoutColors = await colorScheme(options.output === 'ndjson' ? 0 : resolveColorLevel(io, io.stdout.isTTY, options.color));
  const stderrColors = await colorScheme(resolveColorLevel(io, io.stderr.isTTY, options.color));
  // The live table owns the terminal: no spinner fighting it for the cursor.
  const liveTable = deps.sink !== undefined ? deps.sink.ownsTerminal : options.output === 'table' && canDrawLive(io);
  const spinner = options.quiet || liveTable ? undefined : await (deps.createSpinner ?? createOraSpinner)(io);
  const status = new StatusReporter({
    stderr: io.stderr,
    colors: stderrColors,
    quiet: options.quiet,
    multiSource: options.urls.length > 1,
    spinner,
    clock: io.clock,
  });

  for (const warning of options.warnings) status.warn(warning);

  // What only some tails use is loaded when used: a start is mostly module loading (bench/README.md, startup).
  const recorder = options.record !== undefined ? await (await import('./recorder.js')).openRecorder(options.record, io.cwd, (message) => status.warn(message)) : undefined;
  const exec =
    options.exec === undefined
      ? undefined
      : (await import('./exec-action.js')).createExecAction({
          command: options.exec.command,
          concurrency: options.exec.concurrency,
          queueLimit: EXEC_QUEUE_LIMIT,
          ...(options.hints.exec !== undefined ? { label: options.hints.exec } : {}),
          env: io.env,
          report: (line) => status.warn(line),
          writeOutput: (chunk) => io.stderr.write(chunk),
          clock: io.clock,
        });
  const bell = options.bell && io.stderr.isTTY ? createBell(io) : undefined;
  // The table rings for a new approval only (every event would ring it once a second).
  const eventBell = options.output === 'table' ? undefined : bell;
  const onShown =
    exec || eventBell
      ? (event: HangarEvent, raw: string) => {
          eventBell?.();
          exec?.run(event, raw);
        }
      : undefined;
  // The table seeds its rows from the fleet snapshot of each endpoint, fetched with the stream's credentials.
  const fetchSnapshot = options.output === 'table' && deps.fetchSnapshot !== null ? (deps.fetchSnapshot ?? (await import('../client/fleet-snapshot.js')).fetchFleetSnapshot) : undefined;
  const fleetSnapshot = fetchSnapshot !== undefined ? (url: string) => fetchSnapshot(url, { headers: options.requestHeaders, ca: options.ca, insecure: options.insecure }) : undefined;
  // The console's server detail asks the first endpoint for the server's log lines, with the stream's credentials.
  const { fetchServerLogs } = options.output === 'table' && options.urls.length > 0 && deps.fetchSnapshot !== null ? await import('../client/server-logs.js') : { fetchServerLogs: undefined };
  const fetchLogs =
    fetchServerLogs !== undefined
      ? (server: string, lines: number) => fetchServerLogs(options.urls[0]!, server, lines, { headers: options.requestHeaders, ca: options.ca, insecure: options.insecure })
      : undefined;
  // The table's approvals view asks the approvals API next to the first stream, with its credentials.
  const tableApprovals = options.output === 'table' && options.urls.length > 0 ? (await import('./table-approvals.js')).openTableApprovals(options.urls[0]!, options) : undefined;
  const parts: SinkParts = {
    stdoutColors,
    stderrColors,
    status,
    template,
    onQuit: () => finish({ kind: 'done' }),
    approvals: tableApprovals?.approvals,
    bell: options.output === 'table' ? bell : undefined,
    fetchLogs,
  };
  const sink = deps.sink !== undefined ? deps.sink.create(parts) : await createSink(options, io, parts);
  const stats = new TailStats(io.monotonicMs(), options.stats);

  let finish!: (end: PipelineEnd) => void;
  const ended = new Promise<PipelineEnd>((resolve) => {
    let done = false;
    finish = (end) => {
      if (done) return;
      done = true;
      resolve(end);
    };
  });

  const pipeline = new TailPipeline({
    sink,
    stats,
    matches: filter.matches,
    // With --calls, -n counts calls, not events: the calls sink ends the tail (onQuit).
    count: options.calls ? undefined : options.count,
    untilEpochMs: options.untilEpochMs,
    follow: options.follow,
    hints: options.hints.pipeline,
    record: recorder?.write,
    onShown,
    nowMs: () => io.now(),
    end: (end) => finish(end),
  });

  // NDJSON needs no field when nothing filters, records or counts per type on our side:
  // plain event frames then go from the socket to stdout as bytes (StreamClientOptions.passPlainEvents).
  // The default pretty line reads its few fields from those bytes (render/plain-line.ts).
  const plainPretty = options.output === 'pretty' && !options.calls && options.fields === undefined && template === undefined;
  const passPlainEvents =
    (options.output === 'ndjson' || plainPretty) && filter.matches === undefined && recorder === undefined && !options.stats && options.untilEpochMs === undefined && onShown === undefined;
  // NDJSON lines are the frames as they are, the pretty lines read their fields from the frames' member spans:
  // the scan (and the spans) run in WebAssembly (protocol/plain-scan-wasm.ts), loaded only here.
  // For the stream client only: a store-only tail (no URL) makes none (the store's lines have their own).
  const plainScanner = passPlainEvents && options.urls.length > 0 ? (await import('../protocol/plain-scan-wasm.js')).createPlainFrameScanner() : undefined;
  // With --store the history comes from the store, not from the server's ring.
  const initialReplay: ReplayRequest | undefined = options.store !== undefined
    ? undefined
    : options.history !== undefined ? { last: options.history } : options.sinceEpochMs !== undefined ? { since: options.sinceEpochMs / 1000 } : undefined;
  const clientOptions: Omit<StreamClientOptions, 'url'> = {
    headers: options.requestHeaders,
    apiKeyHeader: options.apiKeyHeader,
    ca: options.ca,
    insecure: options.insecure,
    hints: options.hints.client,
    // No mcp_server_ids on live events: see EventFilter.replayServerIds.
    subscription: { eventTypes: filter.eventTypes, serverIds: undefined, replayServerIds: filter.replayServerIds, replayFilter: filter.replayFilter },
    initialReplay,
    reconnect: options.reconnect,
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    monotonicMs: () => io.monotonicMs(),
    nowMs: () => io.now(),
    passPlainEvents,
    recordMembers: passPlainEvents && plainPretty,
    plainScanner,
    // Reconnect backoff, liveness and the serve/gateway detection step with io.clock like every other timer.
    clock: io.clock,
    ...deps.client,
  };

  const onStdoutError = (error: NodeJS.ErrnoException) => {
    // The reader went away (`| head`): a normal end, quietly.
    if (error?.code === 'EPIPE' || error?.code === 'ERR_STREAM_DESTROYED') finish({ kind: 'done' });
    else finish({ kind: 'error', error: new RuntimeError('cannot write to stdout', { cause: error }) });
  };
  io.stdout.on('error', onStdoutError);
  const removeSignals = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => io.onSignal(signal, () => finish({ kind: 'done' })));
  const timer =
    options.timeoutMs !== undefined
      ? io.clock.setTimeout(() => {
          if (stats.connections === 0) {
            const why = stats.lastConnectError === undefined ? 'still connecting' : `last attempt: ${stats.lastConnectError}`;
            finish({
              kind: 'error',
              error: new NotConnectedError(
                `timed out after ${formatDuration(options.timeoutMs!)} without connecting to ${options.urls.map((url) => displayUrl(url)).join(', ')} (${why}): is the server running and the URL right?`,
              ),
            });
          } else if (options.count !== undefined) {
            finish({
              kind: 'error',
              error: new TimeoutError(
                options.calls
                  ? `timed out after ${formatDuration(options.timeoutMs!)}: fewer than ${options.count} tool ${options.count === 1 ? 'call' : 'calls'} ended`
                  : `timed out after ${formatDuration(options.timeoutMs!)}: ${stats.shown} of ${options.count} matching ${options.count === 1 ? 'event' : 'events'} arrived`,
              ),
            });
          } else {
            finish({ kind: 'done' });
          }
        }, options.timeoutMs)
      : undefined;

  // --until in the future: the stream ends then, like a --timeout that is not an error.
  const untilTimer =
    options.untilEpochMs !== undefined && options.untilEpochMs > io.now()
      ? io.clock.setTimeout(() => finish({ kind: 'done' }), Math.min(options.untilEpochMs - io.now(), 2 ** 31 - 1))
      : undefined;

  // The store is opened last, so nothing else is left open when it fails; its errors (exit 6) come before any output.
  let reader: StoreReader | undefined;
  try {
    reader = options.store !== undefined ? await openTailStore(options, io) : undefined;
  } catch (error) {
    timer?.cancel();
    for (const remove of removeSignals) remove();
    io.stdout.off('error', onStdoutError);
    status.close();
    if (recorder) await recorder.close();
    throw error;
  }
  const feed = openFeed({
    urls: options.urls,
    client: clientOptions,
    store: reader
      ? {
          reader,
          window: storeWindow(options, io),
          intervalMs: options.storeIntervalMs,
          follow: options.follow,
          matches: filter.matches,
          serverIds: filter.replayServerIds,
          untilSeconds: options.untilEpochMs !== undefined ? options.untilEpochMs / 1000 : undefined,
          clock: io.clock,
        }
      : undefined,
    fleetSnapshot,
    monotonicMs: () => io.monotonicMs(),
    nowMs: () => io.now(),
  });
  stats.storeInUse = reader !== undefined;
  sink.start({ sources: feed.shownSources, filterDescription: options.filterDescription });
  pipeline.attach(feed);
  feed.finished.catch((error: Error) => finish({ kind: 'error', error }));
  await feed.start();

  const end = await ended;
  pipeline.stop();
  timer?.cancel();
  untilTimer?.cancel();
  for (const remove of removeSignals) remove();
  await feed.stop();
  await reader?.close();
  stats.duplicates += feed.duplicates;
  await sink.close();
  tableApprovals?.close();
  io.stdout.off('error', onStdoutError);
  const recording = await recorder?.close();
  await exec?.close();
  if (options.stats) io.stderr.write(stats.format(io.monotonicMs(), stderrColors));
  if (end.kind === 'error') throw end.error;
  if (recording?.error) throw recording.error;
}

/** Opens --store read-only, loading its driver only now (a tail without --store never loads one). */
async function openTailStore(options: TailSessionOptions, io: IO): Promise<StoreReader> {
  const { openStore } = await import('../store/open-store.js');
  return openStore(options.store!, { cwd: io.cwd, tablePrefix: options.storeTablePrefix, env: io.env });
}

/** The store window --since/--history ask for. */
function storeWindow(options: TailSessionOptions, io: IO): StoreWindow {
  if (options.history !== undefined) return { kind: 'last', count: options.history };
  if (options.sinceEpochMs !== undefined) return { kind: 'since', seconds: options.sinceEpochMs / 1000 };
  return { kind: 'none' };
}

/** --exec commands waiting beyond the running ones before events are skipped. */
const EXEC_QUEUE_LIMIT = 1000;
const BELL = '\x07';

/** A terminal bell that rings at most once a second, however many events match. */
function createBell(io: IO): () => void {
  let lastMs = Number.NEGATIVE_INFINITY;
  return () => {
    const now = io.monotonicMs();
    if (now - lastMs < 1000) return;
    lastMs = now;
    io.stderr.write(BELL);
  };
}

/** The scheme for a stream: chalk (io/color.ts) is loaded only when the stream gets color. */
async function colorScheme(level: ColorLevel): Promise<ColorScheme> {
  return level === 0 ? plainColorScheme() : (await import('../io/color.js')).createColorScheme(level);
}
