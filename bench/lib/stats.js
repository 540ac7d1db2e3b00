// Small numeric helpers shared by the harness and its workers.

/** The q-quantile (0..1) of a sorted numeric array-like (nearest rank). */
export function quantileSorted(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  const sorted = Float64Array.from(values).sort();
  return quantileSorted(sorted, 0.5);
}

/** Rounds to a few significant digits for tables and JSON. */
export function round(value, digits = 3) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  if (value === 0) return 0;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** Math.max(0, digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

/** 1234567 -> "1.23M", 4321 -> "4.32k". */
export function human(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${round(value / 1e6)}M`;
  if (abs >= 1e4) return `${round(value / 1e3)}k`;
  return String(round(value));
}
