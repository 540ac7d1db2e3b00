import { open, type FileHandle } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { RuntimeError } from '../errors.js';
import { plural } from '../format/plural.js';
import { toNdjsonLine } from './sinks/ndjson-sink.js';

/**
 * `--record FILE`: appends every shown event, as received, to an NDJSON file.
 *
 * The file only ever ends at a whole line: when a write fails (a full disk,
 * a file size limit), the part of a line that did reach the disk is cut off
 * again, recording stops, and the events from then on are counted as not
 * recorded, so the stream, `--stats` and the exit say exactly what the file
 * holds. Lines are written in batches, one write in flight at a time.
 */
export interface Recorder {
  /** Queues one event's line; never throws, never blocks the stream. */
  write(raw: string): void;
  /** Writes what is queued, closes the file and says what was recorded. Never throws. */
  close(): Promise<RecordingOutcome>;
}

export interface RecordingOutcome {
  /** Events whose whole line is in the file. */
  readonly recorded: number;
  /** Events shown but not in the file (at and after a failed write). */
  readonly notRecorded: number;
  /** Why recording stopped, worded for the user (file, cause, counts), if it did. */
  readonly error?: RuntimeError | undefined;
}

/** Opens (appends to) the recording file; `warn` hears once, at once, when recording stops. */
export async function openRecorder(file: string, cwd: string, warn: (message: string) => void): Promise<Recorder> {
  let handle: FileHandle;
  let size: number;
  try {
    handle = await open(resolvePath(cwd, file), 'a');
    size = (await handle.stat()).size;
  } catch (error) {
    throw new RuntimeError(`cannot open the recording file ${file}`, { cause: error });
  }
  let pending: string[] = [];
  let flushing: Promise<void> | undefined;
  let recorded = 0;
  let notRecorded = 0;
  let failure: NodeJS.ErrnoException | undefined;

  const fail = (error: NodeJS.ErrnoException, unwritten: number) => {
    failure = error;
    notRecorded += unwritten + pending.length;
    pending = [];
    warn(`cannot write the recording file ${file} (${describe(error)}): recording stopped after ${plural(recorded, 'event')}; the file ends at its last whole line; the stream goes on`);
  };

  /** Writes one batch; a failed or short write is cut back to the batch's last whole line. */
  const writeBatch = async (lines: string[]) => {
    const buffer = Buffer.from(lines.join(''));
    let written = 0;
    try {
      while (written < buffer.length) {
        const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
        if (bytesWritten === 0) throw Object.assign(new Error('nothing written'), { code: 'ENOSPC' });
        written += bytesWritten;
      }
    } catch (error) {
      // How many whole lines reached the file; the rest of the batch is cut off again.
      let whole = 0;
      let wholeBytes = 0;
      for (const line of lines) {
        const length = Buffer.byteLength(line);
        if (wholeBytes + length > written) break;
        wholeBytes += length;
        whole++;
      }
      size += wholeBytes;
      recorded += whole;
      await handle.truncate(size).catch(() => {});
      fail(error as NodeJS.ErrnoException, lines.length - whole);
      return;
    }
    size += written;
    recorded += lines.length;
  };

  const flush = async () => {
    while (pending.length > 0 && failure === undefined) {
      const lines = pending;
      pending = [];
      await writeBatch(lines);
    }
    flushing = undefined;
  };

  return {
    write(raw) {
      if (failure !== undefined) {
        notRecorded++;
        return;
      }
      // The same line as -o ndjson writes: byte for byte but for line breaks between tokens.
      pending.push(`${toNdjsonLine(raw)}\n`);
      flushing ??= Promise.resolve().then(flush);
    },
    async close() {
      while (flushing !== undefined) await flushing;
      await handle.close().catch(() => {});
      const error =
        failure === undefined
          ? undefined
          : new RuntimeError(`cannot write the recording file ${file} (${describe(failure)}): ${plural(recorded, 'event')} recorded, ${plural(notRecorded, 'event')} shown but not recorded; free some space (or pick another file) and record again`, { cause: failure });
      return { recorded, notRecorded, error };
    },
  };
}

function describe(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOSPC':
      return 'ENOSPC: no space left on the device';
    case 'EFBIG':
      return 'EFBIG: the file is over the size limit';
    case 'EDQUOT':
      return 'EDQUOT: the disk quota is used up';
    default:
      return error.code ?? error.message;
  }
}
