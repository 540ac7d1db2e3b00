import { describe, expect, it } from 'vitest';
import { dataViewOf, pushWords, sameWords, wordCount } from '../../src/render/byte-words.js';

/** Runs of bytes compared four at a time (render/byte-words.ts): equal runs are the same, any one byte different is not. */
describe('sameWords', () => {
  it('tells runs of every length apart by any one byte, and never looks at the bytes around them', () => {
    const text = 'event_type mcp_server_id ab abc a tool_name correlation_id';
    for (let length = 0; length <= 15; length++) {
      for (let start = 0; start + length + 3 <= text.length; start += 3) {
        const run = Buffer.from(text.slice(start, start + length));
        const words: number[] = [];
        pushWords(run, 0, length, words);
        expect(words).toHaveLength(wordCount(length));
        const stored = Uint32Array.from(words);
        // The same run inside another buffer, between other bytes (a run under four bytes is read with the three after it).
        for (const [before, after] of [['', '":0}'], ['{"', '"xyz'], ['xx', '\u00ff\u00ff\u00ff']] as const) {
          const frame = Buffer.from(`${before}${run.toString('latin1')}${after}`, 'latin1');
          const view = dataViewOf(frame);
          expect(sameWords(view, frame.byteOffset + before.length, length, stored, 0)).toBe(true);
          for (let i = 0; i < length; i++) {
            const changed = Buffer.from(frame);
            changed[before.length + i] = changed[before.length + i]! ^ 0x01;
            expect(sameWords(dataViewOf(changed), changed.byteOffset + before.length, length, stored, 0)).toBe(false);
          }
        }
      }
    }
  });

  it('reads a new buffer with a new view', () => {
    const a = Buffer.from(new TextEncoder().encode('{"note":1}').buffer);
    const b = Buffer.from(new TextEncoder().encode('{"notf":1}').buffer);
    const words: number[] = [];
    pushWords(a, 2, 4, words);
    expect(sameWords(dataViewOf(a), 2, 4, Uint32Array.from(words), 0)).toBe(true);
    expect(sameWords(dataViewOf(b), 2, 4, Uint32Array.from(words), 0)).toBe(false);
  });
});
