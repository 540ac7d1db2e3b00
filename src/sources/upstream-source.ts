import { type StreamMessage } from '../feed/messages.js';
import { StreamClient, type StreamClientOptions } from '../client/stream-client.js';
import { sourceLabels } from '../client/url.js';
import { displayUrl } from '../format/url.js';
import type { StoreReader } from '../store/store-reader.js';
import { SeenIds } from '../protocol/seen-ids.js';
import type { SourceRef } from '../feed/messages.js';
import type { EventSink } from '../server/event-sink.js';
import type { EventSource, SourceLog } from './event-source.js';

export interface UpstreamSourceOptions {
  /** Normalised ws:// or wss:// URLs of the gateway (several replicas: each event once). */
  readonly urls: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly ca: Buffer | undefined;
  readonly insecure: boolean;
  /** With a store: the ring starts with its newest `historyCount` events and outages are filled from it. */
  readonly store?: { readonly reader: StoreReader; readonly historyCount: number; readonly intervalMs: number } | undefined;
  readonly monotonicMs: () => number;
  readonly nowMs: () => number;
  /** Knobs tests turn (short detection, fast backoff). */
  readonly client?: Partial<Pick<StreamClientOptions, 'pingIntervalMs' | 'livenessMarginMs' | 'serverDetectMs' | 'backoff' | 'handshakeTimeoutMs'>>;
}

/** Bad frames from upstream reported before they are only counted. */
const MAX_BAD_FRAME_REPORTS = 20;

/**
 * `serve --upstream`: one subscription to each gateway replica (answering its
 * pings, reconnecting, resuming), every event published once into serve's hub,
 * which re-serves it with all that Part 2 adds. With a store, the join of
 * src/feed/joined.ts does the rest: the ring starts with the store's
 * newest events, and an outage is filled from the store before live resumes.
 * Connection status and gaps go to serve's log.
 */
export function createUpstreamSource(options: UpstreamSourceOptions): EventSource {
  const labels = sourceLabels(options.urls);
  const sources: SourceRef[] = options.urls.map((url, index) => ({ url: displayUrl(url), label: labels[index]!, index }));
  const clients = options.urls.map(
    (url) =>
      new StreamClient({
        url,
        headers: options.headers,
        ca: options.ca,
        insecure: options.insecure,
        subscription: {},
        reconnect: true,
        monotonicMs: options.monotonicMs,
        nowMs: options.nowMs,
        ...options.client,
      }),
  );
  let stopJoin: (() => Promise<void>) | undefined;
  let stopped = false;
  return {
    name: `upstream ${sources.map((s) => s.url).join(', ')}`,
    async run(sink: EventSink, log: SourceLog): Promise<void> {
      const badFrames = new Map<number, number>();
      const handle = (source: SourceRef, message: StreamMessage): void => {
        const where = sources.length > 1 || source.index >= sources.length ? `${source.url}: ` : '';
        switch (message.kind) {
          case 'event':
            sink.publish(message.event);
            return;
          case 'open':
            log.info(`connected to upstream ${source.url}`);
            return;
          case 'reconnecting':
            log.warn(`upstream ${source.url}: ${message.reason}; reconnecting in ${Math.round(message.delayMs)} ms (retry ${message.attempt})`);
            return;
          case 'gap':
            log.warn(`gap: events from upstream ${source.url} may have been missed: ${message.reason}`);
            return;
          case 'warning':
            log.warn(`upstream ${source.url} dropped ${message.warning.dropped} events for this relay: ${message.warning.message}`);
            return;
          case 'store':
            if (message.level === 'info') log.info(`${where}${message.text}`);
            else log.warn(`${where}${message.text}`);
            return;
          case 'bad-frame': {
            const n = (badFrames.get(source.index) ?? 0) + 1;
            badFrames.set(source.index, n);
            if (n <= MAX_BAD_FRAME_REPORTS) log.warn(`ignored a bad frame from upstream ${source.url}: ${message.reason}`);
            return;
          }
          case 'server-error':
            log.warn(`upstream ${source.url} reported an error (${message.code}): ${message.message}`);
            return;
          default:
            return;
        }
      };
      const failures = clients.map((client) => client.finished);
      if (options.store !== undefined) {
        const { JoinedSource } = await import('../feed/joined.js');
        const storeSource: SourceRef = { url: options.store.reader.display, label: 'store', index: sources.length };
        const joined = new JoinedSource({
          reader: options.store.reader,
          links: clients.map((client, index) => ({ client, source: sources[index]! })),
          storeSource,
          window: options.store.historyCount > 0 ? { kind: 'last', count: options.store.historyCount } : { kind: 'none' },
          intervalMs: options.store.intervalMs,
          monotonicMs: options.monotonicMs,
        });
        stopJoin = () => joined.stop();
        joined.on('message', handle);
        failures.push(joined.finished);
        if (!stopped) joined.start();
      } else {
        // Replicas put the same event on every socket: publish each id once.
        const seen = new SeenIds(100_000);
        clients.forEach((client, index) =>
          client.on('message', (message) => {
            if (message.kind === 'event' && clients.length > 1) {
              const id = message.event.event_id;
              if (typeof id === 'string' && id !== '' && !seen.add(id)) return;
            }
            handle(sources[index]!, message);
          }),
        );
        if (!stopped) for (const client of clients) client.start();
      }
      // Runs until stopped; an upstream that refuses the credentials (or a store that fails) ends it.
      await Promise.all(failures);
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      void stopJoin?.();
      for (const client of clients) void client.stop();
      void options.store?.reader.close();
    },
  };
}
