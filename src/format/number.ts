/** A number with at most `digits` decimals, without trailing zeros: 12.50 -> 12.5, 3.0 -> 3. */
export function trimFixed(value: number, digits: number): string {
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
