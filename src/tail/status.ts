import { formatDuration } from '../format/duration.js';
import type { Clock, Timer } from '../io/clock.js';
import type { ColorScheme } from '../io/color-level.js';
import type { IO, OutputStream } from '../io/io.js';
import { stripControl } from '../protocol/sanitize.js';
import type { SourceRef, FeedNotice } from '../feed/messages.js';

/** The bits of an ora spinner the status reporter uses. */
export interface Spinner {
  text: string;
  start(text?: string): unknown;
  stop(): unknown;
  clear(): unknown;
  render(): unknown;
  succeed(text?: string): unknown;
  readonly isSpinning: boolean;
}

export interface StatusOptions {
  readonly stderr: OutputStream;
  /** Colors for stderr (decided once, from stderr's TTY-ness). */
  readonly colors: ColorScheme;
  /** -q: no connecting/connected/replayed lines; warnings, gaps and errors still appear. */
  readonly quiet: boolean;
  /** Several sources: name them in every line. */
  readonly multiSource: boolean;
  /** A spinner on stderr (ora) when stderr is a terminal; undefined for plain lines. */
  readonly spinner?: Spinner | undefined;
  /** The injected clock: coalescing drop warnings, the reconnect countdown. */
  readonly clock: Pick<Clock, 'monotonicMs' | 'setTimeout' | 'setInterval'>;
}

/** At most one DROPPED line per source this often; drops in between are added up into the next one. */
export const DROP_LINE_INTERVAL_MS = 1000;
/** How often a reconnect countdown on the spinner is updated. */
const COUNTDOWN_TICK_MS = 100;

/** Drop warnings of one source, coalesced. */
interface DropTally {
  /** Dropped events not printed yet. */
  pending: number;
  /** Warnings folded into `pending`. */
  pendingWarnings: number;
  /** The server's running total on the current connection, from its latest warning. */
  connectionTotal: number;
  /** The server's explanation in its latest warning. */
  message: string | undefined;
  /** All events the server said it dropped, over every connection, and in how many warnings. */
  sum: number;
  warnings: number;
  lastLineMs: number;
  timer: Timer | undefined;
}

/**
 * Connection status, drop warnings, gaps and bad frames on stderr, shared by
 * the line and NDJSON sinks: a spinner while connecting on a terminal, plain
 * lines otherwise. Every peer-supplied string is stripped of control characters.
 */
export class StatusReporter {
  private readonly drops = new Map<SourceRef, DropTally>();
  private countdown: Timer | undefined;

  constructor(private readonly options: StatusOptions) {}

  notice(notice: FeedNotice): void {
    const { colors } = this.options;
    const where = this.where(notice.source);
    switch (notice.kind) {
      case 'connecting':
        this.status(`connecting to ${where}`, true);
        return;
      case 'connected': {
        const kind = notice.server === 'serve' ? ' (hangar-events serve)' : notice.server === 'gateway' ? ' (gateway)' : '';
        this.status(`connected to ${where}${kind}`, false, true);
        return;
      }
      case 'reconnecting': {
        const text = (leftMs: number) => `${where}: ${clean(notice.reason)}; reconnecting in ${formatDuration(leftMs)} (retry ${notice.attempt})`;
        this.status(text(notice.delayMs), true);
        this.countDown(notice.delayMs, text);
        return;
      }
      case 'replayed': {
        const events = notice.kept === undefined ? (notice.count === 1 ? 'event' : 'events') : notice.count === 1 ? 'matching event' : 'matching events';
        const kept = notice.kept === undefined ? "the server's history" : `the ${notice.kept} ${notice.kept === 1 ? 'event' : 'events'} the server keeps`;
        this.status(`${where}: ${notice.count} ${events} replayed from ${kept}${notice.complete ? '' : ' (incomplete)'}`);
        return;
      }
      case 'auth-failed':
        // The error itself is printed once, at exit, by main.
        this.stopSpinner();
        return;
      case 'dropped':
        this.dropped(notice);
        return;
      case 'gap': {
        const down = notice.downForMs === undefined ? '' : ` (the stream was down for ${formatDuration(notice.downForMs)})`;
        this.line(colors.warning(`gap: events from ${where} may have been missed${down}: ${clean(notice.reason)}`));
        return;
      }
      case 'store':
        // -q shows no status line: the text is not even cleaned (the sanitizer's pattern is compiled on first use).
        if (notice.level === 'info') {
          if (!this.options.quiet) this.status(`${where}: ${clean(notice.text)}`);
        }
        else this.line(colors.warning(`${where}: ${clean(notice.text)}`));
        return;
      case 'bad-frame':
        this.line(colors.warning(`ignored a bad frame from ${where}: ${clean(notice.reason)}`));
        return;
      case 'server-error':
        this.line(colors.failure(`${where} reported an error (${clean(notice.code)}): ${clean(notice.message)}`));
        return;
      case 'subscribed':
      case 'fleet':
      case 'fleet-failed':
        return;
      default: {
        const exhaustive: never = notice;
        return exhaustive;
      }
    }
  }

  /** A free-form warning line (did-you-mean, history notes). */
  warn(text: string): void {
    this.line(this.options.colors.warning(text));
  }

  /** Prints drops not yet reported and, after a flood, a summary; stops the spinner (on exit). */
  close(): void {
    for (const [source, tally] of this.drops) {
      tally.timer?.cancel();
      tally.timer = undefined;
      if (tally.pending > 0) this.printDrops(source, tally);
      if (tally.warnings > 1) {
        this.line(
          `${this.options.colors.alert(' DROPPED ')} ${this.options.colors.warning(
            `${this.where(source)}: in total ${tally.sum} ${tally.sum === 1 ? 'event was' : 'events were'} dropped by the server (${tally.warnings} warnings)`,
          )}`,
        );
      }
    }
    this.drops.clear();
    this.stopCountdown();
    this.stopSpinner();
  }

  /**
   * A drop warning: the first of a burst is printed at once (impossible to
   * miss); the ones that follow within DROP_LINE_INTERVAL_MS are added up and
   * printed as one line when the interval is over, with the running totals.
   * A flood of 2000 warnings is then a dozen lines, not 2000.
   */
  private dropped(notice: Extract<FeedNotice, { kind: 'dropped' }>): void {
    let tally = this.drops.get(notice.source);
    if (!tally) {
      tally = { pending: 0, pendingWarnings: 0, connectionTotal: 0, message: undefined, sum: 0, warnings: 0, lastLineMs: Number.NEGATIVE_INFINITY, timer: undefined };
      this.drops.set(notice.source, tally);
    }
    tally.pending += notice.dropped;
    tally.pendingWarnings++;
    tally.sum += notice.dropped;
    tally.warnings++;
    tally.connectionTotal = notice.totalDropped;
    tally.message = notice.message;
    if (tally.timer) return;
    const waitMs = tally.lastLineMs + DROP_LINE_INTERVAL_MS - this.options.clock.monotonicMs();
    if (waitMs <= 0) {
      this.printDrops(notice.source, tally);
      return;
    }
    const source = notice.source;
    const current = tally;
    tally.timer = this.options.clock
      .setTimeout(() => {
        current.timer = undefined;
        if (current.pending > 0) this.printDrops(source, current);
      }, waitMs)
      .unref();
  }

  private printDrops(source: SourceRef, tally: DropTally): void {
    const { colors } = this.options;
    const n = tally.pending;
    const folded = tally.pendingWarnings > 1 ? ` in ${tally.pendingWarnings} warnings` : '';
    this.line(
      `${colors.alert(' DROPPED ')} ${colors.warning(
        `${this.where(source)}: the server dropped ${n} ${n === 1 ? 'event' : 'events'}${folded} (${tally.connectionTotal} in total on this connection)`,
      )}${tally.message ? `: ${clean(tally.message)}` : ''}`,
    );
    tally.pending = 0;
    tally.pendingWarnings = 0;
    tally.lastLineMs = this.options.clock.monotonicMs();
  }

  /** On a spinner, "reconnecting in 3.5s" counts down to the attempt (plain lines are written once). */
  private countDown(delayMs: number, text: (leftMs: number) => string): void {
    const spinner = this.options.spinner;
    if (!spinner?.isSpinning || this.options.quiet) return;
    const dueMs = this.options.clock.monotonicMs() + delayMs;
    this.countdown = this.options.clock
      .setInterval(() => {
        const leftMs = dueMs - this.options.clock.monotonicMs();
        if (leftMs <= 0 || !spinner.isSpinning) return this.stopCountdown();
        spinner.text = text(leftMs);
      }, COUNTDOWN_TICK_MS)
      .unref();
  }

  private stopCountdown(): void {
    this.countdown?.cancel();
    this.countdown = undefined;
  }

  private where(source: SourceRef): string {
    return this.options.multiSource ? `[${source.label}] ${source.url}` : source.url;
  }

  private status(text: string, spinning = false, settled = false): void {
    if (this.options.quiet) return;
    this.stopCountdown();
    const spinner = this.options.spinner;
    if (spinner) {
      if (spinning) {
        if (spinner.isSpinning) spinner.text = text;
        else spinner.start(text);
        return;
      }
      if (settled && spinner.isSpinning) {
        spinner.succeed(text);
        return;
      }
    }
    this.line(this.options.colors.dim(text));
  }

  private line(text: string): void {
    const spinner = this.options.spinner;
    const spinning = spinner?.isSpinning === true;
    if (spinning) spinner!.clear();
    this.options.stderr.write(`hangar-events: ${text}\n`);
    if (spinning) spinner!.render();
  }

  private stopSpinner(): void {
    const spinner = this.options.spinner;
    if (spinner?.isSpinning) spinner.stop();
  }
}

function clean(text: string): string {
  return stripControl(text);
}

/** An ora spinner on stderr when stderr is a real terminal. */
export async function createOraSpinner(io: IO): Promise<Spinner | undefined> {
  const stderr = io.stderr as unknown as { isTTY?: boolean; cursorTo?: unknown };
  if (!stderr.isTTY || typeof stderr.cursorTo !== 'function' || io.env.TERM === 'dumb') return undefined;
  const { default: ora } = await import('ora');
  return ora({ stream: io.stderr as unknown as NodeJS.WritableStream, discardStdin: false, hideCursor: false, isEnabled: true }) as unknown as Spinner;
}
