import { describe, expect, it } from 'vitest';
import { StoreLineAssembler } from '../../src/store/store-lines.js';
import { LineArena, toStoredEvent } from '../../src/store/store-event.js';
import { createRng, hostileString, INVALID_UTF8, type Rng } from '../helpers/hostile-fuzz.js';

/**
 * The store's lines made from a batch's joined pieces (store-lines.ts,
 * StoreLineAssembler: the event_types joined by 0 bytes, the datas likewise,
 * as SQLite's group_concat gives them) against the row path
 * (store-event.ts, toStoredEvent) row by row: a batch is accepted only when
 * every row's line is the row path's, byte for byte, and the WebAssembly
 * assembly (plain-scan.wat's storeLines) and the JavaScript one (runtimes
 * without WebAssembly) give the same answer on every batch, hostile or
 * mutated at random.
 */

const wasm = new StoreLineAssembler();
const js = new StoreLineAssembler({ wasm: false });
const BIG = 1 << 24;

interface Row {
  readonly type: Buffer;
  readonly data: Buffer;
}

const row = (type: string | Buffer, data: string | Buffer): Row => ({ type: Buffer.from(type), data: Buffer.from(data) });

function plainRow(rng: Rng, n: number): Row {
  const fields: Record<string, unknown> = { event_id: `e-${n}`, occurred_at: 1796115592.25 + n, mcp_server_id: rng.pick(['math', 'fetch', 'db']), seq: n };
  if (rng.chance(0.2)) fields['note'] = rng.pick(['héllo "quoted" \\ back', '日本語 🚀', 'tab\tnew\nline', '\u2028']);
  if (rng.chance(0.1)) fields['arguments'] = { path: '/srv/x.json', nested: [1, { k: null }] };
  const body = Object.entries(fields)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ');
  return row(rng.pick(['ToolInvocationCompleted', 'HealthCheckPassed', 'McpServerStateChanged']), `{"_version": 1, ${body}}`);
}

/** Rows the row path reports or re-serialises, and rows in the gateway's shape with odd bytes. */
const HOSTILE: readonly Row[] = [
  row('X', '{broken'),
  row('X', '{"_version": 1, "event_id": "a", "_version": 2}'),
  row('X', '{"_version": 1, "a": 1, "_version": 2}'),
  row('X', '{"_version": 1, "\\u005fversion": 2}'),
  row('X', '{"_version": 1, "k": "_version", "arr": [{"_version": 3}], "x_version": 1, "_version ": 2, "n": {"_version": 7}}'),
  row('X', '{"_version": 1, "event_type": "Forged"}'),
  row('X', '{"_version": 1, "event\\u005ftype": "Forged"}'),
  row('X', '{"_version": 1, "s": "line\nbreak"}'),
  row('X', '{"_version": 1,\n "spaced": true}'),
  row('X', '{"_version": 1, "tab":\t1}'),
  row('Quote"Type', '{"_version": 1, "q": 1}'),
  row('Back\\slash', '{"_version": 1, "q": 2}'),
  row('Ctl\u0001x', '{"_version": 1, "q": 3}'),
  row('Del\u007f', '{"_version": 1, "q": 4}'),
  row('Ünïcødé✓', '{"_version": 1, "q": 5}'),
  row('', '{"_version": 1, "q": 6}'),
  row('\u0001', '{"_version": 1, "q": 7}'),
  row('X', ''),
  row('X', '{"a": 1}'),
  row('X', '{"_version": 12, "q": 8}'),
  row('X', '{"_version": -1, "q": 9}'),
  row('X', '{"_version":1,"q":10}'),
  row('X', '{"_version": 1,  "q": 11}'),
  row('X', '{"_version":   7 ,"q": 12}'),
  row('X', '{"_version": 1.5, "q": 13}'),
  row('X', '{"_version": "1", "q": 14}'),
  row('X', '{"_version":\t1, "q": 15}'),
  row('X', '{"_version": -, "q": 16}'),
  row('X', '{"_version": 1}'),
  row('X', '{"_version": 1, }'),
  row('X', '{"_version": 1, '),
  row('X', '{"_version": 1,'),
  row('X', '{"_version"'),
  row('X', '[1, 2]'),
  row('X', '42'),
  row('X', '{"_version": 1, "x": 1} trailing'),
  row('X', `{"_version": 1, "deep": ${'['.repeat(70)}${']'.repeat(70)}}`),
  row('X', `{"_version": 1, "wide": 1, ${Array.from({ length: 70 }, (_, k) => `"k${k}": ${k}`).join(', ')}, "_version": 9}`),
  row('X', `{"_version": 1, ${Array.from({ length: 70 }, (_, k) => `"k${k}": ${k}`).join(', ')}, "occurred_at": 5}`),
  row('X', '{"_version": 1, "occurred_at": 5, "occurred_at": "late"}'),
  row('X', '{"_version": 1, "occurred_at": "early", "occurred_at": 7}'),
  row('X', '{"_version": 1, "occurred_at":  -3.5e2 , "q": 17}'),
  row('X', Buffer.concat([Buffer.from('{"_version": 1, "s": "'), INVALID_UTF8[0]!, Buffer.from('"}')])),
  row('X', Buffer.concat([Buffer.from('{"_version": 1, "s": "'), INVALID_UTF8[3]!, Buffer.from('"}')])),
  row(Buffer.from([0x58, 0xff]), '{"_version": 1, "q": 18}'),
  // A 0 byte inside a row: as SQLite joins them, one piece too many.
  row('A\u0000B', '{"_version": 1, "q": 19}'),
  row('X', '{"_version": 1, "a": 1}\u0000{"_version": 1, "b": 2}'),
  row('X', '{"_version": 1, "s": "nul\u0000in"}'),
  row('X', '\u0000'),
];

/**
 * What the row path prints for `rows` when each line is the stored text spliced (the lines a batch
 * may hold); undefined when any row is reported or re-serialised, or has a type the assembler leaves
 * to the row path (anything but printable ASCII without a quote or a backslash).
 */
function rowPath(rows: readonly Row[], inline: number, sinceSeconds?: number): string | undefined {
  let out = '';
  for (const { type, data } of rows) {
    if (type.includes(0) || data.includes(0) || type.length + data.length > inline) return undefined;
    if (!type.every((c) => c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c)) return undefined;
    const stored = toStoredEvent(type.toString('utf8'), data.toString('utf8'), { engine: 'sqlite', position: 1 }, new LineArena());
    if (!stored.ok) return undefined;
    const prefix = /^\{"_version": *-?\d+, */.exec(data.toString('latin1'));
    if (prefix === null) return undefined;
    // Not the stored bytes after the prefix (parsed and serialised again, or not UTF-8): no line of a batch.
    const spliced = Buffer.concat([Buffer.from('{"event_type": "'), type, Buffer.from('", '), data.subarray(prefix[0].length)]);
    if (!stored.value.bytes.equals(spliced)) return undefined;
    const occurredAt = stored.value.occurredAt;
    if (sinceSeconds !== undefined && occurredAt !== undefined && occurredAt < sinceSeconds) return undefined;
    out += `${stored.value.raw}\n`;
  }
  return out;
}

function joined(rows: readonly Row[]): [Buffer, Buffer] {
  const sep = Buffer.from([0]);
  return [Buffer.concat(rows.flatMap((r, k) => (k === 0 ? [r.type] : [sep, r.type]))), Buffer.concat(rows.flatMap((r, k) => (k === 0 ? [r.data] : [sep, r.data])))];
}

function assembleBoth(types: Buffer, datas: Buffer, count: number, inline: number, sinceSeconds?: number): string | undefined {
  const a = wasm.assemble(types, datas, count, inline, sinceSeconds);
  const aText = a === undefined ? undefined : Buffer.from(a.lines).toString('latin1');
  const b = js.assemble(types, datas, count, inline, sinceSeconds);
  const bText = b === undefined ? undefined : Buffer.from(b.lines).toString('latin1');
  expect(aText, 'WebAssembly and JavaScript agree').toBe(bText);
  return a === undefined ? undefined : Buffer.from(a.lines).toString('utf8');
}

describe('StoreLineAssembler', () => {
  it('makes the row path\'s lines for plain rows, and declines every hostile row in any place of a batch', () => {
    const rng = createRng(24);
    const plain = Array.from({ length: 40 }, (_, n) => plainRow(rng, n));
    expect(assembleBoth(...joined(plain), plain.length, BIG)).toBe(rowPath(plain, BIG));
    expect(rowPath(plain, BIG)).toBeDefined();
    let accepted = 0;
    for (const hostile of HOSTILE) {
      for (const at of [0, 1, 20, 40]) {
        const rows = [...plain.slice(0, at), hostile, ...plain.slice(at)];
        const expected = rowPath(rows, BIG);
        expect(assembleBoth(...joined(rows), rows.length, BIG), `${JSON.stringify(hostile.type.toString('latin1'))} ${JSON.stringify(hostile.data.toString('latin1'))} at ${at}`).toBe(expected);
        if (expected !== undefined) accepted++;
      }
      // Alone: a batch of one row.
      expect(assembleBoth(...joined([hostile]), 1, BIG)).toBe(rowPath([hostile], BIG));
    }
    // Some are in the gateway's shape after all (prefix variants, a nested or quoted _version): those are lines.
    expect(accepted).toBeGreaterThan(10);
  });

  it('declines a batch whose pieces are one too many or too few (a 0 byte inside a row, a wrong count)', () => {
    const rng = createRng(7);
    const plain = Array.from({ length: 10 }, (_, n) => plainRow(rng, n));
    const [types, datas] = joined(plain);
    expect(assembleBoth(types, datas, 10, BIG)).toBeDefined();
    for (const count of [9, 11, 1]) expect(assembleBoth(types, datas, count, BIG)).toBeUndefined();
    // A row split in two by its 0 byte: one piece too many on its side.
    const [, split] = joined([...plain.slice(0, 3), row('X', '{"_version": 1, "a": 1}\u0000{"_version": 1, "b": 2}'), ...plain.slice(4)]);
    expect(assembleBoth(types, split, 10, BIG)).toBeUndefined();
    const [splitTypes] = joined([...plain.slice(0, 3), row('A\u0000B', ''), ...plain.slice(4)]);
    expect(assembleBoth(splitTypes, datas, 10, BIG)).toBeUndefined();
    // (A piece left out and another split would be as many pieces, shifted: SQLite never leaves one
    // out, sqlite-lines.ts gives no NULL piece; test/integration/store-sqlite-lines.test.ts.)
    expect(assembleBoth(Buffer.alloc(0), Buffer.alloc(0), 1, BIG)).toBeUndefined();
  });

  it('takes a row of exactly `inline` bytes (type and data) and declines one byte more', () => {
    const type = 'X';
    for (const size of [64, 1000, 2000]) {
      const pad = (n: number) => row(type, `{"_version": 1, "pad": "${'z'.repeat(n - 26 - type.length)}"}`);
      const at = pad(size);
      expect(at.type.length + at.data.length).toBe(size);
      expect(assembleBoth(...joined([at]), 1, size)).toBe(rowPath([at], size));
      expect(assembleBoth(...joined([at]), 1, size)).toBeDefined();
      expect(assembleBoth(...joined([pad(size + 1)]), 1, size)).toBeUndefined();
      expect(assembleBoth(...joined([pad(size - 1), pad(size + 1)]), 2, size)).toBeUndefined();
    }
  });

  it('declines a --since batch holding a row before the time, found as the row path finds it', () => {
    const rng = createRng(3);
    const plain = Array.from({ length: 20 }, (_, n) => plainRow(rng, n));
    for (const extra of [...HOSTILE.filter((r) => r.data.includes('occurred_at')), row('X', '{"_version": 1, "occurred_at": 1e400}'), row('X', '{"_version": 1, "occurred_at": 1796115593}')]) {
      const rows = [...plain.slice(0, 5), extra, ...plain.slice(5)];
      for (const since of [0, 100, 1796115592.25, 1796115594.25, 1796115593, 1796115600, Infinity]) {
        expect(assembleBoth(...joined(rows), rows.length, BIG, since), `${extra.data.toString()} since ${since}`).toBe(rowPath(rows, BIG, since));
      }
    }
  });

  it('agrees with the row path on random mutations of a batch (bytes changed, inserted, removed, 0 bytes among them)', () => {
    const rng = createRng(20261207);
    let accepted = 0;
    for (let round = 0; round < 1500; round++) {
      const rows = Array.from({ length: rng.int(1, 8) }, (_, n) => (rng.chance(0.1) ? rng.pick(HOSTILE) : plainRow(rng, n)));
      let [types, datas] = joined(rows);
      const mutate = (b: Buffer): Buffer => {
        const at = rng.int(0, b.length);
        switch (rng.int(0, 3)) {
          case 0:
            return Buffer.concat([b.subarray(0, at), Buffer.from([rng.pick([0, 0x22, 0x5c, 0x2c, 0x7d, 0x20, 0x0a, 0x80, rng.int(0, 255)])]), b.subarray(at + 1)]);
          case 1:
            return Buffer.concat([b.subarray(0, at), Buffer.from(rng.chance(0.5) ? hostileString(rng, 2) : '"_version": 2, '), b.subarray(at)]);
          case 2:
            return Buffer.concat([b.subarray(0, at), b.subarray(at + rng.int(1, 5))]);
          default:
            return b;
        }
      };
      if (rng.chance(0.7)) datas = mutate(datas);
      if (rng.chance(0.3)) types = mutate(types);
      // The rows the mutated pieces stand for, when they are as many as the rows.
      const typePieces = splitZero(types);
      const dataPieces = splitZero(datas);
      const expected = typePieces.length === rows.length && dataPieces.length === rows.length ? rowPath(typePieces.map((t, k) => ({ type: t, data: dataPieces[k]! })), 4096) : undefined;
      const made = assembleBoth(types, datas, rows.length, 4096);
      expect(made, `round ${round}`).toBe(expected);
      if (made !== undefined) accepted++;
    }
    expect(accepted).toBeGreaterThan(300);
  });
});

function splitZero(b: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = b.indexOf(0, at);
    if (end < 0) break;
    pieces.push(b.subarray(at, end));
    at = end + 1;
  }
  pieces.push(b.subarray(at));
  return pieces;
}
