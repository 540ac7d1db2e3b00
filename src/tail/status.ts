import { formatDuration } from '../format/duration.js';
import type { ColorScheme } from '../io/color.js';
import type { IO, OutputStream } from '../io/io.js';
import { stripControl } from '../render/sanitize.js';
import type { StreamSource, TailNotice } from './notices.js';

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
}

/**
 * Connection status, drop warnings, gaps and bad frames on stderr, shared by
 * the line and NDJSON sinks: a spinner while connecting on a terminal, plain
 * lines otherwise. Every peer-supplied string is stripped of control characters.
 */
export class StatusReporter {
  constructor(private readonly options: StatusOptions) {}

  notice(notice: TailNotice): void {
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
      case 'reconnecting':
        this.status(`${where}: ${clean(notice.reason)}; reconnecting in ${formatDuration(notice.delayMs)} (retry ${notice.attempt})`, true);
        return;
      case 'replayed':
        this.status(`${where}: ${notice.count} ${notice.count === 1 ? 'event' : 'events'} replayed from the server's history${notice.complete ? '' : ' (incomplete)'}`);
        return;
      case 'auth-failed':
        // The error itself is printed once, at exit, by main.
        this.stopSpinner();
        return;
      case 'dropped':
        this.line(
          `${colors.alert(' DROPPED ')} ${colors.warning(
            `${where}: the server dropped ${notice.dropped} ${notice.dropped === 1 ? 'event' : 'events'} (${notice.totalDropped} in total on this connection)`,
          )}${notice.message ? `: ${clean(notice.message)}` : ''}`,
        );
        return;
      case 'gap': {
        const down = notice.downForMs === undefined ? '' : ` (the stream was down for ${formatDuration(notice.downForMs)})`;
        this.line(colors.warning(`gap: events from ${where} may have been missed${down}: ${clean(notice.reason)}`));
        return;
      }
      case 'bad-frame':
        this.line(colors.warning(`ignored a bad frame from ${where}: ${clean(notice.reason)}`));
        return;
      case 'server-error':
        this.line(colors.failure(`${where} reported an error (${clean(notice.code)}): ${clean(notice.message)}`));
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

  /** Stops the spinner (on exit). */
  close(): void {
    this.stopSpinner();
  }

  private where(source: StreamSource): string {
    return this.options.multiSource ? `[${source.label}] ${source.url}` : source.url;
  }

  private status(text: string, spinning = false, settled = false): void {
    if (this.options.quiet) return;
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
