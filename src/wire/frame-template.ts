import { textFrameHeaderLength, writeTextFrameHeader } from './text-frame.js';

/** A text frame with places (holes) a copy overwrites in its bytes. */
export interface FrameWithHoles {
  /** The whole frame: header and payload, the holes filled with their replacements. */
  readonly wire: Buffer;
  /** Byte offset in `wire` of each hole, in the order the holes were given. */
  readonly holesAt: readonly number[];
}

/**
 * Frames `text` as one unmasked text frame with each hole's `marker`
 * replaced by its `replacement`, and says where in the frame each hole
 * landed, so a source can stamp copies of the frame by writing bytes of the
 * same widths into those places. Undefined when a marker does not occur
 * exactly once (the template cannot be made safely).
 */
export function frameWithHoles(text: string, holes: readonly { readonly marker: string; readonly replacement: string }[]): FrameWithHoles | undefined {
  const found = holes.map((hole, order) => ({ ...hole, order, index: text.indexOf(hole.marker), at: 0 }));
  for (const hole of found) {
    if (hole.index < 0 || text.indexOf(hole.marker, hole.index + 1) >= 0) return undefined;
  }
  let filled = '';
  let from = 0;
  for (const hole of [...found].sort((a, b) => a.index - b.index)) {
    filled += text.slice(from, hole.index);
    hole.at = Buffer.byteLength(filled);
    filled += hole.replacement;
    from = hole.index + hole.marker.length;
  }
  filled += text.slice(from);
  const payload = Buffer.from(filled);
  const headerLength = textFrameHeaderLength(payload.length);
  const wire = Buffer.allocUnsafe(headerLength + payload.length);
  writeTextFrameHeader(wire, payload.length);
  payload.copy(wire, headerLength);
  return { wire, holesAt: found.map((hole) => headerLength + hole.at) };
}
