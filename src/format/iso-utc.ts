/**
 * A UTC time as a Hangar gateway writes it (Python's `datetime.isoformat()` on
 * an aware UTC datetime): `2026-12-07T01:02:03.456000+00:00`, microseconds
 * always six digits, and no fraction at all when it is zero.
 */
export function formatIsoUtc(ms: number): string {
  const whole = Math.floor(ms / 1000) * 1000;
  const micros = Math.round((ms - whole) * 1000);
  const base = new Date(whole).toISOString().slice(0, 19);
  return micros === 0 ? `${base}+00:00` : `${base}.${String(micros).padStart(6, '0')}+00:00`;
}
