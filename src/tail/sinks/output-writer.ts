import type { OutputStream } from '../../io/io.js';
import type { HangarEvent } from '../../protocol/types.js';
import type { StreamSource, TailNotice } from '../notices.js';
import type { SinkStart, TailSink } from './sink.js';
import type { StatusReporter } from '../status.js';

/** Lines are gathered and written in one call per turn of the event loop, or once this many characters wait. */
const BATCH_CHARS = 64 * 1024;

/**
 * Writes lines to stdout and remembers when stdout asked us to wait: the
 * pipeline awaits `whenWritable()` and stops reading sockets meanwhile. After
 * the reader went away (EPIPE) writes are dropped silently. Lines written in
 * the same turn go out in one write (one system call) at the end of the turn.
 */
export class OutputWriter {
  private blocked = false;
  private waiting: Promise<void> | undefined;
  private closed = false;
  private pending = '';
  private flushScheduled = false;

  constructor(private readonly stream: OutputStream) {}

  write(text: string): void {
    if (this.closed) return;
    this.pending += text;
    if (this.pending.length >= BATCH_CHARS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Hands what is pending to stdout now. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.closed) return;
    const text = this.pending;
    this.pending = '';
    if (!this.stream.write(text) && !this.blocked) this.block();
  };

  /**
   * stdout refused more: wait for its 'drain'. The listener goes on now, not
   * when someone asks: a pipe on Linux is written synchronously and emits
   * 'drain' on the next tick, before the pipeline looks again; a listener
   * added later would wait forever with every socket paused.
   */
  private block(): void {
    this.blocked = true;
    this.waiting = new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        this.stream.off('close', done);
        this.blocked = false;
        this.waiting = undefined;
        resolve();
      };
      this.stream.once('drain', done);
      this.stream.once('error', done);
      this.stream.once('close', done);
    });
  }

  /** False from a write stdout refused until it drained. */
  canWrite(): boolean {
    return !this.blocked || this.closed;
  }

  /** Resolves at once when stdout can take more, else on 'drain' (or when stdout closes). */
  whenWritable(): Promise<void> {
    if (!this.blocked || this.closed || this.waiting === undefined) return Promise.resolve();
    return this.waiting;
  }

  /** No more writes (stdout closed, or the tail ended); what is pending goes out first. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

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
  abstract event(event: HangarEvent, raw: string, source: StreamSource): void;

  notice(notice: TailNotice): void {
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
