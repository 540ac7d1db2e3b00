import { afterEach } from 'vitest';
import type { TailDeps } from '../../src/tail/run.js';
import { FAST, startRealClockTail, type InProcessTail } from './run-tail.js';
import type { RealClockTestIO } from './test-io.js';

/**
 * In-process tails for the reliability tests: real clocks (outage lengths are
 * real), and one transcript of stdout and stderr in the order they were
 * written, so a test can tell which events came before and after each gap
 * line. Events are NDJSON lines (`-o ndjson`) carrying a numeric `seq`.
 */

export interface TranscriptEntry {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export interface TranscriptTail extends InProcessTail<RealClockTestIO> {
  readonly transcript: TranscriptEntry[];
  /** `seq` of every event printed, in order. */
  seqs(): number[];
  /** The gap lines, each with the seq of the last event printed before it (-1 for none). */
  gaps(): { afterSeq: number; line: string; downForMs: number | undefined }[];
}

const tails: InProcessTail<RealClockTestIO>[] = [];

/** Ctrl-C for every transcript tail of the calling test file after each test. */
export function useTranscriptTails(): void {
  afterEach(async () => {
    for (const t of tails.splice(0)) {
      t.io.emitSignal('SIGINT');
      await t.done.catch(() => {});
    }
  });
}

/** `55s`, `1.5s`, `2m 5s`, `447ms` back to milliseconds. */
export function parseDownFor(text: string): number | undefined {
  const m = /^(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)(ms|s))?$/.exec(text.trim());
  if (!m) return undefined;
  const minutes = m[1] ? Number(m[1]) * 60_000 : 0;
  const rest = m[2] ? Number(m[2]) * (m[3] === 's' ? 1000 : 1) : 0;
  return minutes + rest;
}

/** Starts `tail <args>` in process with real clocks and a transcript. */
export function startTranscriptTail(args: string[], deps: TailDeps = FAST): TranscriptTail {
  const tail = startRealClockTail(args, {}, deps);
  tails.push(tail);
  const transcript: TranscriptEntry[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const target = tail.io[stream];
    const write = target.write.bind(target);
    target.write = (chunk: string | Uint8Array) => {
      transcript.push({ stream, text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') });
      return write(chunk);
    };
  }
  const lines = () => {
    const out: TranscriptEntry[] = [];
    for (const entry of transcript) for (const line of entry.text.split('\n')) if (line.length > 0) out.push({ stream: entry.stream, text: line });
    return out;
  };
  return Object.assign(tail, {
    transcript,
    seqs: () =>
      lines()
        .filter((l) => l.stream === 'stdout')
        .map((l) => (JSON.parse(l.text) as { seq: number }).seq),
    gaps: () => {
      const out: { afterSeq: number; line: string; downForMs: number | undefined }[] = [];
      let last = -1;
      for (const l of lines()) {
        if (l.stream === 'stdout') last = (JSON.parse(l.text) as { seq: number }).seq;
        else if (/gap: /.test(l.text)) {
          const down = /down for ([^)]+)\)/.exec(l.text);
          out.push({ afterSeq: last, line: l.text, downForMs: down ? parseDownFor(down[1]!) : undefined });
        }
      }
      return out;
    },
  });
}
