import { RuntimeError } from '../../errors.js';
import { compileTypeFilter, suggestTypes } from '../../filter/type-filter.js';
import { createColorScheme, resolveColorLevel, type ColorScheme } from '../../io/color.js';
import type { IO } from '../../io/io.js';
import { EVENT_CATALOG, EVENT_CATEGORIES, IDENTITY_FIELDS, type EventTypeInfo } from '../../protocol/catalog.js';
import { colorOfSeverity, severityOfType } from '../../render/severity.js';
import type { TypesOptions } from './options.js';

/** Prints the catalog of known event types to stdout. Throws a RuntimeError when patterns match no known type. */
export async function runTypes(options: TypesOptions, io: IO): Promise<void> {
  const types = selectTypes(options.patterns);
  if (types.length === 0) throw new RuntimeError(noMatchMessage(options.patterns));
  let text: string;
  switch (options.output) {
    case 'json':
      text = `${formatTypesJson(types)}\n`;
      break;
    case 'names':
      text = types.map((t) => `${t.name}\n`).join('');
      break;
    case 'text':
      text = formatTypesText(types, createColorScheme(resolveColorLevel(io, io.stdout.isTTY, options.color)));
      break;
  }
  io.stdout.write(text);
}

/** Catalog entries matching any pattern (all when none), in catalog order. */
export function selectTypes(patterns: readonly string[]): EventTypeInfo[] {
  if (patterns.length === 0) return [...EVENT_CATALOG];
  const filter = compileTypeFilter(patterns, []);
  return EVENT_CATALOG.filter((info) => filter.matches(info.name));
}

function noMatchMessage(patterns: readonly string[]): string {
  const quoted = patterns.map((p) => `'${p}'`).join(', ');
  const suggestions = [...new Set(patterns.flatMap((p) => suggestTypes(p)))];
  const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.join(', ')}?` : ' Run `hangar-events types` for the full list.';
  return `no known event type matches ${quoted}.${hint} (tail still accepts types that are not in the catalog.)`;
}

/** The catalog as a JSON array: name, category, fields, description, and alias_of for deprecated aliases. */
export function formatTypesJson(types: readonly EventTypeInfo[]): string {
  const rows = types.map((t) => ({
    name: t.name,
    category: t.category,
    fields: [...t.fields],
    description: t.description,
    ...(t.aliasOf !== undefined ? { alias_of: t.aliasOf } : {}),
  }));
  return JSON.stringify(rows, null, 2);
}

/**
 * The catalog for people: one block per category; per type a line with the
 * name (colored by severity) and its description, then its fields.
 */
export function formatTypesText(types: readonly EventTypeInfo[], colors: ColorScheme): string {
  const width = Math.max(...types.map((t) => t.name.length)) + 2;
  const indent = ' '.repeat(2 + width);
  let out = '';
  for (const category of EVENT_CATEGORIES) {
    const inCategory = types.filter((t) => t.category === category);
    if (inCategory.length === 0) continue;
    if (out) out += '\n';
    out += `${colors.bold(category)}\n`;
    for (const t of inCategory) {
      const name = colorOfSeverity(colors, severityOfType(t.name))(t.name);
      out += `  ${name}${' '.repeat(width - t.name.length)}${t.description}\n`;
      out += `${indent}${colors.key('fields:')} ${t.fields.join(', ')}\n`;
    }
  }
  out += `\n${colors.dim(`Every event also carries ${IDENTITY_FIELDS.join(', ')} (or an ISO timestamp). Any type can be tailed, known or not.`)}\n`;
  return out;
}
