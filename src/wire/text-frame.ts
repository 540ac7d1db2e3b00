/**
 * Unmasked, unfragmented WebSocket text frames (RFC 6455 section 5.2), as a
 * server sends them. The hub frames every event once for all subscribers; a
 * source that serializes its own events (the simulator's max rate) writes the
 * frame itself, so the JSON is written once, in place.
 */

/** Length of the frame header for a payload of `payloadLength` bytes. */
export function textFrameHeaderLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
}

/** Writes the frame header for `payloadLength` bytes at the start of `frame` (textFrameHeaderLength bytes). */
export function writeTextFrameHeader(frame: Buffer, payloadLength: number): void {
  frame[0] = 0x81;
  if (payloadLength < 126) {
    frame[1] = payloadLength;
  } else if (payloadLength < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(payloadLength, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(payloadLength), 2);
  }
}

/** Length of the header of the frame `frame` starts with. */
export function textFrameHeaderLengthOf(frame: Buffer): number {
  const length = frame[1]! & 0x7f;
  return length < 126 ? 2 : length === 126 ? 4 : 10;
}
