import type { ColorScheme } from '../../io/color-level.js';
import type { IO } from '../../io/io.js';
import type { TableSort } from '../../render/table/sorts.js';
import type { compileTemplate } from '../../render/template.js';
import type { TimeMode } from '../../render/time-format.js';
import type { StatusReporter } from '../status.js';
import { NdjsonSink, TerminalNdjsonSink } from './ndjson-sink.js';
import type { TailSink } from './sink.js';
import type { TableSinkOptions } from './table-sink.js';
import { canDrawLive, terminalSize } from '../../io/terminal-size.js';

/** How tail writes events. */
export type OutputMode = 'pretty' | 'ndjson' | 'table';
export const OUTPUT_MODES: readonly OutputMode[] = ['pretty', 'ndjson', 'table'];
/** `-o json` and `-o jsonl` mean NDJSON (one JSON object per line), as people coming from kubectl or kcat type it. */
export const NDJSON_ALIASES: ReadonlySet<string> = new Set(['json', 'jsonl', 'json-lines']);

/** The output decisions a sink is built from (a subset of the tail options). */
export interface OutputSettings {
  readonly output: OutputMode;
  readonly time: TimeMode;
  readonly fields: readonly string[] | undefined;
  readonly sort: TableSort;
  readonly intervalMs: number;
  /** -v/--wide: pretty lines in full, not cut to the terminal, bulky fields in full. */
  readonly wide: boolean;
  /** --calls: one line (or NDJSON object) per tool call instead of one per event. */
  readonly calls: boolean;
  /** -n: with --calls, the sink ends the tail after this many ended calls. */
  readonly count: number | undefined;
}

/** What a sink needs besides the options; built once in runTail. */
export interface SinkParts {
  readonly stdoutColors: ColorScheme;
  readonly stderrColors: ColorScheme;
  readonly status: StatusReporter;
  readonly template: ReturnType<typeof compileTemplate> | undefined;
  /** The user asked to stop from inside the output (q in the live table). */
  readonly onQuit?: () => void;
  /** The table's approvals view: the approvals API (see TableSinkOptions.approvals). */
  readonly approvals?: TableSinkOptions['approvals'];
  /** --bell in the table: rings for a new approval. */
  readonly bell?: TableSinkOptions['bell'];
  /** A server's log lines, for the console's server detail (see TableSinkOptions.fetchLogs). */
  readonly fetchLogs?: TableSinkOptions['fetchLogs'];
}

/**
 * The one place an output mode becomes a sink. Each sink but NDJSON's is
 * loaded here, when chosen: the live table alone is half of tail's modules,
 * and a start is mostly module loading (bench/README.md, startup).
 */
export async function createSink(options: OutputSettings, io: IO, parts: SinkParts): Promise<TailSink> {
  const widthOf = () => (io.stdout.isTTY ? terminalSize(io.stdout, io.env).columns : undefined);
  // Shortening is for a person at a terminal: into a file or a pipe every field goes in full.
  const wide = options.wide || !io.stdout.isTTY;
  if (options.calls && options.output !== 'table') {
    const { CallsSink } = await import('./calls-sink.js');
    return new CallsSink({
      stdout: io.stdout,
      colors: parts.stdoutColors,
      time: options.time,
      json: options.output === 'ndjson',
      nowMs: () => io.now(),
      clock: io.clock,
      widthOf,
      wide,
      status: parts.status,
      count: options.count,
      onCount: parts.onQuit,
    });
  }
  switch (options.output) {
    case 'ndjson':
      // On a terminal peer strings are escaped there too (-o ndjson into a pipe or file is the server's bytes).
      return io.stdout.isTTY ? new TerminalNdjsonSink(io.stdout, parts.status) : new NdjsonSink(io.stdout, parts.status);
    case 'pretty': {
      const { LineSink } = await import('./line-sink.js');
      return new LineSink({
        stdout: io.stdout,
        colors: parts.stdoutColors,
        time: options.time,
        fields: options.fields,
        template: parts.template,
        nowMs: () => io.now(),
        widthOf,
        wide,
        status: parts.status,
      });
    }
    case 'table': {
      const { createTableSink } = await import('./table-sink.js');
      return createTableSink(io, {
        colors: parts.stdoutColors,
        sort: options.sort,
        intervalMs: options.intervalMs,
        interactive: canDrawLive(io),
        // On a terminal the table shows connection state, drops and gaps itself; stderr
        // lines would tear it. Off a terminal stderr reports them as in the other modes.
        status: canDrawLive(io) ? undefined : parts.status,
        onQuit: parts.onQuit,
        approvals: parts.approvals,
        bell: parts.bell,
        fetchLogs: parts.fetchLogs,
      });
    }
  }
}
