import { open, readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { WriteStream } from 'node:fs';
import { NotConnectedError, RuntimeError, TimeoutError, UsageError } from '../../errors.js';
import { buildHeaders } from '../../client/headers.js';
import { formatSeconds, StreamClient, type StreamClientOptions } from '../../client/stream-client.js';
import { displayUrl, sourceLabels } from '../../client/url.js';
import { compileTypeFilter, suggestTypes } from '../../filter/type-filter.js';
import { compileAboutFilter } from '../../filter/about-filter.js';
import { compileWhere } from '../../filter/where.js';
import { createColorScheme, resolveColorLevel } from '../../io/color.js';
import type { IO } from '../../io/io.js';
import type { HangarEvent, ReplayRequest } from '../../protocol/types.js';
import { stripControl } from '../../render/sanitize.js';
import { compileTemplate } from '../../render/template.js';
import type { StreamSource } from '../../tail/notices.js';
import { TailPipeline, type PipelineEnd } from '../../tail/pipeline.js';
import { createSink } from '../../tail/sinks/create-sink.js';
import { canDrawLive } from '../../tail/sinks/table-sink.js';
import { TailStats } from '../../tail/stats.js';
import { createOraSpinner, StatusReporter, type Spinner } from '../../tail/status.js';
import type { TailOptions } from './options.js';

/** Knobs tests turn (short ping intervals, fast backoff); the CLI uses the defaults. */
export interface TailDeps {
  readonly client?: Partial<
    Pick<StreamClientOptions, 'pingIntervalMs' | 'livenessMarginMs' | 'serverDetectMs' | 'backoff' | 'random' | 'maxFrameBytes' | 'handshakeTimeoutMs'>
  >;
  /** Builds the stderr spinner; default: ora when stderr is a terminal. */
  readonly createSpinner?: (io: IO) => Promise<Spinner | undefined>;
}

/**
 * `hangar-events tail`: connects to every URL, subscribes, and writes the
 * matching events until the count, the timeout, Ctrl-C, the end of history
 * (--no-follow) or a closed stdout ends it. Throws AuthError, ConnectionError,
 * TimeoutError, UsageError or RuntimeError; a normal end returns.
 */
export async function runTail(options: TailOptions, io: IO, deps: TailDeps = {}): Promise<void> {
  // Everything that can be wrong with the flags fails before any socket opens.
  const typeFilter = compileTypeFilter(options.types, options.excludeTypes);
  const where = options.where.length > 0 ? compileWhere(options.where) : undefined;
  const template = options.format !== undefined ? compileTemplate(options.format) : undefined;
  const about = compileAboutFilter(options.servers, options.groups);
  const unfiltered = typeFilter.all && about === undefined && where === undefined;
  const matches = unfiltered
    ? undefined
    : (event: HangarEvent): boolean =>
        typeFilter.matches(event.event_type) && (about === undefined || about(event)) && (where === undefined || where(event));

  const apiKey = options.apiKeyFile !== undefined ? await readApiKeyFile(options.apiKeyFile, io) : options.apiKey;
  if (options.bearer && apiKey === undefined) {
    throw new UsageError('--bearer sends the API key as a bearer token, but there is no key: give one with -k/--api-key, --api-key-file or HANGAR_API_KEY');
  }
  const headers = buildHeaders({ apiKey, bearer: options.bearer, extra: options.headers });
  const ca = options.caFile !== undefined ? await readCaFile(options.caFile, io) : undefined;

  const stdoutColors = createColorScheme(options.output === 'ndjson' ? 0 : resolveColorLevel(io, io.stdout.isTTY, options.color));
  const stderrColors = createColorScheme(resolveColorLevel(io, io.stderr.isTTY, options.color));
  // The live table owns the terminal: no spinner fighting it for the cursor.
  const liveTable = options.output === 'table' && canDrawLive(io);
  const spinner = options.quiet || liveTable ? undefined : await (deps.createSpinner ?? createOraSpinner)(io);
  const status = new StatusReporter({ stderr: io.stderr, colors: stderrColors, quiet: options.quiet, multiSource: options.urls.length > 1, spinner });

  for (const name of typeFilter.unknown) {
    const suggestions = suggestTypes(name);
    const hint = suggestions.length > 0 ? ` (did you mean ${suggestions.join(', ')}?)` : '';
    status.warn(`unknown event type '${stripControl(name)}'${hint}; tailing anyway (see hangar-events types)`);
  }
  for (const { name, reason, current } of typeFilter.neverEmitted) {
    const instead = current !== undefined ? `: a current gateway sends ${current} instead (add it with --type ${current})` : '';
    status.warn(`a current gateway never emits ${name} (${reason})${instead}; tailing anyway`);
  }

  const recorder = options.record !== undefined ? await openRecorder(options.record, io) : undefined;
  const labels = sourceLabels(options.urls);
  const sources: StreamSource[] = options.urls.map((url, index) => ({ url: displayUrl(url), label: labels[index]!, index }));
  const sink = createSink(options, io, { stdoutColors, stderrColors, status, template, onQuit: () => finish({ kind: 'done' }) });
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
    matches,
    count: options.count,
    follow: options.follow,
    record: recorder?.write,
    nowMs: () => io.now(),
    end: (end) => finish(end),
  });

  const initialReplay: ReplayRequest | undefined =
    options.history !== undefined ? { last: options.history } : options.sinceMs !== undefined ? { since: (io.now() - options.sinceMs) / 1000 } : undefined;
  const clients = options.urls.map(
    (url) =>
      new StreamClient({
        url,
        headers,
        ca,
        insecure: options.insecure,
        // No mcp_server_ids: a gateway matches them against mcp_server_id only and would hide
        // discovery, withdrawal, pre-rename and group events; tail filters those itself.
        // History is narrowed by serve (which matches every identity field); with --group too, it cannot be.
        subscription: {
          eventTypes: typeFilter.serverPatterns,
          serverIds: undefined,
          replayServerIds: options.servers.length > 0 && options.groups.length === 0 ? options.servers : undefined,
        },
        initialReplay,
        reconnect: options.reconnect,
        ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
        monotonicMs: () => io.monotonicMs(),
        nowMs: () => io.now(),
        ...deps.client,
      }),
  );

  const onStdoutError = (error: NodeJS.ErrnoException) => {
    // The reader went away (`| head`): a normal end, quietly.
    if (error?.code === 'EPIPE' || error?.code === 'ERR_STREAM_DESTROYED') finish({ kind: 'done' });
    else finish({ kind: 'error', error: new RuntimeError('cannot write to stdout', { cause: error }) });
  };
  io.stdout.on('error', onStdoutError);
  const removeSignals = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => io.onSignal(signal, () => finish({ kind: 'done' })));
  const timer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          if (stats.connections === 0) {
            const why = stats.lastConnectError === undefined ? 'still connecting' : `last attempt: ${stats.lastConnectError}`;
            finish({
              kind: 'error',
              error: new NotConnectedError(
                `timed out after ${formatSeconds(options.timeoutMs!)} without connecting to ${sources.map((source) => source.url).join(', ')} (${why}): is the server running and the URL right?`,
              ),
            });
          } else if (options.count !== undefined) {
            finish({
              kind: 'error',
              error: new TimeoutError(
                `timed out after ${formatSeconds(options.timeoutMs!)}: ${stats.shown} of ${options.count} matching ${options.count === 1 ? 'event' : 'events'} arrived`,
              ),
            });
          } else {
            finish({ kind: 'done' });
          }
        }, options.timeoutMs)
      : undefined;

  sink.start({ sources, filterDescription: describeFilters(options) });
  clients.forEach((client, index) => {
    pipeline.attach(client, sources[index]!);
    client.finished.catch((error: Error) => {
      if (error.name === 'AuthError') {
        sink.notice({ kind: 'auth-failed', source: sources[index]!, status: undefined, message: error.message });
      }
      finish({ kind: 'error', error });
    });
    client.start();
  });

  const end = await ended;
  pipeline.stop();
  if (timer) clearTimeout(timer);
  for (const remove of removeSignals) remove();
  await Promise.all(clients.map((client) => client.stop()));
  await sink.close();
  io.stdout.off('error', onStdoutError);
  if (recorder) await recorder.close();
  if (options.stats) io.stderr.write(stats.format(io.monotonicMs(), stderrColors));
  if (end.kind === 'error') throw end.error;
}

/** `type=A,B* server=math where=...` for banners and the table header. */
export function describeFilters(options: TailOptions): string {
  const parts: string[] = [];
  if (options.types.length > 0) parts.push(`type=${options.types.join(',')}`);
  if (options.excludeTypes.length > 0) parts.push(`exclude=${options.excludeTypes.join(',')}`);
  if (options.servers.length > 0) parts.push(`server=${options.servers.join(',')}`);
  if (options.groups.length > 0) parts.push(`group=${options.groups.join(',')}`);
  for (const expr of options.where) parts.push(`where ${expr}`);
  return parts.length > 0 ? parts.join(' ') : 'all events';
}

async function readApiKeyFile(file: string, io: IO): Promise<string> {
  let text: string;
  try {
    text = await readFile(resolvePath(io.cwd, file), 'utf8');
  } catch (error) {
    // A bad flag value like any other: exit 2, naming the flag (as serve and publish do).
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read --api-key-file ${file}${code ? ` (${code})` : ''}: check the path and its permissions`);
  }
  const key = text.trim();
  if (key === '') throw new UsageError(`--api-key-file ${file} is empty: put the key in it`);
  return key;
}

async function readCaFile(file: string, io: IO): Promise<Buffer> {
  try {
    return await readFile(resolvePath(io.cwd, file));
  } catch (error) {
    throw new RuntimeError(`cannot read the CA certificate ${file} (--ca)`, { cause: error });
  }
}

interface Recorder {
  write: (raw: string) => void;
  close: () => Promise<void>;
}

async function openRecorder(file: string, io: IO): Promise<Recorder> {
  const path = resolvePath(io.cwd, file);
  let stream: WriteStream;
  try {
    const handle = await open(path, 'a');
    stream = handle.createWriteStream();
  } catch (error) {
    throw new RuntimeError(`cannot open the recording file ${file} (--record)`, { cause: error });
  }
  let failed: Error | undefined;
  stream.on('error', (error) => {
    failed = error;
  });
  return {
    write: (raw) => {
      if (!failed) stream.write(`${raw.trim().replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')}\n`);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        stream.end(() => (failed ? reject(new RuntimeError(`cannot write the recording file ${file} (--record)`, { cause: failed })) : resolve()));
      }),
  };
}
