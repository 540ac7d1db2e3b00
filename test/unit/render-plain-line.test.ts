import { describe, expect, it } from 'vitest';
import { createColorScheme } from '../../src/io/color.js';
import { EMITTED_TYPES } from '../../src/protocol/catalog.js';
import { createMemberSpans, scanPlainEvent, type MemberSpans, type PlainEventScan } from '../../src/protocol/plain-event.js';
import { createPlainFrameScanner } from '../../src/protocol/plain-scan-wasm.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import { formatEventLine, formatHead, formatHighlights, type LineContext } from '../../src/render/line.js';
import { formatPlainLine } from '../../src/render/plain-line.js';
import { VIEW_KEYS } from '../../src/render/plain-shape.js';
import { HEAD_SLOTS, numberOf } from '../../src/render/plain-head.js';
import { serverIdentityFieldOf } from '../../src/protocol/server-identity.js';
import { createFleetSimulator } from '../../src/sources/fleet/simulator.js';
import { createMaxRateGenerator } from '../../src/sources/fleet/max-rate.js';
import { sampleEventsOf } from '../helpers/catalog-samples.js';

/**
 * The pretty line read from a frame's bytes (render/plain-line.ts) is the
 * full path's line (formatEventLine of JSON.parse) byte for byte, whatever
 * the frame holds and whatever the line's settings; what it cannot do it
 * leaves to the full path (undefined), and then only for unusual frames.
 */

const NOW = 1796115600_000;

/** Every setting the line depends on: colors, time modes, width, --wide, a source label. */
const contexts: Array<[string, LineContext]> = [];
for (const level of [0, 3] as const) {
  for (const time of ['utc', 'local', 'iso', 'relative', 'none'] as const) {
    contexts.push([`color ${level}, ${time}, pipe`, { colors: createColorScheme(level), time, nowMs: NOW, arrivalMs: () => NOW - 1234, wide: true }]);
  }
  for (const width of [30, 80, 200]) {
    contexts.push([`color ${level}, terminal ${width}`, { colors: createColorScheme(level), time: 'utc', nowMs: NOW, arrivalMs: () => NOW, wide: false, width }]);
  }
  contexts.push([`color ${level}, terminal, no width`, { colors: createColorScheme(level), time: 'local', nowMs: NOW, wide: false }]);
  contexts.push([`color ${level}, source label`, { colors: createColorScheme(level), time: 'utc', nowMs: NOW, wide: true, source: { label: 'host:1\u001b[2J', index: 2 } }]);
}

const members = createMemberSpans();
const scan: PlainEventScan = { idStart: -1, idEnd: -1, members };

/**
 * The WebAssembly scanner's record (a view of its memory; the frame's text is
 * its read's, from MemberSpans.textAt on; the DEL flag is the module's): each
 * frame is scanned inside a read, after other bytes, as the client scans it.
 */
const wasmScanner = createPlainFrameScanner();
const wasmMembers = wasmScanner.createMemberSpans();
const wasmScan: PlainEventScan = { idStart: -1, idEnd: -1, members: wasmMembers };
let readSeed = 5;

interface Compared {
  frames: number;
  plain: number;
  fast: number;
}

/**
 * Compares both paths for one frame in every context (`every`), or in four
 * of them taking turns (many frames: every context still sees hundreds);
 * counts what the scanner and the fast path took.
 */
function compare(frame: Buffer, counts: Compared, every = true, wasm = false): void {
  counts.frames++;
  let record = members;
  if (wasm) {
    // In a read after 0 to 40 other bytes (a DEL among them now and then), followed by more.
    readSeed = (readSeed * 1103515245 + 12345) >>> 0;
    const before = Buffer.alloc(readSeed % 41, readSeed & 1 ? 0x7f : 0x61);
    const read = Buffer.concat([before, frame, Buffer.from('\x81\x7f{"event_type":"Next"}', 'latin1')]);
    frame = read.subarray(before.length, before.length + frame.length);
    if (!wasmScanner.scanView(frame, read, wasmScan)) return;
    record = wasmMembers;
  } else if (!scanPlainEvent(frame, scan)) return;
  counts.plain++;
  const event = JSON.parse(frame.toString('utf8')) as HangarEvent;
  let fastSome = false;
  const n = every ? contexts.length : 4;
  for (let k = 0; k < n; k++) {
    const [name, ctx] = contexts[every ? k : (counts.frames * 4 + k) % contexts.length]!;
    // The scan record is the client's: it must still be this frame's.
    if (record.bytes !== frame) expect.unreachable('the record moved on');
    const fast = formatPlainLine(frame, record, ctx);
    if (fast === undefined) continue;
    fastSome = true;
    const full = formatEventLine(event, ctx);
    if (fast !== full) expect({ frame: frame.toString('utf8'), context: name, fast }).toEqual({ frame: frame.toString('utf8'), context: name, fast: full });
  }
  if (fastSome) counts.fast++;
}

function fleetFrames(seed: number, count: number): Buffer[] {
  const sim = createFleetSimulator({ servers: 6, seed, startMs: 1796115592_000 });
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) frames.push(Buffer.from(JSON.stringify(sim.next())));
  const maxRate = createMaxRateGenerator(createFleetSimulator({ servers: 5, seed, startMs: 0 }), seed);
  for (let i = 0; i < count / 4; i++) frames.push(Buffer.from(JSON.stringify(maxRate.next(1796115592.392 + i / 1e6))));
  return frames;
}

function catalogFrames(): Buffer[] {
  const frames: Buffer[] = [];
  for (const info of EMITTED_TYPES) for (const event of sampleEventsOf(info)) frames.push(Buffer.from(JSON.stringify(event)));
  return frames;
}

/** Frames that test each rule of the fast path, against the full path. */
const hostile: string[] = [
  '{"event_type":"ToolInvocationCompleted","mcp_server_id":"math","tool_name":"add","duration_ms":12.5,"occurred_at":1796115592.392}',
  // control characters, escapes, bidi and invisible characters in every kind of place
  '{"event_type":"Tool\\u001b[31mX","mcp_server_id":"ma\\u202eth","note":"a\\u0007b\\nc\\td","k":"\\u200bzero"}',
  '{"event_type":"X","mcp_server_id":"m","arguments":{"p":"a\\u001b]52;c;QUJD\\u0007"},"identity_context":{"user":"\\u2066x\\u2069"}}',
  '{"event_type":"X","note":"del\u007fhere","mcp_server_id":"s\u007f"}',
  '{"event_type":"X","note":"\\/slash \\"quoted\\" back\\\\slash","q":"say \\"hi\\"","e":"","sp":"two words","eq":"a=b"}',
  // non-ASCII
  '{"event_type":"X","mcp_server_id":"caf\u00e9","tool_name":"\ud83d\ude00","note":"\u2028line"}',
  // duplicate keys at the top and inside
  '{"event_type":"X","a":1,"b":2,"a":3}',
  '{"event_type":"X","mcp_server_id":"one","mcp_server_id":"two"}',
  '{"event_type":"X","arguments":{"a":1,"b":2,"a":3},"z":{"x":{"y":1},"y":{"y":2}}}',
  // digit-led and odd keys
  '{"event_type":"X","10":"ten","2":"two","a":"A"}',
  '{"event_type":"X","arguments":{"b":1,"10":2,"2":3}}',
  '{"event_type":"X","__proto__":{"polluted":true},"constructor":"c","toString":1,"":"empty key"}',
  // numbers: huge, tiny, negative zero, exponents, long integers
  '{"event_type":"X","occurred_at":1e400,"duration_ms":-0,"n":1e21,"m":123456789012345678,"f":0.1000000000000000055,"g":-1.50,"h":1E+2,"i":-0,"j":9007199254740993}',
  '{"event_type":"X","occurred_at":-1e300,"result_size_bytes":1e400,"idle_duration_s":-5,"startup_duration_ms":"slow"}',
  '{"event_type":"X","arguments":{"n":1.0,"m":-0,"big":12345678901234567890,"e":1e2,"ok":[1,2,3]}}',
  // the time from timestamp, or none at all (arrival)
  '{"event_type":"X","timestamp":"2026-11-26T12:00:00.123456"}',
  '{"event_type":"X","timestamp":1796115592}',
  '{"event_type":"X","occurred_at":"yesterday","timestamp":"garbage"}',
  '{"event_type":"X"}',
  // nested values of every shape, whitespace inside, bulky ones short and long
  '{"event_type":"X","arguments":{"path":"/srv/data/1.json","limit":50},"identity_context":null}',
  '{"event_type":"X","arguments":{ "path" : "/srv" },"list":[ 1, 2 ],"empty":{},"none":[]}',
  '{"event_type":"X","arguments":{"a":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","b":[1,{"c":[]}]},"identity_context":["x","y","z","wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww"]}',
  `{"event_type":"X","arguments":{"long":"${'y'.repeat(300)}"},"text":"${'z'.repeat(300)}"}`,
  '{"event_type":"X","correlation_id":"0123456789abcdef","arguments":"as text","identity_context":42}',
  '{"event_type":"X","correlation_id":"short"}',
  // correlation ids around the cut (12 characters shown whole, 13 cut to 8 and `…`), ones that need quotes, empty,
  // with DEL or escapes (then the sanitizer's rules), and another bulky key with a string of 13 characters
  '{"event_type":"X","correlation_id":"c-0123456789"}',
  '{"event_type":"X","correlation_id":"c-01234567890","tool_name":"t"}',
  '{"event_type":"X","correlation_id":"a b=c\\"d\\"e"}',
  '{"event_type":"X","correlation_id":"a b=c"}',
  '{"event_type":"X","correlation_id":""}',
  '{"event_type":"X","correlation_id":"c-\u007f123456789","note":"x"}',
  '{"event_type":"X","correlation_id":"c-\\u001b[2J456789"}',
  '{"event_type":"X","correlation_id":"\\u200bc-1234567890"}',
  '{"event_type":"X","correlation_id":"\\u200bc-12345"}',
  '{"event_type":"X","arguments":"c-01234567890","identity_context":"a b"}',
  '{"event_type":"X","correlation_id":{"nested":"object, not a string, of more than forty characters"}}',
  // the severity's fields, each kind of value
  '{"event_type":"Custom","enforcement":"blocked","severity":"LOW","success":false}',
  '{"event_type":"Custom","enforcement":"none","severity":{"x":1},"failed_count":3,"total":3}',
  '{"event_type":"Custom","failed":2,"total":5,"success":true,"in_rotation":false}',
  '{"event_type":"McpServerStateChanged","mcp_server_id":"m","old_state":"ready","new_state":"DEAD"}',
  '{"event_type":"GroupStateChanged","new_state":null,"old_state":""}',
  '{"event_type":"X","new_state":5,"old_state":{"a":1},"tool_name":["t"],"duration_ms":"12","error_type":"E","consecutive_failures":1,"total_failures":null}',
  '{"event_type":"X","error_message":"only a message","total_failures":7}',
  '{"event_type":"X","provider_id":"","mcp_server_name":"named","mcp_server":"m2"}',
  '{"event_type":"X","mcp_server_id":5,"provider_name":"prov"}',
  // whitespace between tokens, and booleans
  '{ "event_type" : "X" ,\t"mcp_server_id" :\t"m" , "ok" : true , "no" : false , "nothing" : null }',
  `{"event_type":"${'T'.repeat(250)}","mcp_server_id":"${'s'.repeat(250)}"}`,
  // escapes in the highlights of an otherwise clean frame: they are sanitized (formatHighlights' `clean` is off)
  '{"event_type":"ToolInvocationFailed","mcp_server_id":"m","tool_name":"a\\u001b[31mb","error_type":"E\\u202e","error_message":"x\\u200by"}',
  '{"event_type":"McpServerStateChanged","mcp_server_id":"m","old_state":"re\\u0007ady","new_state":"\\u009bdead"}',
  '{"event_type":"ToolInvocationCompleted","mcp_server_id":"m","tool_name":"t\\nx","duration_ms":1.5}',
  // nested objects with more keys than isStringified keeps, a key twice among the first and among the last ones
  `{"event_type":"X","arguments":{${Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`).join(',')}},"b":{"k0":1,${Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`).join(',')}}}`,
  `{"event_type":"X","arguments":[${Array.from({ length: 70 }, (_, i) => `{"a":${i},"b":[{"c":{}}]}`).join(',')}],"c":{"x":{"y":{"z":1,"z":2}}}}`,
  // numbers in the highlights read from their digits, and those that are not
  '{"event_type":"X","duration_ms":0.000123,"result_size_bytes":-0.0,"idle_duration_s":123456789012345,"startup_duration_ms":1234567890123456}',
  '{"event_type":"X","duration_ms":9007199254.740993,"result_size_bytes":0.30000000000000004,"consecutive_failures":-7,"total_failures":1.5e3}',
];

describe('formatPlainLine: the line from the bytes is the full path line', () => {
  it('for the simulated fleet (several seeds, paced and max-rate) in every setting, nearly all on the fast path', () => {
    for (const seed of [1, 2, 7, 42]) {
      const counts: Compared = { frames: 0, plain: 0, fast: 0 };
      for (const frame of fleetFrames(seed, 2000)) compare(frame, counts, false);
      expect(counts.plain).toBe(counts.frames);
      // The fleet's frames are what the fast path is for (a few carry non-ASCII, which it leaves).
      expect(counts.fast / counts.frames).toBeGreaterThan(0.95);
    }
  });

  it('for every emitted type of the catalog, in each of its shapes', () => {
    const counts: Compared = { frames: 0, plain: 0, fast: 0 };
    const frames = catalogFrames();
    for (const frame of frames) compare(frame, counts);
    expect(counts.frames).toBeGreaterThan(200);
    expect(counts.fast).toBe(counts.frames);
  });

  it.each(hostile.map((frame) => [frame]))('for %s', (frame) => {
    const counts: Compared = { frames: 0, plain: 0, fast: 0 };
    compare(Buffer.from(frame), counts);
    expect(counts.plain).toBe(1);
    // What it leaves to the full path: non-ASCII bytes, a key twice at the top, a digit-led top-level key.
    const keys = Object.keys(JSON.parse(frame) as object);
    const left = /[^\x00-\x7f]/.test(frame) || keys.length < members.count || keys.some((key) => /^\d/.test(key));
    expect(counts.fast).toBe(left ? 0 : 1);
  });

  it('leaves to the full path what it cannot write the same way', () => {
    const fastOf = (frame: string) => {
      const bytes = Buffer.from(frame);
      expect(scanPlainEvent(bytes, scan)).toBe(true);
      return formatPlainLine(bytes, members, contexts[0]![1]);
    };
    expect(fastOf('{"event_type":"X","a":1}')).toBeDefined();
    expect(fastOf('{"event_type":"X","a":1,"a":2}')).toBeUndefined();
    expect(fastOf('{"event_type":"X","1":1}')).toBeUndefined();
    expect(fastOf('{"event_type":"X","a":"caf\u00e9"}')).toBeUndefined();
    // A record of another frame (the client scanned on) is not read.
    const other = Buffer.from('{"event_type":"Y"}');
    expect(formatPlainLine(other, members, contexts[0]![1])).toBeUndefined();
    // --fields and --format lines are the full path's.
    expect(formatPlainLine(Buffer.from('{"event_type":"X","a":1}'), rescanned('{"event_type":"X","a":1}'), { ...contexts[0]![1], fields: ['a'] })).toBeUndefined();
  });

  it('for mutated frames: escapes, controls, bidi, invisible and non-ASCII characters, odd numbers and nesting put anywhere', () => {
    const pieces = ['\\u001b', '\\n', '\\"', '\\\\', '\\u202e', '\\u200b', '\\ud83d\\ude00', '\u00e9', '\u007f', '\u2028', ' ', '=', '"', ',"a":1', ',"a":{"b":1,"b":2}', ',"9":1', ':1e400', ':-0', ':[]', ':{}', '{', '}', '1', '.5', 'e5'];
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const base = [...fleetFrames(3, 300), ...catalogFrames(), ...hostile.map((frame) => Buffer.from(frame))];
    const counts: Compared = { frames: 0, plain: 0, fast: 0 };
    for (let round = 0; round < 6000; round++) {
      let text = base[Math.floor(random() * base.length)]!.toString('utf8');
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * text.length);
        text = text.slice(0, at) + pieces[Math.floor(random() * pieces.length)]! + text.slice(at + (random() < 0.5 ? 1 : 0));
      }
      compare(Buffer.from(text), counts, false);
    }
    // Enough of them were still events, and enough of those took the fast path, for the comparison to mean something.
    expect(counts.plain).toBeGreaterThan(1000);
    expect(counts.fast).toBeGreaterThan(500);
  });
});

describe('formatPlainLine with the WebAssembly scanner: the read\'s text, the spans and the DEL flag from the module', () => {
  it('is the full path line for the fleet, the catalog, the hostile frames and mutated ones, each inside a read', () => {
    expect(wasmScanner.kind).toBe('wasm');
    const counts: Compared = { frames: 0, plain: 0, fast: 0 };
    for (const frame of [...fleetFrames(9, 1500), ...catalogFrames()]) compare(frame, counts, false, true);
    for (const frame of hostile) compare(Buffer.from(frame), counts, true, true);
    expect(counts.fast / counts.frames).toBeGreaterThan(0.9);
    // The text came from the read (the frame after other bytes), and a DEL in a string was seen by the module.
    const frame = Buffer.from('{"event_type":"X","note":"a\x7fb","n":1}');
    const read = Buffer.concat([Buffer.from('0123456789'), frame]);
    const payload = read.subarray(10);
    expect(wasmScanner.scanView(payload, read, wasmScan)).toBe(true);
    expect([wasmMembers.textAt, wasmMembers.del, wasmMembers.text?.length]).toEqual([10, true, read.length]);
    expect(formatPlainLine(payload, wasmMembers, contexts[0]![1])).toBe(formatEventLine(JSON.parse(frame.toString()) as HangarEvent, contexts[0]![1]));
    const mutatedCounts: Compared = { frames: 0, plain: 0, fast: 0 };
    const pieces = ['\\u001b', '\\"', '\u007f', ' ', ',"a":1', ',"a":{"b":1,"b":2}', ':-0', ':[]', '{', '}', '1', '.5', 'e5'];
    let seed = 17;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const base = [...fleetFrames(4, 200), ...catalogFrames()];
    for (let round = 0; round < 3000; round++) {
      let text = base[Math.floor(random() * base.length)]!.toString('utf8');
      const at = Math.floor(random() * text.length);
      text = text.slice(0, at) + pieces[Math.floor(random() * pieces.length)]! + text.slice(at + (random() < 0.5 ? 1 : 0));
      compare(Buffer.from(text), mutatedCounts, false, true);
    }
    expect(mutatedCounts.fast).toBeGreaterThan(500);
  });
});

function rescanned(frame: string): MemberSpans {
  const record = createMemberSpans();
  expect(scanPlainEvent(Buffer.from(frame), { idStart: -1, idEnd: -1, members: record })).toBe(true);
  return record;
}

describe('VIEW_KEYS', () => {
  it('holds every field the head and the highlights read (they see nothing else of a fast-path event)', () => {
    const read = new Set<string>();
    for (const info of EMITTED_TYPES) {
      for (const sample of sampleEventsOf(info)) {
        for (const variant of [sample, { ...sample, enforcement: 'blocked' }, { ...sample, severity: 'x', success: true, failed: 1, total: 2, occurred_at: undefined, timestamp: 'x' }]) {
          const event = new Proxy(variant, {
            get(target, key, receiver) {
              if (typeof key === 'string') read.add(key);
              return Reflect.get(target, key, receiver) as unknown;
            },
            has() {
              throw new Error('the head must not ask whether a field is there');
            },
            ownKeys() {
              throw new Error('the head must not list the fields');
            },
          }) as HangarEvent;
          for (const [, ctx] of contexts) {
            formatHead(event, serverIdentityFieldOf(event), ctx);
            formatHighlights(event, ctx.colors);
          }
        }
      }
    }
    const outside = [...read].filter((key) => !VIEW_KEYS.has(key));
    expect(outside).toEqual([]);
    expect(read.has('event_type')).toBe(true);
  });
});

describe('formatPlainLine: shapes, the (type, server) pieces and the time from digits', () => {
  /**
   * Every frame in every context against the full path, with each scanner (the WebAssembly one finds the
   * shapes it was taught by their keys: MemberSpans.shapeId); all of them on the fast path.
   */
  function compareAll(frames: readonly string[]): void {
    for (const wasm of [false, true]) {
      const counts: Compared = { frames: 0, plain: 0, fast: 0 };
      for (const frame of frames) compare(Buffer.from(frame), counts, true, wasm);
      expect(counts.plain).toBe(frames.length);
      expect(counts.fast).toBe(frames.length);
    }
  }

  it('follows a shape that changes mid-stream: same key lengths and first bytes (the same hash), order, one key more or less', () => {
    const body = (keys: readonly string[]) => `{${keys.map((key, i) => `"${key}":${i % 2 === 0 ? `"v${i}"` : String(i * 1.5)}`).join(',')}}`;
    const base = ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a'];
    const variants = [
      base,
      ['event_type', 'occurred_at', 'mcp_server_ix', 'tool_name', 'note', 'abc', 'a'], // no server field any more: '-', and the key in the rest
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_nams', 'note', 'abc', 'a'], // a highlight becomes a plain key
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'notf', 'abc', 'a'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abd', 'a'], // keys under four bytes
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'b'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'a', 'abc'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a', ''],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a', 'duration_ms'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a', 'new_state'], // a field the severity reads
      // keys of 5 to 7 bytes and of 16 to 17 (compared as words, and 8 bytes at a time), each differing in one byte from the next
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a', 'abcdef', 'identity_context', 'identity_context1'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a', 'abcdeg', 'identity_context', 'identity_context1'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a', 'abcdef', 'identity_contexu', 'identity_context1'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a', 'abcdef', 'identity_xontext', 'identity_context1'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a', 'abcdef', 'identity_context', 'identity_contexu1'],
      ['event_type', 'occurred_at', 'mcp_server_id', 'tool_name', 'note', 'abc', 'a', 'abcdef', 'identity_context', 'identity_context2'],
    ];
    const frames: string[] = [];
    for (let round = 0; round < 3; round++) for (const keys of variants) frames.push(body(base), body(keys));
    compareAll(frames);
  });

  it('reads each frame from its own buffer (frames of two socket reads at the same offset)', () => {
    const counts: Compared = { frames: 0, plain: 0, fast: 0 };
    for (let round = 0; round < 3; round++) {
      for (const frame of ['{"event_type":"X","note":"a","mcp_server_id":"m1"}', '{"event_type":"Y","notf":"b","mcp_server_id":"m2"}']) {
        // A Buffer of its own (not a slice of the pool), so each frame is at offset 0 of another ArrayBuffer.
        const bytes = Buffer.from(new TextEncoder().encode(frame).buffer);
        expect(bytes.byteOffset).toBe(0);
        compare(bytes, counts);
      }
    }
    expect(counts.fast).toBe(6);
  });

  it('stays right with more shapes than it keeps', () => {
    const frames: string[] = [];
    for (let round = 0; round < 2; round++) for (let i = 0; i < 300; i++) frames.push(`{"event_type":"T${i % 7}","mcp_server_id":"m","key_${i}":${i},"tool_name":"t"}`);
    compareAll(frames);
  });

  it('takes the shape the WebAssembly scanner found only while it is kept: an id from before the shapes were made again, frames that take turns', () => {
    const counts: Compared = { frames: 0, plain: 0, fast: 0 };
    const ids: number[] = [];
    const x = '{"event_type":"A","mcp_server_id":"m","abcdefgh":1,"note":"x"}';
    const viaWasm = (frame: string): void => {
      compare(Buffer.from(frame), counts, false, true);
      ids.push(wasmMembers.shapeId);
    };
    viaWasm(x);
    viaWasm(x);
    // 300 other shapes (through the JavaScript scanner): the shapes' table starts again, x's shape is made again with a new id.
    // (compared too; a key the keys' table is too crowded for leaves its frame to the full path, so not counted here)
    const others: Compared = { frames: 0, plain: 0, fast: 0 };
    for (let i = 0; i < 300; i++) compare(Buffer.from(`{"event_type":"U${i % 5}","mcp_server_id":"m","k_${i}":"v","note":${i}}`), others, false);
    expect(others.fast).toBeGreaterThan(250);
    viaWasm(x);
    viaWasm(x);
    // Two shapes taking turns, each found by its own id.
    for (let i = 0; i < 40; i++) viaWasm(i % 2 === 0 ? x : x.replace('abcdefgh', 'abcdefgi'));
    expect(counts.fast).toBe(counts.frames);
    // Not known, known, the old id (not taken), the new one (taught again), then each of the two once known.
    expect(ids.slice(0, 4)).toEqual([0, ids[1], ids[1], ids[3]]);
    expect(ids[1]).not.toBe(0);
    expect(ids[3]).not.toBe(ids[1]);
    // The client's record filled by scanPlainEvent itself (a frame ws's receiver read: decodeFrame scans it so) after x was found by its id.
    const y = Buffer.from('{"event_type":"McpServerStarted","mcp_server_id":"m","mode":"subprocess","tools_count":6,"startup_duration_ms":582}');
    expect(wasmMembers.shapeId).not.toBe(0);
    expect(scanPlainEvent(y, { idStart: -1, idEnd: -1, members: wasmMembers })).toBe(true);
    for (const [, ctx] of contexts) expect(formatPlainLine(y, wasmMembers, ctx)).toBe(formatEventLine(JSON.parse(y.toString()) as HangarEvent, ctx));
    const other = ids[7]!;
    expect([other === 0, other === ids[3]]).toEqual([false, false]);
    expect(ids.slice(4)).toEqual([ids[3], 0, ...Array.from({ length: 38 }, (_, i) => (i % 2 === 0 ? ids[3] : other))]);
  });

  it('takes the head entry the WebAssembly scanner found by the pair\'s bytes only while it is kept (MemberSpans.pairId)', () => {
    const counts: Compared = { frames: 0, plain: 0, fast: 0 };
    const x = '{"event_type":"PairX","mcp_server_id":"srv","n":1}';
    // Its shape taught, then its pair, then found.
    for (let i = 0; i < 3; i++) compare(Buffer.from(x), counts, false, true);
    const old = wasmMembers.pairId;
    expect(old).not.toBe(0);
    // More pairs than the ring of entries holds (through the JavaScript scanner): x's id now names no entry, or another's.
    const others: Compared = { frames: 0, plain: 0, fast: 0 };
    for (let i = 0; i < 1100; i++) compare(Buffer.from(`{"event_type":"P${i}","mcp_server_id":"srv","n":1}`), others, false);
    compare(Buffer.from(x), counts, false, true);
    expect(wasmMembers.pairId).toBe(old);
    // Taught again (its entry's id: the same when the entries' table still had it), then found.
    compare(Buffer.from(x), counts, false, true);
    expect(wasmMembers.pairId).not.toBe(0);
    expect(counts.fast).toBe(counts.frames);
    expect(others.fast).toBeGreaterThan(1000);
  });

  it('stays right with more (type, server) pairs than it keeps, pairs that hash alike, short ones, and severities that depend on fields', () => {
    const types = [...EMITTED_TYPES.slice(0, 40).map((info) => info.name), 'TaaaaaaaZ', 'TabaaaaaZ', 'TaaaaabaZ', 'A', 'AB', 'ABC', 'PolicyViolation', 'McpServerStateChanged'];
    const servers = ['mmmmmmmz', 'mnmmmmmz', 'mmmmmnmz', 'm', 'mn', 'mno', 'server-0', 'server-1', 'server-2', 'server-3', 'server-4', 'server-5', 'server-6'];
    expect(types.length * servers.length).toBeGreaterThan(HEAD_SLOTS);
    const frames: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (const type of types) {
        for (const server of servers) {
          frames.push(`{"occurred_at":1796115592.4531293,"mcp_server_id":"${server}","event_type":"${type}"}`);
          frames.push(`{"event_type":"${type}","provider_name":"${server}","new_state":"${round === 0 ? 'dead' : 'ready'}","success":${round === 0}}`);
        }
      }
      // No server at all, an empty one, and one that is not a string: '-' or the next field.
      for (const type of types) frames.push(`{"event_type":"${type}"}`, `{"event_type":"${type}","mcp_server_id":"","provider_id":"p"}`, `{"event_type":"${type}","mcp_server_id":5}`);
    }
    compareAll(frames);
  });

  it('reads the time from the digits of occurred_at only when they give the full path\'s millisecond', () => {
    const times = [
      // The digits alone would be one millisecond off for these (the float is just below or above it).
      '2067.113', // three decimals: the fourth to sixth are 000
      '2067.11300', // and written out
      '1796115592.0009999', // 999
      '8589935884.8129989', // above 4e9 seconds
      '17747384000.152998', // eleven digits
      // and the rest of the edges
      '1796115592.392', '1796115592.3920001', '1796115592.392999', '1796115592.3929991', '1796115592.0001', '1796115592.4531293',
      '0.0005', '0.9995', '0.5', '0', '0.0015', '3999999999.5005', '3999999999.9985', '4000000000.5005', '9999999999.1234',
      '1796115592', '1796115592.5e0', '1.7961155924531293E9', '17961155924531293e-7', '-1796115592.1234', '-0.0005', '-0',
      '1796115592.1234567890123456789', '8.64e12', '8640000000001.5', '1e400', '-1e400',
    ];
    // The test can fail: without the rules, some of these would read another millisecond than the full path.
    const naive = (text: string) => {
      const [whole = '', decimals = ''] = text.split('.');
      return Number(whole) * 1000 + Number(decimals.slice(0, 3).padEnd(3, '0'));
    };
    expect(times.filter((text) => /^\d+\.\d+$/.test(text) && naive(text) !== Math.trunc(Number(text) * 1000))).toHaveLength(5);
    const frames = times.flatMap((text) => [
      `{"event_type":"ToolInvocationCompleted","occurred_at":${text},"mcp_server_id":"m"}`,
      `{"event_type":"X","timestamp":"2026-11-26T12:00:00.5","occurred_at": ${text} ,"mcp_server_id":"m"}`,
    ]);
    compareAll(frames);
  });
});

describe('numberOf: a JSON number from its digits', () => {
  it('is Number() of the text for short decimals, long ones, signs, zeros and exponents', () => {
    const texts = ['0', '-0', '-0.0', '0.5', '1', '12.5', '795.63', '0.000123', '123456789012345', '-123456789012345', '1234567890123456', '12345678901234567',
      '0.1', '0.2', '0.3', '0.30000000000000004', '9007199254740993', '9007199254.740993', '1e3', '1.5E-3', '-2e+2', '4786', '14.29', '100.10', '0.1000000000000000055'];
    let seed = 29;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20000; i++) {
      const digits = 1 + Math.floor(random() * 18);
      let text = '';
      for (let d = 0; d < digits; d++) text += String(Math.floor(random() * 10));
      text = text.replace(/^0+(?=\d)/, '');
      const point = Math.floor(random() * (text.length + 1));
      if (point > 0 && point < text.length) text = `${text.slice(0, point)}.${text.slice(point)}`;
      texts.push(random() < 0.3 ? `-${text}` : text);
    }
    const wrong = texts.filter((text) => !Object.is(numberOf(`x${text}y`, 1, text.length + 1), Number(text)));
    expect(wrong).toEqual([]);
    // The test can fail: the digits divided by a power of ten are not always the number beyond 15 digits.
    const naive = (text: string) => {
      const negative = text.startsWith('-');
      const [whole = '', fraction = ''] = text.replace('-', '').split('.');
      const value = Number(whole + fraction) / 10 ** fraction.length;
      return negative ? -value : value;
    };
    expect(texts.filter((text) => /^-?\d+(\.\d+)?$/.test(text) && !Object.is(naive(text), Number(text))).length).toBeGreaterThan(10);
  });
});
