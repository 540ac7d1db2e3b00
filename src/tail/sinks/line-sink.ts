import type { ColorScheme } from '../../io/color.js';
import type { OutputStream } from '../../io/io.js';
import type { HangarEvent } from '../../protocol/types.js';
import { formatEventLine, type LineContext } from '../../render/line.js';
import type { compileTemplate } from '../../render/template.js';
import type { TimeMode } from '../../render/time-format.js';
import { WriterSink } from './writer-sink.js';
import type { SourceRef } from '../../feed/messages.js';
import type { SinkStart } from './sink.js';
import type { StatusReporter } from '../status.js';

export interface LineSinkOptions {
  readonly stdout: OutputStream;
  /** Colors for stdout, decided once. */
  readonly colors: ColorScheme;
  readonly time: TimeMode;
  readonly fields?: readonly string[] | undefined;
  readonly template?: ReturnType<typeof compileTemplate> | undefined;
  /** Wall clock for relative times. */
  readonly nowMs: () => number;
  /** The terminal's width when stdout is one (lines are cut to it), else undefined; read per line, so a resize applies. */
  readonly widthOf: () => number | undefined;
  /** -v/--wide: full lines with every field in full. */
  readonly wide: boolean;
  readonly status: StatusReporter;
}

/** `-o pretty`: one rendered line per event, labelled with its source when several URLs are merged. */
export class LineSink extends WriterSink {
  private labelled = false;
  private readonly contexts = new Map<number, LineContext>();

  constructor(private readonly options: LineSinkOptions) {
    super(options.stdout, options.status);
  }

  start(context: SinkStart): void {
    this.labelled = context.sources.length > 1;
  }

  event(event: HangarEvent, _raw: string, source: SourceRef): void {
    const context = this.contextFor(source);
    // Only relative times need the clock: reading it per event costs.
    if (this.options.time === 'relative') context.nowMs = this.options.nowMs();
    if (!this.options.wide) context.width = this.options.widthOf();
    this.writer.write(`${formatEventLine(event, context)}\n`);
  }

  /** The line context of a source, built once (not per event). */
  private contextFor(source: SourceRef): LineContext {
    const key = this.labelled ? source.index : -1;
    let context = this.contexts.get(key);
    if (context === undefined) {
      const { colors, time, fields, template } = this.options;
      context = {
        colors,
        time,
        nowMs: 0,
        arrivalMs: this.options.nowMs,
        wide: this.options.wide,
        ...(fields ? { fields } : {}),
        ...(template ? { template } : {}),
        ...(this.labelled ? { source: { label: source.label, index: source.index } } : {}),
      };
      this.contexts.set(key, context);
    }
    return context;
  }
}
