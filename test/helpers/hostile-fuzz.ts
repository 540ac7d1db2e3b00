/**
 * Seeded hostile input for the hostile suite: a small PRNG (mulberry32) and
 * generators of the strings, frames and lines that break naive code. Every
 * suite runs with a fixed default seed (the same input on every run and in
 * CI), prints it, and puts it in its failure messages; `HOSTILE_SEED=<seed>`
 * picks another, `HOSTILE_SEED=random` a fresh one, so any failure
 * reproduces with `HOSTILE_SEED=<seed> npx vitest run test/hostile/...`.
 */

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  int(min: number, maxInclusive: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** A deterministic generator for `seed`. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}

/** The hostile suites' seed when HOSTILE_SEED does not say otherwise. */
export const DEFAULT_HOSTILE_SEED = 20261201;

/**
 * The seed for this run: `HOSTILE_SEED` when it is a number, a fresh one
 * with `HOSTILE_SEED=random`, else DEFAULT_HOSTILE_SEED. Printed on stderr,
 * so a run that found something says how to get it again.
 */
export function hostileSeed(): number {
  const fromEnv = process.env.HOSTILE_SEED;
  const seed =
    fromEnv !== undefined && /^\d+$/.test(fromEnv)
      ? Number(fromEnv) >>> 0
      : fromEnv === 'random'
        ? Math.floor(Math.random() * 2 ** 32) >>> 0
        : DEFAULT_HOSTILE_SEED;
  process.stderr.write(`hostile suite seed ${seed} (HOSTILE_SEED=${seed} to reproduce, HOSTILE_SEED=random for fresh input)\n`);
  return seed;
}

/** A suffix for failure messages that tells how to reproduce. */
export function seedNote(seed: number): string {
  return `(reproduce with HOSTILE_SEED=${seed})`;
}

/** Terminal escape sequences and control characters an attacker would put in a payload. */
export const ESCAPE_PAYLOADS: readonly string[] = [
  '\x1b[31mRED\x1b[0m',
  '\x1b[2J\x1b[H', // clear screen, cursor home
  '\x1b]0;pwned title\x07', // window title (OSC 0, BEL)
  '\x1b]52;c;ZWNobyBwd25lZA==\x07', // OSC 52: write the clipboard
  '\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\', // OSC 8 hyperlink (ST terminated)
  '\x1bP+q544e\x1b\\', // DCS request
  '\x1b[6n', // cursor position report (makes the terminal type)
  '\x1b[?1049h', // alternate screen
  '\x1b[1A\x1b[2K', // cursor up, erase line: hides earlier output
  '\x9b31m', // 8-bit CSI
  '\x9d0;title\x9c', // 8-bit OSC
  '\x1bc', // full reset
  '\x1b7\x1b8', // save/restore cursor
  '\x07\x08\x08\x08\x7f', // bell, backspaces, DEL
  '\r overwritten', // carriage return
  'line1\nline2', // a newline splitting one event into two lines
  '\u202eevil\u202c', // right-to-left override (Trojan Source)
  '\u2066isolate\u2069',
  '\x1b', // a lone ESC at the end
  '\x1b[', // an unterminated CSI
  '\x1b]unterminated OSC',
  '\x00nul\x00',
];

/** Control characters and escapes that must never reach a terminal raw. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** SGR color sequences our own color scheme emits (chalk): ESC [ digits ; m. */
// eslint-disable-next-line no-control-regex
const OWN_SGR = /\x1b\[[0-9;]*m/g;

/**
 * Why `text` (one rendered line) is unsafe for a terminal, or undefined when
 * safe. With `ownColors`, SGR sequences are allowed (the renderer's own
 * colors) but nothing else: no other escape, no control character, no bidi
 * override, no newline inside the line.
 */
export function terminalHazard(text: string, ownColors: boolean): string | undefined {
  const stripped = ownColors ? text.replace(OWN_SGR, '') : text;
  const match = FORBIDDEN.exec(stripped);
  if (!match) return undefined;
  const at = match.index;
  return `control character U+${match[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${at}: ${JSON.stringify(stripped.slice(Math.max(0, at - 20), at + 20))}`;
}

/** A random string mixing printable text, escape payloads and unicode. */
export function hostileString(rng: Rng, maxParts = 6): string {
  let out = '';
  const parts = rng.int(1, maxParts);
  for (let i = 0; i < parts; i++) {
    switch (rng.int(0, 5)) {
      case 0:
        out += rng.pick(ESCAPE_PAYLOADS);
        break;
      case 1:
        out += String.fromCharCode(rng.int(0, 0x20));
        break;
      case 2:
        out += String.fromCharCode(rng.int(0x7f, 0x9f));
        break;
      case 3:
        out += rng.pick(['ok', 'math', 'ready', 'héllo', '日本語', '🚀', '{x}', '%s', '$(id)', '`id`']);
        break;
      case 4:
        out += String.fromCharCode(rng.int(0x20, 0x7e));
        break;
      default:
        out += String.fromCharCode(rng.int(0x2000, 0x206f));
    }
  }
  return out;
}

/** Keys that attack prototype handling. */
export const PROTO_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];

/** A JSON text nested `depth` levels deep (arrays or objects). */
export function deeplyNested(depth: number, kind: 'array' | 'object' = 'array'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Bytes that are not valid UTF-8. */
export const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc3, 0x28]), // bad continuation
  Buffer.from([0xe2, 0x82]), // truncated sequence
  Buffer.from([0xed, 0xa0, 0x80]), // UTF-16 surrogate encoded in UTF-8
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), // 5-byte form
  Buffer.from([0xc0, 0xaf]), // overlong '/'
];

/** Random bytes. */
export function randomBytes(rng: Rng, length: number): Buffer {
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = rng.int(0, 255);
  return buf;
}

/**
 * One hostile NDJSON line (without its newline) and whether a correct reader
 * must accept it as an event. Covers truncated JSON, garbage, non-objects,
 * events without a string event_type, prototype keys, control characters.
 */
export function hostileNdjsonLine(rng: Rng, n: number): { text: string | Buffer; good: boolean } {
  switch (rng.int(0, 13)) {
    case 0:
      return { text: `{"event_type":"ToolInvocationCompleted","seq":${n}`, good: false }; // truncated
    case 1:
      return { text: Buffer.concat([Buffer.from([0xff]), randomBytes(rng, rng.int(1, 64)).filter((b) => b !== 0x0a)]), good: false }; // binary garbage
    case 2:
      return { text: rng.pick(['[]', '[1,2]', '"text"', '42', 'null', 'true']), good: false };
    case 3:
      return { text: JSON.stringify({ type: 'ping', seq: n }), good: false }; // no event_type
    case 4:
      return { text: JSON.stringify({ event_type: rng.pick([42, null, '', ['x'], { a: 1 }]), seq: n }), good: false };
    case 5:
      return { text: `{"event_type":"X","__proto__":{"polluted":"yes"},"seq":${n}}`, good: true };
    case 6:
      return { text: `{"event_type":"X","constructor":{"prototype":{"polluted":"yes"}},"seq":${n}}`, good: true };
    case 7:
      return { text: JSON.stringify({ event_type: `Evil${hostileString(rng, 2)}`, msg: hostileString(rng), seq: n }), good: true };
    case 8:
      return { text: `{"event_type":"X","seq":${n}}\x00\x1b[2J`, good: false }; // trailing garbage
    case 9:
      return { text: deeplyNested(rng.int(2_000, 20_000)), good: false };
    case 10:
      return { text: `{"event_type":"X","seq":${n},"deep":${deeplyNested(rng.int(50, 500))}}`, good: true };
    case 11:
      return { text: Buffer.concat([Buffer.from(`{"event_type":"X","seq":${n},"s":"`), rng.pick(INVALID_UTF8), Buffer.from('"}')]), good: true }; // decoded as U+FFFD
    case 12:
      return { text: ` \t{"event_type": "X" , "seq": ${n}}\r`, good: true }; // whitespace, CRLF
    default:
      return { text: JSON.stringify({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq: n }), good: true };
  }
}

/** A hostile NDJSON document and what a correct reader must make of it. */
export interface HostileCorpus {
  readonly bytes: Buffer;
  /** `seq` of every event a correct reader publishes, in order. */
  readonly goodSeqs: number[];
  /** 1-based numbers of the lines that must be reported as bad. */
  readonly badLines: number[];
  readonly lines: number;
}

/**
 * `count` hostile lines (plus blank lines, which are neither good nor bad),
 * with `bigLineBytes` > 0 adding one line of that size (binary-free JSON
 * garbage) in the middle. Lines end in LF or CRLF at random.
 */
export function hostileCorpus(rng: Rng, count: number, bigLineBytes = 0): HostileCorpus {
  const parts: Buffer[] = [];
  const goodSeqs: number[] = [];
  const badLines: number[] = [];
  let lineNumber = 0;
  const bigAt = bigLineBytes > 0 ? Math.floor(count / 2) : -1;
  for (let n = 0; n < count; n++) {
    lineNumber++;
    if (n === bigAt) {
      const big = Buffer.alloc(bigLineBytes, 0x61);
      Buffer.from('{"event_type":"Big","s":"').copy(big);
      parts.push(big, Buffer.from('\n'));
      badLines.push(lineNumber);
      continue;
    }
    if (rng.chance(0.03)) {
      parts.push(Buffer.from(rng.pick(['', '   ', '\t']) + '\n'));
      continue;
    }
    const { text, good } = hostileNdjsonLine(rng, n);
    parts.push(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, Buffer.from(rng.chance(0.2) ? '\r\n' : '\n'));
    if (good) goodSeqs.push(n);
    else badLines.push(lineNumber);
  }
  return { bytes: Buffer.concat(parts), goodSeqs, badLines, lines: lineNumber };
}

/** `bytes` as an async stream of random-sized chunks (splitting lines and UTF-8 sequences anywhere). */
export async function* randomChunks(rng: Rng, bytes: Buffer, maxChunk = 70_000): AsyncGenerator<Buffer> {
  let at = 0;
  while (at < bytes.length) {
    const size = rng.int(1, maxChunk);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** Whether Object.prototype was polluted (checks the usual marker keys). */
export function prototypePolluted(): string | undefined {
  const probe = {} as Record<string, unknown>;
  for (const key of ['polluted', 'isAdmin', 'hostile']) {
    if (probe[key] !== undefined) return `({}).${key} is ${JSON.stringify(probe[key])}`;
  }
  if (Object.getPrototypeOf(probe) !== Object.prototype) return 'the prototype of {} changed';
  return undefined;
}
