import type { ColorScheme } from '../../io/color-level.js';
import type { OutputStream } from '../../io/io.js';
import type { HangarEvent } from '../../protocol/types.js';
import { formatEventLine, type LineContext } from '../../render/line.js';
import type { compileTemplate } from '../../render/template.js';
import type { TimeMode } from '../../render/time-format.js';
import { WriterSink } from './writer-sink.js';
import type { EventMessage, SourceRef } from '../../feed/messages.js';
import { createMemberSpans, scanPlainEvent, type MemberSpans } from '../../protocol/plain-event.js';
import { formatPlainLine } from '../../render/plain-line.js';
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
  private lastKey = -1;
  private lastContext: LineContext | undefined;
  /** For a frame whose members the client's record no longer holds. */
  private members: MemberSpans | undefined;

  constructor(private readonly options: LineSinkOptions) {
    super(options.stdout, options.status);
  }

  start(context: SinkStart): void {
    this.labelled = context.sources.length > 1;
  }

  event(event: HangarEvent, _raw: string, source: SourceRef): void {
    this.writer.write(`${formatEventLine(event, this.lineContext(source))}\n`);
  }

  /** A plain event frame with its members recorded: the line read from its bytes, else (see formatPlainLine) from the parsed event. */
  plain(message: EventMessage, source: SourceRef): void {
    const context = this.lineContext(source);
    const line = this.lineOf(message.bytes!, message.members, context);
    this.writer.write(`${line ?? formatEventLine(message.event, context)}\n`);
  }

  /** The same for a frame the pipeline takes by the feed's lane (no message object). */
  plainFrame(bytes: Buffer, members: MemberSpans | undefined, source: SourceRef): void {
    const context = this.lineContext(source);
    const line = this.lineOf(bytes, members, context);
    this.writer.write(`${line ?? formatEventLine(JSON.parse(bytes.toString('utf8')) as HangarEvent, context)}\n`);
  }

  private lineOf(bytes: Buffer, members: MemberSpans | undefined, context: LineContext): string | undefined {
    // The client's record holds the last frame scanned: this one's unless it waited in the pipeline's queue.
    if (members === undefined || members.bytes !== bytes) {
      members = this.members ??= createMemberSpans();
      if (!scanPlainEvent(bytes, { idStart: -1, idEnd: -1, members })) members.bytes = undefined;
    }
    return formatPlainLine(bytes, members, context);
  }

  /** The source's line context, with the clock and width of this moment. */
  private lineContext(source: SourceRef): LineContext {
    const context = this.contextFor(source);
    // Only relative times need the clock: reading it per event costs.
    if (this.options.time === 'relative') context.nowMs = this.options.nowMs();
    if (!this.options.wide) context.width = this.options.widthOf();
    return context;
  }

  /** The line context of a source, built once (not per event). */
  private contextFor(source: SourceRef): LineContext {
    const key = this.labelled ? source.index : -1;
    // Events come in runs from one source: the last one's context without a map lookup.
    if (key === this.lastKey && this.lastContext !== undefined) return this.lastContext;
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
    this.lastKey = key;
    this.lastContext = context;
    return context;
  }
}
