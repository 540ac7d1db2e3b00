/**
 * Keypresses from a terminal in raw mode, decoded (pure): arrow keys arrive as
 * escape sequences (`ESC [ A`, or `ESC O A` in application mode), Enter as CR
 * (or LF), Backspace as DEL (or BS), Esc alone as a lone ESC. One chunk can
 * hold several keys (typed fast, or pasted). Any view of the live table
 * reads its keys through this.
 */

import type { InputStream } from './io.js';

export type Key =
  | { readonly name: 'up' | 'down' | 'left' | 'right' | 'home' | 'end' | 'page-up' | 'page-down' }
  | { readonly name: 'enter' | 'escape' | 'tab' | 'shift-tab' | 'backspace' | 'ctrl-c' | 'ctrl-d' }
  /** A printable character (one code point), e.g. `a`, `A`, `é`. */
  | { readonly name: 'char'; readonly char: string }
  /** Another escape sequence or control character (function keys, ...): ignored by every view. */
  | { readonly name: 'other' };

const CSI_KEYS: Readonly<Record<string, Key['name']>> = {
  A: 'up',
  B: 'down',
  C: 'right',
  D: 'left',
  H: 'home',
  F: 'end',
  Z: 'shift-tab',
  '1~': 'home',
  '4~': 'end',
  '5~': 'page-up',
  '6~': 'page-down',
};

/** The keys in one chunk read from a raw-mode terminal, in order. */
export function decodeKeys(chunk: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < chunk.length) {
    const code = chunk.charCodeAt(i);
    if (code === 0x1b) {
      const next = chunk[i + 1];
      if (next === '[' || next === 'O') {
        // CSI / SS3: parameters (digits, ;), then one final byte.
        let j = i + 2;
        while (j < chunk.length && /[0-9;]/.test(chunk[j]!)) j++;
        if (j >= chunk.length) {
          keys.push({ name: 'other' });
          break;
        }
        const body = chunk.slice(i + 2, j + 1).replace(/^1;\d+(?=[A-H])/, '');
        const name = CSI_KEYS[body];
        keys.push(name === undefined ? { name: 'other' } : ({ name } as Key));
        i = j + 1;
        continue;
      }
      // A lone ESC (or ESC before another key, as Alt+key sends it): Esc.
      keys.push({ name: 'escape' });
      i++;
      continue;
    }
    if (code === 0x0d || code === 0x0a) {
      keys.push({ name: 'enter' });
      // CR LF is one Enter.
      i += code === 0x0d && chunk.charCodeAt(i + 1) === 0x0a ? 2 : 1;
      continue;
    }
    i++;
    if (code === 0x7f || code === 0x08) keys.push({ name: 'backspace' });
    else if (code === 0x09) keys.push({ name: 'tab' });
    else if (code === 0x03) keys.push({ name: 'ctrl-c' });
    else if (code === 0x04) keys.push({ name: 'ctrl-d' });
    else if (code < 0x20 || (code >= 0x80 && code < 0xa0)) keys.push({ name: 'other' });
    else if (code >= 0xd800 && code <= 0xdbff && i < chunk.length) {
      keys.push({ name: 'char', char: chunk.slice(i - 1, i + 1) });
      i++;
    } else keys.push({ name: 'char', char: chunk[i - 1]! });
  }
  return keys;
}

/** Whether `key` is the printable character `char`. */
export function isChar(key: Key, char: string): boolean {
  return key.name === 'char' && key.char === char;
}

/** Raw keypresses from a terminal's stdin, while a view that reads keys owns it. */
export interface KeyListener {
  /** False off a terminal (or where raw mode is missing): then nothing is read and stop does nothing. */
  readonly listening: boolean;
  /** Gives the terminal back: cooked mode again, stdin paused; idempotent. */
  stop(): void;
}

/** Puts a terminal's stdin in raw mode and hands each chunk read to `onChunk` (decode it with decodeKeys). */
export function listenToKeys(stdin: InputStream, onChunk: (chunk: Buffer | string) => void): KeyListener {
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return { listening: false, stop: () => {} };
  stdin.setRawMode(true);
  stdin.on('data', onChunk);
  stdin.resume();
  let listening = true;
  return {
    get listening() {
      return listening;
    },
    stop() {
      if (!listening) return;
      listening = false;
      stdin.off('data', onChunk);
      stdin.setRawMode?.(false);
      stdin.pause();
    },
  };
}
