/**
 * Byte runs of a frame compared four bytes at a time (a DataView's 32-bit
 * reads are about three times faster than one typed-array read per byte;
 * measured in bench/README.md, issue 24): the keys of a plain frame against
 * its shape's, the type and the server against a cached pair's.
 */

let lastBuffer: ArrayBufferLike | undefined;
let lastView: DataView | undefined;

/**
 * A DataView of the whole buffer under `bytes` (read at `bytes.byteOffset +
 * i`): the frames of one socket read share their buffer, so one view serves
 * them all (making a DataView costs more than comparing a frame's keys).
 */
export function dataViewOf(bytes: Uint8Array): DataView {
  const buffer = bytes.buffer;
  if (buffer !== lastBuffer || lastView === undefined) {
    lastBuffer = buffer;
    lastView = new DataView(buffer);
  }
  return lastView;
}

/** Low bytes kept of a word that holds a run of 1 to 3 bytes. */
const MASKS = [0, 0xff, 0xffff, 0xffffff];

/**
 * Appends the words sameWords compares for the run bytes[s, s + length):
 * its whole words, then (when length is not a multiple of 4) the last four
 * bytes of the run, or for a run under 4 bytes its bytes alone.
 */
export function pushWords(bytes: Uint8Array, s: number, length: number, words: number[]): void {
  const word = (at: number, n: number) => {
    let value = 0;
    for (let k = n - 1; k >= 0; k--) value = value * 256 + bytes[at + k]!;
    return value;
  };
  if (length < 4) {
    if (length > 0) words.push(word(s, length));
    return;
  }
  for (let i = 0; i + 4 <= length; i += 4) words.push(word(s + i, 4));
  if ((length & 3) !== 0) words.push(word(s + length - 4, 4));
}

/** How many words pushWords makes of a run of `length` bytes. */
export function wordCount(length: number): number {
  return length < 4 ? (length > 0 ? 1 : 0) : (length >> 2) + ((length & 3) !== 0 ? 1 : 0);
}

/**
 * Whether the run of `length` bytes at `at` in `view` is the one whose words
 * start at words[w]. A run under 4 bytes is read as four bytes and masked:
 * the caller makes sure three more bytes follow it.
 */
export function sameWords(view: DataView, at: number, length: number, words: Uint32Array, w: number): boolean {
  if (length < 4) return length === 0 || (view.getUint32(at, true) & MASKS[length]!) === words[w];
  let i = 0;
  for (; i + 4 <= length; i += 4) if (view.getUint32(at + i, true) !== words[w++]) return false;
  return (length & 3) === 0 || view.getUint32(at + length - 4, true) === words[w];
}
