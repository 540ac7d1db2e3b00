/**
 * A Buffer that is a view into memory the caller owns (a slab of frames),
 * made for a fraction of what `Buffer#subarray` or `Buffer.from(arrayBuffer,
 * offset, length)` cost: those go through the species constructor or
 * argument checks (~80-150 ns each on Node 20), a direct subclass of
 * Uint8Array costs what a typed array costs (~20 ns). The hot path of `serve
 * --rate max` makes two per event (bench/README.md, issue 24).
 *
 * The subclass's prototype chain runs through Buffer.prototype, so what it
 * makes is a Buffer in every way code can tell (`instanceof Buffer`,
 * `Buffer.isBuffer`, every Buffer method); its `subarray` and `slice` return
 * plain Buffers, as Buffer's own do.
 */
class BufferView extends Uint8Array {}
Object.setPrototypeOf(BufferView.prototype, Buffer.prototype);

/** `length` bytes of `memory` from `byteOffset` as a Buffer sharing that memory (no copy); the caller checks the bounds. */
export function bufferView(memory: ArrayBufferLike, byteOffset: number, length: number): Buffer {
  return new BufferView(memory as ArrayBuffer, byteOffset, length) as unknown as Buffer;
}

/** The part of `buffer` from `start` to its end, as bufferView does it (cheaper than `buffer.subarray(start)`). */
export function tailView(buffer: Buffer, start: number): Buffer {
  return new BufferView(buffer.buffer as ArrayBuffer, buffer.byteOffset + start, buffer.length - start) as unknown as Buffer;
}
