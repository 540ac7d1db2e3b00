const SCALES = [1, 10, 100, 1000];

/**
 * A number with at most `digits` decimals, without trailing zeros: 12.50 -> 12.5, 3.0 -> 3.
 * Exactly what trimming `value.toFixed(digits)` gives. toFixed is a call into
 * the runtime (~2.5% of tail -o pretty's time, for the durations and sizes of
 * every line); for 1 to 3 decimals of a value whose scaled product is under
 * 2^31 the rounding is made here: the product `value * 10^digits` is within
 * 2^-22 of the exact one, so its nearest integer is toFixed's unless its
 * fraction is within 1e-6 of a half (then toFixed decides, ties included).
 */
export function trimFixed(value: number, digits: number): string {
  if (value >= 0 && digits >= 1 && digits <= 3) {
    const scale = SCALES[digits]!;
    const scaled = value * scale;
    if (scaled < 2147483648) {
      const floor = Math.floor(scaled);
      const fraction = scaled - floor;
      if (fraction < 0.499999 || fraction > 0.500001) {
        const n = fraction > 0.5 ? floor + 1 : floor;
        const whole = Math.floor(n / scale);
        let decimals = n - whole * scale;
        if (decimals === 0) return `${whole}`;
        let places = digits;
        while (decimals % 10 === 0) {
          decimals /= 10;
          places--;
        }
        const text = `${decimals}`;
        return `${whole}.${text.length < places ? '0'.repeat(places - text.length) + text : text}`;
      }
    }
  }
  const text = value.toFixed(digits);
  if (text.indexOf('.') < 0) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 0x30) end--;
  if (text.charCodeAt(end - 1) === 0x2e) end--;
  return text.slice(0, end);
}

/** Two digits, zero-padded. */
export function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}
