import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { waitForDrain } from '../../src/tail/sinks/drain.js';
import { OutputWriter } from '../../src/tail/sinks/output-writer.js';
import type { OutputStream } from '../../src/io/io.js';

/**
 * stdout as a pipe whose reader keeps up, as libuv writes it once the pipe was
 * full for a moment: a write over the 16 KiB high-water mark is refused
 * (returns false) and completes on the next turn of the loop, then 'drain'.
 */
function fastPipe(): { stream: OutputStream; written: () => string } {
  const chunks: string[] = [];
  const writable = new Writable({
    highWaterMark: 16 * 1024,
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      setImmediate(callback);
    },
  });
  const stream = Object.assign(writable, { isTTY: false, columns: undefined, rows: undefined }) as unknown as OutputStream;
  return { stream, written: () => chunks.join('') };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('OutputWriter', () => {
  it('gathers the lines of one turn into one write', async () => {
    const { stream, written } = fastPipe();
    const writer = new OutputWriter(stream);
    writer.write('a\n');
    writer.write('b\n');
    expect(written()).toBe('');
    await nextTurn();
    expect(written()).toBe('a\nb\n');
  });

  it('keeps the order of text lines and frame lines, whole and in UTF-8, over many batches', async () => {
    const { stream, written } = fastPipe();
    const writer = new OutputWriter(stream);
    let expected = '';
    for (let i = 0; i < 5000; i++) {
      if (i % 7 === 3) {
        const frame = `{"n":${i},"s":"\u00e9"}`;
        writer.writeLine(Buffer.from(frame));
        expected += `${frame}\n`;
      } else {
        const line = `${i} caf\u00e9 \ud83d\ude00 ${'x'.repeat(i % 50)}\n`;
        writer.write(line);
        expected += line;
      }
      if (i % 1000 === 999) await nextTurn();
    }
    writer.close();
    expect(written()).toBe(expected);
  });

  it("sees a 'drain' that comes before anyone waits for it (else the tail would pause its sockets for good)", async () => {
    const { stream, written } = fastPipe();
    const writer = new OutputWriter(stream);
    // Over the 16 KiB high-water mark, under the 64 KiB batch: flushed at the end of the turn, and refused.
    writer.write(`${'x'.repeat(20_000)}\n`);
    await nextTurn();
    expect(written()).toHaveLength(20_001);
    expect(stream.writableLength).toBe(20_001);
    // The pipeline only looks later (with the next message): by then the pipe has drained.
    while (stream.writableLength > 0) await nextTurn();
    await nextTurn();
    expect(writer.canWrite()).toBe(true);
    await expect(writer.whenWritable()).resolves.toBeUndefined();
  });

  it('says stdout is full right after a refused write, and resolves once it drains', async () => {
    const { stream } = fastPipe();
    const writer = new OutputWriter(stream);
    writer.write('y'.repeat(70_000)); // over the batch size: written now, inside write()
    expect(writer.canWrite()).toBe(false);
    const writable = writer.whenWritable();
    await writable;
    expect(writer.canWrite()).toBe(true);
  });
});

/** stdout as a file: every chunk reaches the OS inside `write` (as Node's SyncWriteStream does); the chunks are kept as given. */
function fileLike(writesAtOnce: boolean): { stream: OutputStream; chunks: Uint8Array[]; written: () => string } {
  const chunks: Uint8Array[] = [];
  const copies: string[] = [];
  const stream: OutputStream = {
    write(chunk: string | Uint8Array) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      copies.push(Buffer.from(bytes).toString());
      return true;
    },
    isTTY: false,
    columns: undefined,
    rows: undefined,
    on: () => undefined,
    off: () => undefined,
    once: () => undefined,
    writableLength: 0,
    writesAtOnce,
  };
  return { stream, chunks, written: () => copies.join('') };
}

describe('OutputWriter to a stdout that writes at once (a file, /dev/null)', () => {
  const big = (fill: string) => Buffer.from(`${fill.repeat(99)}\n`.repeat(1000)); // 100,000 bytes: over a batch

  it('hands a batch of lines over as it is, after what was written before it, and the caller may reuse the memory', async () => {
    const { stream, chunks, written } = fileLike(true);
    const writer = new OutputWriter(stream);
    writer.write('first\n');
    const lines = big('a');
    writer.writeLines(lines);
    // The same memory, not a copy: a store backfill's ~300 KB batches were copied into fresh pages each time.
    expect(chunks.at(-1)).toBe(lines);
    lines.fill(0x7a); // reused by the reader for its next batch
    writer.writeLine(Buffer.from('last'));
    writer.close();
    expect(written()).toBe(`first\n${`${'a'.repeat(99)}\n`.repeat(1000)}last\n`);
  });

  it('copies the lines when stdout may hold them (a pipe): the caller reusing its memory changes nothing written', async () => {
    const { stream, chunks, written } = fileLike(false);
    const writer = new OutputWriter(stream);
    const lines = big('b');
    writer.writeLines(lines);
    expect(chunks.at(-1)).not.toBe(lines);
    const handed = chunks.at(-1)!;
    lines.fill(0x7a);
    expect(Buffer.from(handed).toString()).toBe(`${'b'.repeat(99)}\n`.repeat(1000));
    writer.close();
    expect(written()).toBe(`${'b'.repeat(99)}\n`.repeat(1000));
  });
});

describe('waitForDrain (every sink waits for stdout with it)', () => {
  it('resolves on the drain of data already waiting, and when stdout is destroyed instead', async () => {
    const { stream } = fastPipe();
    stream.write('z'.repeat(20_000)); // over the high-water mark: a 'drain' is due
    await expect(waitForDrain(stream)).resolves.toBeUndefined();
    const dead = fastPipe().stream;
    dead.write('z'.repeat(20_000));
    const waiting = waitForDrain(dead);
    (dead as unknown as Writable).destroy();
    await expect(waiting).resolves.toBeUndefined();
    expect((dead as unknown as Writable).listenerCount('drain')).toBe(0);
  });
});

