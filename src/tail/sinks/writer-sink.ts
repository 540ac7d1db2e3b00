import type { OutputStream } from '../../io/io.js';
import type { HangarEvent } from '../../protocol/types.js';
import type { SourceRef, FeedNotice } from '../../feed/messages.js';
import type { StatusReporter } from '../status.js';
import { OutputWriter } from './output-writer.js';
import type { SinkStart, TailSink } from './sink.js';

/**
 * What the line-per-event sinks (pretty and NDJSON) share: stdout through an
 * OutputWriter (batched, with backpressure), notices to the status reporter.
 */
export abstract class WriterSink implements TailSink {
  protected readonly writer: OutputWriter;

  constructor(
    stdout: OutputStream,
    private readonly status: StatusReporter,
  ) {
    this.writer = new OutputWriter(stdout);
  }

  abstract start(context: SinkStart): void;
  abstract event(event: HangarEvent, raw: string, source: SourceRef): void;

  notice(notice: FeedNotice): void {
    this.status.notice(notice);
  }

  canWrite(): boolean {
    return this.writer.canWrite();
  }

  whenWritable(): Promise<void> {
    return this.writer.whenWritable();
  }

  async close(): Promise<void> {
    this.writer.close();
    this.status.close();
  }
}
