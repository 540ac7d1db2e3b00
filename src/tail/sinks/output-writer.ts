import type { OutputStream } from '../../io/io.js';
import { waitForDrain } from './drain.js';

const NEWLINE = Buffer.from('\n');

/** Lines are gathered and written in one call per turn of the event loop, or once this many bytes wait. */
const BATCH_BYTES = 64 * 1024;
/** Text lines are joined into one string and encoded at once when this many characters wait (one encoding call per line cost 3x more). */
const TEXT_CHARS = 16 * 1024;

/**
 * Writes lines to stdout and remembers when stdout asked us to wait: the
 * pipeline awaits `whenWritable()` and stops reading sockets meanwhile. After
 * the reader went away (EPIPE) writes are dropped silently. Lines written in
 * the same turn are gathered in one buffer (text joined and encoded into it
 * TEXT_CHARS at a time, frames copied) and go out in one write (one system
 * call) at the end of the turn.
 */
export class OutputWriter {
  private blocked = false;
  private waiting: Promise<void> | undefined;
  private closed = false;
  /** The lines of this turn, as UTF-8; a new one after each flush (stdout may still hold the last). */
  private batch: Buffer | undefined;
  private used = 0;
  private flushScheduled = false;
  /** Text written since the last encoding into the batch: it comes before anything written after it. */
  private text = '';

  constructor(private readonly stream: OutputStream) {}

  /** Writes text (one or more whole lines). */
  write(text: string): void {
    if (this.closed) return;
    this.text += text;
    if (this.text.length >= TEXT_CHARS) this.encodeText();
    this.scheduleFlush();
  }

  /** Encodes the text that waits into the batch. */
  private encodeText(): void {
    const text = this.text;
    if (text.length === 0) return;
    this.text = '';
    // A UTF-16 code unit never takes more than 3 bytes of UTF-8.
    if (!this.makeRoom(text.length * 3)) {
      this.writeNow(Buffer.from(text));
      return;
    }
    this.used += this.batch!.write(text, this.used);
  }

  /** Writes `bytes` (UTF-8 without line breaks) and a line break: one line. */
  writeLine(bytes: Uint8Array): void {
    if (this.closed) return;
    this.encodeText();
    if (!this.makeRoom(bytes.length + 1)) {
      this.writeNow(Buffer.concat([bytes, NEWLINE]));
      return;
    }
    const batch = this.batch!;
    batch.set(bytes, this.used);
    this.used += bytes.length;
    batch[this.used++] = 0x0a;
    this.scheduleFlush();
  }

  /**
   * Writes `lines` (whole lines of UTF-8, each ending in a line feed); the caller may reuse its
   * memory once this returns: they are copied, unless stdout writes them before `write` returns
   * (OutputStream.writesAtOnce: a file, /dev/null), where more than a batch goes out as it is (a
   * store's backfill writes ~300 KB at a time: the copy, into fresh memory each time, was ~10% of
   * it, bench/README.md, issue 24, round eight).
   */
  writeLines(lines: Uint8Array): void {
    if (this.closed) return;
    this.encodeText();
    if (lines.length > BATCH_BYTES && this.stream.writesAtOnce === true && this.stream.writableLength === 0) {
      this.flush();
      this.writeNow(lines);
      return;
    }
    if (!this.makeRoom(lines.length)) {
      this.writeNow(Buffer.from(lines));
      return;
    }
    this.batch!.set(lines, this.used);
    this.used += lines.length;
    this.scheduleFlush();
  }

  /** Makes room for `bytes` more in the batch (flushing what waits when it is full); false when they could never fit. */
  private makeRoom(bytes: number): boolean {
    if (this.batch !== undefined && this.used + bytes <= this.batch.length) return true;
    this.flush();
    if (bytes > BATCH_BYTES) return false;
    this.batch = Buffer.allocUnsafe(BATCH_BYTES);
    this.used = 0;
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not the injected clock: the end of the current burst, not a wait on time (ndjson hot path).
    setImmediate(this.flush);
  }

  /** Hands what is pending to stdout now. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    if (!this.closed) this.encodeText();
    const batch = this.batch;
    if (batch === undefined || this.used === 0 || this.closed) return;
    const chunk = batch.subarray(0, this.used);
    this.batch = undefined;
    this.used = 0;
    this.writeNow(chunk);
  };

  private writeNow(chunk: Uint8Array): void {
    if (!this.stream.write(chunk) && !this.blocked) this.block();
  }

  /**
   * stdout refused more: wait for its 'drain'. The listener goes on now, not
   * when someone asks: a pipe on Linux is written synchronously and emits
   * 'drain' on the next tick, before the pipeline looks again; a listener
   * added later would wait forever with every socket paused.
   */
  private block(): void {
    this.blocked = true;
    this.waiting = waitForDrain(this.stream).then(() => {
      this.blocked = false;
      this.waiting = undefined;
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
