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

