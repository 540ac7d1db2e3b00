import { UsageError } from '../../errors.js';
import { parseChoice } from '../parse.js';
import type { ColorMode } from '../../io/color-level.js';

/** What `hangar-events types` prints. */
export interface TypesOptions {
  /** Type patterns (exact names, globs, gateway segment patterns); empty = every known type. */
  patterns: string[];
  /** `json` = a JSON array for machines, `names` = one name per line, `text` = grouped by category. */
  output: 'text' | 'json' | 'names';
  color: ColorMode;
}

/** Commander's raw values for `types`. */
export interface RawTypesFlags {
  json?: boolean;
  names?: boolean;
  /** `--color <when>`, or false from `--no-color`. */
  color?: string | boolean;
}

/** Turns flags into options; throws a UsageError for contradictory or bad values. */
export function parseTypesOptions(patterns: readonly string[], flags: RawTypesFlags): TypesOptions {
  if (flags.json && flags.names) throw new UsageError('--json and --names cannot be combined: pick one output format');
  const color: ColorMode = flags.color === false ? 'never' : typeof flags.color === 'string' ? parseChoice('--color', flags.color, ['auto', 'always', 'never'] as const) : 'auto';
  const list = patterns.flatMap((p) => p.split(',')).map((p) => p.trim()).filter((p) => p.length > 0);
  return { patterns: list, output: flags.json ? 'json' : flags.names ? 'names' : 'text', color };
}
