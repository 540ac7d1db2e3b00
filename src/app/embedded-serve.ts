import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { IO } from '../io/io.js';
import type { ServerLog } from '../server/log.js';
import { createApprovalGate, startServer, type RunningServer, type ServerOptions } from '../server/server.js';
import type { ApprovalHolder } from '../sources/fleet/simulator.js';
import type { EventSource, SourceLog } from '../sources/event-source.js';
import type { StoreLocation } from '../store/location.js';
import type { StoreReader } from '../store/store-reader.js';

/** The sources a server is fed from: the simulated fleet, stdin, a replayed file. */
export interface SourceSettings {
  readonly demo:
    | { readonly servers: number; readonly ratePerSec: number | 'max'; readonly seed: number | undefined; readonly profile?: 'current' | 'legacy' }
    | undefined;
  readonly stdin: boolean;
  /** `path` as the user gave it (resolved against the working directory), for messages too. */
  readonly replay: { readonly path: string; readonly speed: number | 'max'; readonly loop: boolean } | undefined;
  /**
   * Start the sources only once the first client is attached, so a replay or a
   * piped stdin is not half over before anyone listens (--wait-for-client).
   */
  readonly waitForClient?: boolean;
  /** Relay a gateway (serve --upstream): credentials and CA already read. */
  readonly relay?: {
    readonly urls: readonly string[];
    readonly headers: Readonly<Record<string, string>>;
    readonly ca: Buffer | undefined;
    readonly insecure: boolean;
  } | undefined;
  /** The gateway's event store (serve --store): behind the upstream's history and outages, or the source itself. */
  readonly store?: { readonly location: StoreLocation; readonly tablePrefix: string | undefined; readonly intervalMs: number } | undefined;
}

/** What the caller hears about its sources while they run. */
export interface SourceReports {
  /** Where a source's own messages go ("demo: simulating ...", "stdin line 3: ..."). */
  log(source: EventSource): SourceLog;
  /** A source ran out (stdin closed, a replay without --loop ended); the server keeps serving. */
  ended(source: EventSource): void;
  failed(source: EventSource, error: unknown): void;
  /** With waitForClient: the sources wait for the first client (said once, before they start). */
  waiting?(sources: readonly EventSource[]): void;
}

/** A running server with its sources; `feed` starts the sources, `close` stops them, then the server (clients get 1001). */
export interface EmbeddedServe {
  readonly server: RunningServer;
  readonly sources: readonly EventSource[];
  /** Starts every source publishing into the hub (after the caller has said where it listens). */
  feed(reports: SourceReports): void;
  close(): Promise<void>;
}

/** Builds the event sources the settings ask for (demo, stdin, replay); fails before any socket opens when a file cannot be replayed. */
export async function createSources(
  settings: SourceSettings,
  io: IO,
  historySize = 0,
  onStore?: (reader: StoreReader) => void,
  /** Who decides the simulated fleet's gated calls: the server's gate, nobody (`off`), or its simulated approvers (undefined). */
  approvals?: ApprovalHolder | 'off',
): Promise<EventSource[]> {
  const sources: EventSource[] = [];
  // The store is opened first (read-only): a store that cannot be read fails before anything listens (exit 6).
  const reader = settings.store
    ? await (await import('../store/open-store.js')).openStore(settings.store.location, { cwd: io.cwd, tablePrefix: settings.store.tablePrefix, env: io.env })
    : undefined;
  if (reader) onStore?.(reader);
  if (settings.relay) {
    const { createUpstreamSource } = await import('../sources/upstream-source.js');
    sources.push(
      createUpstreamSource({
        ...settings.relay,
        store: reader && settings.store ? { reader, historyCount: historySize, intervalMs: settings.store.intervalMs } : undefined,
        clock: io.clock,
      }),
    );
  } else if (reader && settings.store) {
    const { createStoreFeedSource } = await import('../sources/store-source.js');
    sources.push(createStoreFeedSource({ reader, historyCount: historySize, intervalMs: settings.store.intervalMs, clock: io.clock }));
  }
  if (settings.demo) {
    const { createSimulatorSource } = await import('../sources/fleet/simulator.js');
    // A random id salt: the same --seed gives the same fleet, but never the same event ids as another run
    // (a client resuming "after" an id must not find it in a restarted server's new run).
    const { servers, ratePerSec, seed, profile } = settings.demo;
    sources.push(
      createSimulatorSource({
        servers,
        ratePerSec,
        seed,
        ...(profile !== undefined ? { profile } : {}),
        idSalt: randomBytes(4).readUInt32LE(0),
        clock: io.clock,
        ...(approvals !== undefined ? { approvals } : {}),
      }),
    );
  }
  if (settings.stdin) {
    const { createStreamSource } = await import('../sources/stream-source.js');
    sources.push(createStreamSource('stdin', io.stdin));
  }
  if (settings.replay) {
    const { checkReplayFile, createReplaySource } = await import('../sources/replay.js');
    const path = resolve(io.cwd, settings.replay.path);
    // Fail before listening when the file cannot be read.
    await checkReplayFile(path, settings.replay.path);
    sources.push(createReplaySource(path, { speed: settings.replay.speed, loop: settings.replay.loop, clock: io.clock, label: settings.replay.path }));
  }
  return sources;
}

/**
 * Starts a server with the sources the settings ask for: what `serve` and
 * `demo` both run. The sources are built first, so a bad replay file fails
 * before the server listens.
 */
export async function startEmbeddedServe(options: { readonly server: ServerOptions } & SourceSettings, io: IO, log: ServerLog): Promise<EmbeddedServe> {
  let store: StoreReader | undefined;
  // One gate: the REST decides through it, the simulated fleet's gated calls wait in it.
  const gate = options.server.approvals ? createApprovalGate(options.server, io, log) : undefined;
  const sources = await createSources(options, io, options.server.historySize, (reader) => (store = reader), gate ?? 'off');
  const server = await startServer(options.server, io, log, gate);
  if (store !== undefined) {
    // Replays that reach past the ring are completed from the store (read-only, the sources' own reader).
    const { createStoreHistory } = await import('../store/store-history.js');
    server.hub.useStoreHistory(createStoreHistory(store));
  }
  let closing = false;
  return {
    server,
    sources,
    feed(reports) {
      const start = () => {
        if (!closing) for (const source of sources) run(source);
      };
      const run = (source: EventSource) => {
        Promise.resolve()
          .then(() => source.run(server.hub, reports.log(source)))
          .then(
            () => {
              if (!closing) reports.ended(source);
            },
            (error: unknown) => reports.failed(source, error),
          );
      };
      if (options.waitForClient && sources.length > 0 && server.hub.subscriberCount === 0) {
        reports.waiting?.(sources);
        void server.hub.whenSubscribed().then(start);
      } else {
        start();
      }
    },
    async close() {
      closing = true;
      for (const source of sources) source.stop();
      if (options.stdin) {
        // A pending read on a quiet pipe would keep the process alive after run() returns.
        io.stdin.pause();
        (io.stdin as { destroy?: () => void }).destroy?.();
      }
      await server.close();
    },
  };
}
