/**
 * A small seeded pseudo-random generator (mulberry32) and the distributions
 * the simulator draws from. Deterministic: the same seed yields the same
 * sequence on every platform, which is what makes `--seed` reproducible.
 */

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /**
   * The same draw as nextUint32, as a signed 32-bit integer (the same bits):
   * a small integer to V8, where a uint32 above 2^31 is a heap number when the
   * call is not inlined (the max-rate source's ids draw four per event).
   */
  nextInt32(): number;
}

/** mulberry32: 32 bits of state, fast, good enough for a simulation (not for secrets). */
export function createPrng(seed: number): Prng {
  let state = seed | 0;
  const nextInt32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return t ^ (t >>> 14);
  };
  const nextUint32 = (): number => nextInt32() >>> 0;
  return {
    nextUint32,
    nextInt32,
    next: () => nextUint32() / 4294967296,
  };
}

/** Derives an independent seed from a seed and a stream label (so streams do not overlap). */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** Uniform in [min, max). */
export function uniform(rng: Prng, min: number, max: number): number {
  return min + (max - min) * rng.next();
}

/** Uniform whole number in [min, max]. */
export function randomInt(rng: Prng, min: number, max: number): number {
  return min + Math.floor(rng.next() * (max - min + 1));
}

/** True with probability p. */
export function chance(rng: Prng, p: number): boolean {
  return rng.next() < p;
}

/** One element, uniformly. */
export function pick<T>(rng: Prng, items: readonly T[]): T {
  return items[Math.floor(rng.next() * items.length)]!;
}

/** One element, with probability proportional to its weight. */
export function pickWeighted<T>(rng: Prng, items: readonly T[], weightOf: (item: T) => number): T {
  let total = 0;
  for (const item of items) total += weightOf(item);
  let r = rng.next() * total;
  for (const item of items) {
    r -= weightOf(item);
    if (r < 0) return item;
  }
  return items[items.length - 1]!;
}

/** Standard normal (Box-Muller). */
export function gaussian(rng: Prng): number {
  const u = 1 - rng.next(); // (0, 1]: log(0) never happens
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Log-normal with the given median and shape: most values near the median, a long right tail. */
export function logNormal(rng: Prng, median: number, sigma: number): number {
  return median * Math.exp(sigma * gaussian(rng));
}

/** Exponential with the given mean (gaps between Poisson arrivals). */
export function exponential(rng: Prng, mean: number): number {
  return -mean * Math.log(1 - rng.next());
}

const HEX_BYTES: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(n: number): string {
  return HEX_BYTES[n >>> 24]! + HEX_BYTES[(n >>> 16) & 0xff]! + HEX_BYTES[(n >>> 8) & 0xff]! + HEX_BYTES[n & 0xff]!;
}

/** A UUID v4-shaped string drawn from the generator (deterministic per seed). */
export function randomUuid(rng: Prng): string {
  const a = rng.nextUint32();
  const b = rng.nextUint32();
  const c = rng.nextUint32();
  const d = rng.nextUint32();
  const timeMid = HEX_BYTES[b >>> 24]! + HEX_BYTES[(b >>> 16) & 0xff]!;
  const version = '4' + HEX_BYTES[(b >>> 8) & 0x0f]!.slice(1) + HEX_BYTES[b & 0xff]!;
  const variant = HEX_BYTES[((c >>> 24) & 0x3f) | 0x80]! + HEX_BYTES[(c >>> 16) & 0xff]!;
  const node = HEX_BYTES[(c >>> 8) & 0xff]! + HEX_BYTES[c & 0xff]! + hex32(d);
  return `${hex32(a)}-${timeMid}-${version}-${variant}-${node}`;
}

/**
 * `uuid` (from randomUuid) with its last 32 bits XORed with `salt`: the same
 * draw gives another id per salt, and salt 0 gives `uuid` itself, so a salt
 * changes event ids without shifting any other value drawn from the generator.
 */
export function saltUuid(uuid: string, salt: number): string {
  if (salt === 0) return uuid;
  const tail = (Number.parseInt(uuid.slice(28), 16) ^ salt) >>> 0;
  return `${uuid.slice(0, 28)}${tail.toString(16).padStart(8, '0')}`;
}

/** `n` lowercase hex digits. */
export function randomHex(rng: Prng, n: number): string {
  let out = '';
  while (out.length < n) out += hex32(rng.nextUint32());
  return out.slice(0, n);
}

/** The two hex digits of each byte value as character codes, the first in the low byte (for a little-endian setUint16). */
const HEX_PAIRS = new Uint16Array(256);
for (let i = 0; i < 256; i++) HEX_PAIRS[i] = HEX_BYTES[i]!.charCodeAt(0) | (HEX_BYTES[i]!.charCodeAt(1) << 8);
const DASH = 0x2d;

/** Length of a UUID in characters (and ASCII bytes). */
export const UUID_LENGTH = 36;

/**
 * Writes the UUID `randomUuid(rng)` would return (the same draws, the same
 * characters) as ASCII into `target`'s memory at byte `at`, without making a
 * string: two digits per store (a DataView writes at any offset), where a
 * byte per store through a Uint8Array took 2.5x as long (bench/README.md).
 */
export function writeRandomUuid(rng: Prng, target: DataView, at: number): void {
  // Signed draws: every use below shifts with >>> or masks, which reads the same 32 bits.
  const a = rng.nextInt32();
  const b = rng.nextInt32();
  const c = rng.nextInt32();
  const d = rng.nextInt32();
  const hex = HEX_PAIRS;
  target.setUint16(at, hex[a >>> 24]!, true);
  target.setUint16(at + 2, hex[(a >>> 16) & 0xff]!, true);
  target.setUint16(at + 4, hex[(a >>> 8) & 0xff]!, true);
  target.setUint16(at + 6, hex[a & 0xff]!, true);
  target.setUint8(at + 8, DASH);
  target.setUint16(at + 9, hex[b >>> 24]!, true);
  target.setUint16(at + 11, hex[(b >>> 16) & 0xff]!, true);
  target.setUint8(at + 13, DASH);
  target.setUint8(at + 14, 0x34); // '4'
  target.setUint8(at + 15, hex[(b >>> 8) & 0x0f]! >>> 8);
  target.setUint16(at + 16, hex[b & 0xff]!, true);
  target.setUint8(at + 18, DASH);
  target.setUint16(at + 19, hex[((c >>> 24) & 0x3f) | 0x80]!, true);
  target.setUint16(at + 21, hex[(c >>> 16) & 0xff]!, true);
  target.setUint8(at + 23, DASH);
  target.setUint16(at + 24, hex[(c >>> 8) & 0xff]!, true);
  target.setUint16(at + 26, hex[c & 0xff]!, true);
  target.setUint16(at + 28, hex[d >>> 24]!, true);
  target.setUint16(at + 30, hex[(d >>> 16) & 0xff]!, true);
  target.setUint16(at + 32, hex[(d >>> 8) & 0xff]!, true);
  target.setUint16(at + 34, hex[d & 0xff]!, true);
}
