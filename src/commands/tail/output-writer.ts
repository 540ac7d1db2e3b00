import type { OutputStream } from '../../io/io.js';

/**
 * Writes lines to stdout and remembers when stdout asked us to wait: the
 * pipeline awaits `whenWritable()` and stops reading sockets meanwhile. After
 * the reader went away (EPIPE) writes are dropped silently.
 */
export class OutputWriter {
  private blocked = false;
  private waiting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly stream: OutputStream) {}

  write(text: string): void {
    if (this.closed) return;
    if (!this.stream.write(text)) this.blocked = true;
  }

  /** Resolves at once when stdout can take more, else on 'drain' (or when stdout closes). */
  whenWritable(): Promise<void> {
    if (!this.blocked || this.closed) return Promise.resolve();
    if (!this.waiting) {
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
    return this.waiting;
  }

  /** No more writes (stdout closed, or the tail ended). */
  close(): void {
    this.closed = true;
  }
}
