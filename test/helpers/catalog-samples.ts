import type { EventField, EventTypeInfo } from '../../src/protocol/catalog.js';
import type { HangarEvent } from '../../src/protocol/types.js';

/** A plausible value of a Python annotation (`str`, `int | None`, `list[str]`, `dict[str, Any]`, ...). */
function valueOf(field: EventField, optionalAsNone: boolean): unknown {
  const type = field.type;
  if (optionalAsNone && /\|\s*None$/.test(type)) return null;
  const base = type.replace(/\s*\|\s*None$/, '');
  if (base.startsWith('list') || base.startsWith('tuple')) return ['alpha', 'beta'];
  if (base.startsWith('dict')) return { key: 'value', nested: { n: 1 } };
  if (base === 'int') return 3;
  if (base === 'float') return 12.5;
  if (base === 'bool') return true;
  if (base === 'datetime') return '2026-11-26T12:00:00.123456';
  return `${field.name}-value`;
}

/**
 * Events of one catalog type in three shapes: every field with a value, the
 * optional ones (`X | None`) as null, and only the fields without a default
 * (a producer may leave the others out). All carry the identity fields.
 */
export function sampleEventsOf(info: EventTypeInfo, occurredAt = 1795727378.45): HangarEvent[] {
  const identity = { event_id: `id-${info.name}`, occurred_at: occurredAt, produced_by: 'hangar-test' };
  const full: HangarEvent = { event_type: info.name, ...Object.fromEntries(info.fields.map((f) => [f.name, valueOf(f, false)])), ...identity };
  const nones: HangarEvent = { event_type: info.name, ...Object.fromEntries(info.fields.map((f) => [f.name, valueOf(f, true)])), ...identity };
  const minimal: HangarEvent = {
    event_type: info.name,
    ...Object.fromEntries(info.fields.filter((f) => f.default === undefined).map((f) => [f.name, valueOf(f, true)])),
    ...identity,
  };
  return [full, nones, minimal];
}
