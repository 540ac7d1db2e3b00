import { describe, expect, it } from 'vitest';
import { bufferView, tailView } from '../../src/wire/buffer-view.js';

describe('bufferView', () => {
  it('is a Buffer over the given memory, without a copy', () => {
    const memory = Buffer.from('0123456789abcdef', 'latin1');
    const view = bufferView(memory.buffer, memory.byteOffset + 4, 6);
    expect(Buffer.isBuffer(view)).toBe(true);
    expect(view).toBeInstanceOf(Buffer);
    expect(view.length).toBe(6);
    expect(view.toString('latin1')).toBe('456789');
    expect(view.equals(Buffer.from('456789'))).toBe(true);
    memory[5] = 0x58; // 'X'
    expect(view.toString('latin1')).toBe('4X6789');
    view.write('yz', 0, 'latin1');
    expect(memory.toString('latin1', 4, 6)).toBe('yz');
    expect(view.readUInt16BE(0)).toBe(0x797a);
    const part = view.subarray(1, 3);
    expect(Buffer.isBuffer(part)).toBe(true);
    expect(part.toString('latin1')).toBe('z6');
    expect(Buffer.concat([view, part]).toString('latin1')).toBe('yz6789z6');
  });

  it('tailView is what subarray(start) gives', () => {
    const memory = Buffer.from('\u0081\u0005hello', 'latin1');
    const payload = tailView(memory.subarray(0), 2);
    expect(payload.toString()).toBe('hello');
    expect(payload.byteOffset).toBe(memory.byteOffset + 2);
    expect(payload.buffer).toBe(memory.buffer);
    expect(JSON.stringify(payload)).toBe(JSON.stringify(memory.subarray(2)));
  });
});
