import type { StreamClientOptions } from '../client/stream-options.js';
import type { Clock } from '../io/clock.js';
import type { SourceRef } from '../feed/messages.js';
import { openFeed, type FeedMessage } from '../feed/open-feed.js';
import type { StoreReader } from '../store/store-reader.js';
import { UPSTREAM_GAP, type WarningMessage } from '../protocol/types.js';
import type { EventSink, UpstreamNotices } from '../server/event-sink.js';
import { UpstreamDropLog } from './upstream-drop-log.js';
import type { EventSource, SourceLog } from './event-source.js';

export interface UpstreamSourceOptions {
  /** Normalised ws:// or wss:// URLs of the gateway (several replicas: each event once). */
  readonly urls: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly ca: Buffer | undefined;
  readonly insecure: boolean;
  /** With a store: the ring starts with its newest `historyCount` events and outages are filled from it. */
  readonly store?: { readonly reader: StoreReader; readonly historyCount: number; readonly intervalMs: number } | undefined;
  /** Time for the sockets (keep-alive, reconnects), the store and the drop log: serve passes io.clock. */
  readonly clock: Clock;
  /** Knobs tests turn (short detection, fast backoff). */
  readonly client?: Partial<Pick<StreamClientOptions, 'pingIntervalMs' | 'livenessMarginMs' | 'serverDetectMs' | 'backoff' | 'handshakeTimeoutMs'>>;
}

/**
 * `serve --upstream`: one subscription to each gateway replica (answering its
 * pings, reconnecting, resuming), every event published once into serve's hub,
 * which re-serves it with all that Part 2 adds. The sources are opened through
 * the feed (src/feed/open-feed.ts), as tail opens them: with a store, the
 * ring starts with the store's newest events and an outage is filled from the
 * store before live resumes. Connection status and gaps go to serve's log,
 * and every gap and drop the relay learns upstream is announced to its
 * clients (sink.upstreamNotices: warning frames `upstream_gap` and
 * `upstream_dropped` where it happened in the stream), so a relay's client
 * knows what it missed as a direct one does.
 */
export function createUpstreamSource(options: UpstreamSourceOptions): EventSource {
  const feed = openFeed({
    urls: options.urls,
    client: {
      headers: options.headers,
      ca: options.ca,
      insecure: options.insecure,
      subscription: {},
      reconnect: true,
      monotonicMs: () => options.clock.monotonicMs(),
      nowMs: () => options.clock.now(),
      clock: options.clock,
      ...options.client,
    },
    store: options.store
      ? {
          reader: options.store.reader,
          window: options.store.historyCount > 0 ? { kind: 'last', count: options.store.historyCount } : { kind: 'none' },
          intervalMs: options.store.intervalMs,
          follow: true,
          clock: options.clock,
        }
      : undefined,
    monotonicMs: () => options.clock.monotonicMs(),
    nowMs: () => options.clock.now(),
  });
  const sockets = options.urls.length;
  let stopped = false;
  let closeDropLog: (() => void) | undefined;
  return {
    name: `upstream ${feed.sources.slice(0, sockets).map((s) => s.url).join(', ')}`,
    async run(sink: EventSink, log: SourceLog): Promise<void> {
      const notices = sink.upstreamNotices?.();
      const drops = new UpstreamDropLog(log, options.clock);
      closeDropLog = () => drops.close();
      feed.on('message', (source: SourceRef, message: FeedMessage) => {
        const where = sockets > 1 || source.index >= sockets ? `${source.url}: ` : '';
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
            notices?.gap(message.downForMs, `the relay's upstream ${source.url} was down: ${message.reason}`);
            return;
          case 'warning':
            announceWarning(source, message.warning, log, drops, notices);
            return;
          case 'store':
            if (message.level === 'info') log.info(`${where}${message.text}`);
            else log.warn(`${where}${message.text}`);
            return;
          case 'bad-frame':
            if (message.report === 'each') log.warn(`ignored a bad frame from upstream ${source.url}: ${message.reason}`);
            else if (message.report === 'last') log.warn(`ignored a bad frame from upstream ${source.url}: ${message.reason} (further bad frames from it are counted, not logged)`);
            return;
          case 'server-error':
            log.warn(`upstream ${source.url} reported an error (${message.code}): ${message.message}`);
            return;
          default:
            return;
        }
      });
      if (!stopped) await feed.start();
      // Runs until stopped; an upstream that refuses the credentials (or a store that fails) ends it.
      await feed.finished;
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      closeDropLog?.();
      void feed.stop().then(() => options.store?.reader.close());
    },
  };
}

/**
 * A warning from upstream: a drop (serve's `events_dropped`, a relay's
 * `upstream_dropped`) is logged coalesced and announced to every client; an
 * upstream relay's `upstream_gap` is a gap of ours too.
 */
function announceWarning(source: SourceRef, warning: WarningMessage, log: SourceLog, drops: UpstreamDropLog, notices: UpstreamNotices | undefined): void {
  if (warning.code === UPSTREAM_GAP) {
    log.warn(`gap: events from upstream ${source.url} may have been missed: ${warning.message}`);
    notices?.gap(warning.down_ms, `${source.url}, itself a relay, says: ${warning.message}`);
  } else if (warning.dropped > 0) {
    drops.add(source.url, warning.dropped, warning.message);
    notices?.dropped(warning.dropped, `the relay's upstream ${source.url} dropped events before they reached the relay: ${warning.message}`);
  } else {
    log.warn(`upstream ${source.url} warned (${warning.code}): ${warning.message}`);
  }
}
