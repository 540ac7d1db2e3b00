import { RuntimeError } from '../../errors.js';
import { compileTypeFilter, suggestTypes } from '../../filter/type-filter.js';
import { createColorScheme } from '../../io/color.js';
import { resolveColorLevel, type ColorScheme } from '../../io/color-level.js';
import type { IO } from '../../io/io.js';
import { CATALOG_SOURCE, EVENT_CATALOG, EVENT_CATEGORIES, IDENTITY_FIELDS, lookupEventType, type EventTypeInfo } from '../../protocol/catalog.js';
import { severityOfType } from '../../render/event-severity.js';
import { plainTable, plainTableLines } from '../../render/plain-table.js';
import { colorOfSeverity } from '../../render/severity.js';
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
    case 'text': {
      const colors = createColorScheme(resolveColorLevel(io, io.stdout.isTTY, options.color));
      // One exact name asks about that type: its fields with their types and defaults.
      const single = options.patterns.length === 1 && types.length === 1 && types[0]!.name === options.patterns[0];
      text = single ? formatTypeDetail(types[0]!, colors) : formatTypesText(types, colors, options.patterns.length === 0);
      break;
    }
  }
  io.stdout.write(text);
}

/** Catalog entries matching any pattern (all when none), in catalog order. */
export function selectTypes(patterns: readonly string[]): EventTypeInfo[] {
  if (patterns.length === 0) return [...EVENT_CATALOG];
  const filter = compileTypeFilter(patterns, []);
  const found = EVENT_CATALOG.filter((info) => filter.matches(info.name));
  // Exact pre-rename names outside the catalog (ProviderStarted, from --profile legacy) are known aliases too.
  for (const pattern of patterns) {
    const info = lookupEventType(pattern);
    if (info !== undefined && !found.includes(info) && !found.some((f) => f.name === info.name)) found.push(info);
  }
  return found;
}

function noMatchMessage(patterns: readonly string[]): string {
  const quoted = patterns.map((p) => `'${p}'`).join(', ');
  const suggestions = [...new Set(patterns.flatMap((p) => suggestTypes(p)))];
  const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.join(', ')}?` : ' Run `hangar-events types` for the full list.';
  return `no known event type matches ${quoted}.${hint} (tail still accepts types that are not in the catalog.)`;
}

/**
 * The catalog as a JSON array, one object per type: name, category,
 * severity, emitted (and not_emitted_because), alias_of for a deprecated
 * alias, accepts_legacy_provider_id, and fields as {name, type, default?}.
 */
export function formatTypesJson(types: readonly EventTypeInfo[]): string {
  const rows = types.map((t) => ({
    name: t.name,
    category: t.category,
    severity: severityOfType(t.name),
    emitted: t.emitted,
    ...(t.notEmittedBecause !== undefined ? { not_emitted_because: t.notEmittedBecause } : {}),
    ...(t.aliasOf !== undefined ? { alias_of: t.aliasOf } : {}),
    accepts_legacy_provider_id: t.acceptsLegacyProviderId,
    fields: t.fields.map((f) => ({ ...f })),
  }));
  return JSON.stringify(rows, null, 2);
}

/**
 * The catalog for people: one block per category, the types a current
 * gateway emits first, each on one line with its field names; defined types
 * it never emits are marked with the reason; the deprecated `Provider*`
 * aliases close the list in a block of their own.
 */
export function formatTypesText(types: readonly EventTypeInfo[], colors: ColorScheme, everything = false): string {
  const colored = (name: string) => colorOfSeverity(colors, severityOfType(name))(name);
  const note = (t: EventTypeInfo) => (t.emitted ? '' : `  ${colors.warning(`[never emitted: ${t.notEmittedBecause ?? 'not published by a current gateway'}]`)}`);
  const blocks: { heading: string; rows: string[][] }[] = [];
  for (const category of EVENT_CATEGORIES) {
    const inCategory = types.filter((t) => t.category === category && t.aliasOf === undefined);
    if (inCategory.length > 0) blocks.push({ heading: colors.bold(category), rows: inCategory.map((t) => [colored(t.name), `${t.fields.map((f) => f.name).join(', ')}${note(t)}`]) });
  }
  const aliases = types.filter((t) => t.aliasOf !== undefined);
  if (aliases.length > 0) {
    blocks.push({
      heading: `${colors.bold('deprecated aliases')} ${colors.dim('(written only by gateways from before the 2026-04 rename; a current gateway never sends them)')}`,
      rows: aliases.map((t) => [colored(t.name), `${colors.warning('[deprecated]')} now ${t.aliasOf}`]),
    });
  }
  // One table for every block, so the columns line up across categories.
  const table = plainTable({ indent: 2 });
  for (const block of blocks) for (const row of block.rows) table.push(row);
  const lines = plainTableLines(table);
  let out = '';
  let next = 0;
  for (const block of blocks) {
    if (out) out += '\n';
    out += `${block.heading}\n`;
    for (const line of lines.slice(next, next + block.rows.length)) out += `${line}\n`;
    next += block.rows.length;
  }
  const emitted = EVENT_CATALOG.filter((t) => t.emitted).length;
  const defined = EVENT_CATALOG.filter((t) => t.aliasOf === undefined).length;
  if (everything) out += `\n${colors.dim(`${defined} types, ${emitted} emitted by a current gateway; facts from the ${CATALOG_SOURCE.replace(/ \(.*$/, '')}.`)}`;
  out += `\n${colors.dim(`Every event also carries ${IDENTITY_FIELDS.map((f) => f.name).join(', ')}. \`hangar-events types <Name>\` shows a type's fields with their types. Any type can be tailed, known or not.`)}\n`;
  return out;
}

/** One type in full: category, severity, whether it is emitted, every field with its Python type and default. */
export function formatTypeDetail(info: EventTypeInfo, colors: ColorScheme): string {
  const severity = severityOfType(info.name);
  let out = `${colorOfSeverity(colors, severity)(info.name)}  ${colors.dim(`category ${info.category}, severity ${severity}`)}\n`;
  if (info.aliasOf !== undefined) {
    out += `  ${colors.warning(`[deprecated] pre-rename name of ${info.aliasOf}: only gateways from before the 2026-04 rename write it`)}\n`;
  } else if (!info.emitted) {
    out += `  ${colors.warning(`[never emitted: ${info.notEmittedBecause ?? 'not published by a current gateway'}]`)}\n`;
  }
  const identity = IDENTITY_FIELDS.filter((f) => f.name !== 'event_type');
  // One table for both blocks, so the types line up under each other.
  const table = plainTable({ indent: 2 });
  for (const field of info.fields) table.push([field.name, field.default === undefined ? field.type : `${field.type} = ${field.default}`]);
  for (const field of identity) table.push([field.name, colors.dim(field.type)]);
  const lines = plainTableLines(table);
  out += `${colors.bold('fields')}\n`;
  for (const line of lines.slice(0, info.fields.length)) out += `${line}\n`;
  out += `${colors.bold('on every event')}\n`;
  for (const line of lines.slice(info.fields.length)) out += `${line}\n`;
  if (info.acceptsLegacyProviderId && info.aliasOf === undefined) {
    out += `${colors.dim('Payloads from pre-rename producers may carry provider_id instead of mcp_server_id; --server finds both.')}\n`;
  }
  const current = info.aliasOf !== undefined ? lookupEventType(info.aliasOf) : undefined;
  if (current !== undefined) out += `${colors.dim(`See hangar-events types ${current.name} for the current form.`)}\n`;
  return out;
}
