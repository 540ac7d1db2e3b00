import { openFeed } from '../feed/open-feed.js';
import type { Clock } from '../io/clock.js';
import type { StoreReader } from '../store/store-reader.js';
import type { EventSink } from '../server/event-sink.js';
import type { EventSource, SourceLog } from './event-source.js';

export interface StoreFeedOptions {
  readonly reader: StoreReader;
  /** The ring starts with the store's newest events, this many (serve --history). */
  readonly historyCount: number;
  readonly intervalMs: number;
  /** The store's poll and a locked store's backoff (serve passes io.clock). */
  readonly clock: Clock;
}

/**
 * `serve --store` without `--upstream`: the gateway's store as serve's event
 * source. Its newest events fill the ring (so `replay` reaches back into the
 * store's past), then what the gateway appends is published as it commits
 * (position on SQLite, transaction watermark on PostgreSQL).
 */
export function createStoreFeedSource(options: StoreFeedOptions): EventSource {
  const feed = openFeed({
    urls: [],
    client: { subscription: {}, monotonicMs: () => 0, nowMs: () => 0 },
    store: {
      reader: options.reader,
      window: options.historyCount > 0 ? { kind: 'last', count: options.historyCount } : { kind: 'none' },
      follow: true,
      intervalMs: options.intervalMs,
      clock: options.clock,
    },
    monotonicMs: () => 0,
    nowMs: () => 0,
  });
  let stopped = false;
  return {
    name: `store ${options.reader.display}`,
    async run(sink: EventSink, log: SourceLog): Promise<void> {
      feed.on('message', (_source, message) => {
        if (message.kind === 'event') sink.publish(message.event);
        else if (message.kind === 'store') (message.level === 'info' ? log.info : log.warn)(message.text);
        else if (message.kind === 'bad-frame' && message.report !== 'none') log.warn(message.reason);
        else if (message.kind === 'open') log.info(`following the store ${options.reader.display}`);
      });
      if (!stopped) await feed.start();
      await feed.finished;
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      void feed.stop().then(() => options.reader.close());
    },
  };
}
