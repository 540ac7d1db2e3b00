import type { IO } from './io.js';

// The color decisions that need no chalk (io/color.ts makes the colored schemes):
// a tail whose streams get no color never loads it.

/** `--color` flag values. */
export type ColorMode = 'auto' | 'always' | 'never';

/** 0 = no color, 1 = 16 colors, 2 = 256, 3 = truecolor (chalk's levels). */
export type ColorLevel = 0 | 1 | 2 | 3;

/**
 * The roles renderers color by (io/color.ts makes them with chalk). With level 0 every function is identity, so
 * no renderer branches on whether color is on.
 */
export interface ColorScheme {
  readonly enabled: boolean;
  /** Reverse video (a selected row). */
  inverse(text: string): string;
  failure(text: string): string;
  warning(text: string): string;
  success(text: string): string;
  info(text: string): string;
  neutral(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  key(text: string): string;
  /** A banner that must not be missed (drop warnings). */
  alert(text: string): string;
  /** Security and enforcement events: impossible to miss. */
  security(text: string): string;
  /** Stable color per source label (index into a fixed palette). */
  source(index: number, text: string): string;
}


/**
 * Decides once, at the edge, whether a stream gets color: `--color`/`--no-color`
 * first, then NO_COLOR, then FORCE_COLOR, then whether the stream is a terminal
 * (and TERM is not `dumb`).
 */
export function resolveColorLevel(io: Pick<IO, 'env'>, isTTY: boolean, mode: ColorMode = 'auto'): ColorLevel {
  if (mode === 'never') return 0;
  if (mode === 'always') return forcedLevel(io.env.FORCE_COLOR) || 1;
  const env = io.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined) {
    if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return 0;
    return forcedLevel(env.FORCE_COLOR) || 1;
  }
  if (!isTTY || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  if (env.TERM?.includes('256')) return 2;
  return 1;
}

function forcedLevel(value: string | undefined): ColorLevel {
  const n = Number(value);
  return n === 1 || n === 2 || n === 3 ? n : 0;
}

/**
 * The scheme without color: every role is the text itself, no call into chalk
 * per piece (a pretty line has several; bench/README.md, issue 24), and chalk
 * is not loaded (a tail whose streams get no color starts without it).
 */
export function plainColorScheme(): ColorScheme {
  const same = (t: string): string => t;
  return {
    enabled: false,
    inverse: same,
    failure: same,
    warning: same,
    success: same,
    info: same,
    neutral: same,
    dim: same,
    bold: same,
    key: same,
    alert: same,
    security: same,
    source: (_i, t) => t,
  };
}
