import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EMITTED_TYPES } from '../../src/protocol/catalog.js';
import { createMemberSpans, MAX_MEMBERS, MEMBER_INTS, scanPlainEvent, type MemberSpans, type PlainEventScan } from '../../src/protocol/plain-event.js';
import { createPlainFrameScanner, createWasmPlainScanner } from '../../src/protocol/plain-scan-wasm.js';
import { createFleetSimulator } from '../../src/sources/fleet/simulator.js';
import { createMaxRateGenerator } from '../../src/sources/fleet/max-rate.js';
import { sampleEventsOf } from '../helpers/catalog-samples.js';
import { dataViewOf } from '../../src/render/byte-words.js';
import { keysHash } from '../../src/render/plain-shape.js';
import { exactMs } from '../../src/render/plain-head.js';
import { createRng, deeplyNested, hostileNdjsonLine, INVALID_UTF8, type Rng } from '../helpers/hostile-fuzz.js';

/**
 * The WebAssembly scan (protocol/plain-scan.wat) against the JavaScript one
 * it stands in for: on every frame it says "plain" only when scanPlainEvent
 * does, with the same event_id span, or it is not sure; and the scanner tail
 * uses (WebAssembly, then scanPlainEvent when not sure) answers exactly what
 * scanPlainEvent answers, with the same top-level member spans (count,
 * ascii, and each member's key, value and escapes: tail -o pretty reads its
 * fields from them). Frames sit in a read among others and random bytes, as
 * they do in a socket's chunk: the scan must not read past its frame.
 */

const execFileAsync = promisify(execFile);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasm = createWasmPlainScanner();

function fleetFrames(seed: number, count: number): Buffer[] {
  const sim = createFleetSimulator({ servers: 6, seed, startMs: 1796115592_000 });
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) frames.push(Buffer.from(JSON.stringify(sim.next())));
  const maxRate = createMaxRateGenerator(createFleetSimulator({ servers: 5, seed, startMs: 0 }), seed);
  for (let i = 0; i < count; i++) frames.push(Buffer.from(JSON.stringify(maxRate.next(1796115592.392 + i / 1e6))));
  return frames;
}

function catalogFrames(): Buffer[] {
  const frames: Buffer[] = [];
  for (const info of EMITTED_TYPES) for (const event of sampleEventsOf(info)) frames.push(Buffer.from(JSON.stringify(event)));
  return frames;
}

/** Frames for each rule of the grammar and each case the WebAssembly scan leaves to JavaScript. */
const ruleFrames: Array<string | Buffer> = [
  '{"event_type":"X"}',
  '{"event_type":"X","event_id":"id-1"}',
  '{"event_id":"id-1","event_type":"X","nested":{"event_type":5,"event_id":[1,2,{"a":[]}]},"list":[[],[{}],-0.5e+10,1E-3,0,true,false,null]}',
  '{"event_type": "HealthCheckPassed", "mcp_server_id": "math", "duration_ms": 12.5}',
  '{\t"event_type"\t:\t"X"\t}',
  '{"event_type":"X","text":"caf\u00e9 \\u00e9 \\"quoted\\" \\\\ \\/ \\b\\f\\n\\r\\t \\ud83d\\ude00","n":{"k\\u0065y":1}}',
  '{"event_type":"X","text":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00AfxYz0123456789abcdef0123456789"}',
  '{"event_type":"A","b":"x\u2028y\u2029z"}',
  '{"event_type":"A","s":"0123456789abcdef0123456789abcdef0123456789abcdef"}',
  '{"event_type":"A","s":"0123456789abcde"}',
  '{"event_type":"A","s":"0123456789abcdef"}',
  '{"event_type":"A","s":""}',
  '{}',
  '{"event_type":{}}',
  '{"type":"ping"}',
  '{"event_id":"a"}',
  '{"event_type":""}',
  '{"event_type":5}',
  '{"event_type":"A","event_type":"B"}',
  '{"event_type":"A","event_id":"1","event_id":"2"}',
  '{"event_type":"A","event_id":7}',
  '{"event_type":"A","event_id":"a\\u0062"}',
  '{"event\\u005ftype":"A"}',
  '{"event_typ":"A","event_type_":"B","event_type":"C","Event_type":1,"event_ie":2,"event_idd":3}',
  '{"event_type":"A",\n"b":1}',
  ' {"event_type":"A"}',
  '{"event_type":"A"} ',
  '[{"event_type":"A"}]',
  '{"event_type":"A"}{"event_type":"B"}',
  `{"event_type":"A","d":${'['.repeat(62)}${']'.repeat(62)}}`,
  `{"event_type":"A","d":${'['.repeat(63)}${']'.repeat(63)}}`,
  `{"event_type":"A","d":${'['.repeat(64)}${']'.repeat(64)}}`,
  `{"event_type":"A","d":${'{"a":'.repeat(70)}1${'}'.repeat(70)}}`,
  '{"event_type":"A","b":',
  '{"event_type":"A","b":"x}',
  '{"event_type":"A","b":"x\u0001y"}',
  '{"event_type":"A","b":"x\ty"}',
  '{"event_type":"A","b":"\\x"}',
  '{"event_type":"A","b":"\\u12"}',
  '{"event_type":"A","b":"\\u12G4"}',
  '{"event_type":"A",}',
  '{"event_type":"A" "b":1}',
  '{"event_type" "A"}',
  "{'event_type':'A'}",
  '{"event_type":"A","b":nope}',
  '{"event_type":"A","b":01}',
  '{"event_type":"A","b":-}',
  '{"event_type":"A","b":1.}',
  '{"event_type":"A","b":1e}',
  '{"event_type":"A","b":1e+}',
  '{"event_type":"A","b":-0.0e-0}',
  '{"event_type":"A","b":NaN}',
  '{"event_type":"A","b":[1,2}',
  '{"event_type":"A","b":[1,2}]}',
  '{"event_type":"A","b":[1,]}',
  '{"event_type":"A","b":[,1]}',
  '{"event_type":"A"/*x*/}',
  '{"event_type":"A","b":tru}',
  '{"event_type":"A","b":fals}',
  '{"event_type":"A","b":nul}',
  '{"event_type":"A","b":truex}',
  '{"event_type":"A","b":[true,false,null]}',
  '{"event_type":"A","b":"\u0000"}',
  '{"event_type":"A"\u0000}',
  ...INVALID_UTF8.map((bad) => Buffer.concat([Buffer.from('{"event_type":"A","b":"'), bad, Buffer.from('"}')])),
  deeplyNested(100),
];

/** `frame` in a read: random bytes (or another frame's start) before and after it, as in a socket's chunk. */
function inRead(frame: Buffer, rng: Rng): { read: Buffer; payload: Buffer } {
  const before = Buffer.from(Array.from({ length: rng.int(0, 20) }, () => rng.int(0, 255)));
  const after = rng.chance(0.5) ? Buffer.from(Array.from({ length: rng.int(0, 20) }, () => rng.int(0, 255))) : Buffer.from('"}"]}', 'latin1');
  const read = Buffer.concat([before, frame, after]);
  return { read, payload: read.subarray(before.length, before.length + frame.length) };
}

interface Counts {
  frames: number;
  plain: number;
  decided: number;
}

/** What a record says of the frame it was filled for: the count, ascii and every recorded member's ints (as plain arrays, to compare). */
function spansOf(members: MemberSpans): { count: number; ascii: boolean; spans: number[] } {
  const ints = members.count < 0 ? MAX_MEMBERS * MEMBER_INTS : members.count * MEMBER_INTS;
  return { count: members.count, ascii: members.ascii, spans: Array.from(members.spans.subarray(0, ints)) };
}

/** The WebAssembly scanner's own record (a view of its memory) and one it copies into. */
const ownMembers = wasm!.createMemberSpans();
const copiedMembers = createMemberSpans();

/**
 * Holds the WebAssembly scan to scanPlainEvent on one frame: its answer, the
 * event_id's span and, with a record, the member spans (in its own record
 * and copied into another).
 */
function compare(frame: Buffer, rng: Rng, counts: Counts): void {
  const js: PlainEventScan = { idStart: -1, idEnd: -1, members: createMemberSpans() };
  const plain = scanPlainEvent(frame, js);
  const want = { frame: frame.toString('latin1'), plain, id: [js.idStart, js.idEnd], members: plain ? spansOf(js.members!) : undefined };
  const { read, payload } = inRead(frame, rng);
  counts.frames++;
  if (plain) counts.plain++;
  let decidedBy = 0;
  for (const members of [undefined, ownMembers, copiedMembers]) {
    const own: PlainEventScan = { idStart: -1, idEnd: -1, members };
    const decided = wasm!.decide(payload, read, own);
    if (decided) {
      decidedBy++;
      // Spans are compared where the scan decided; the record is one the payload's bytes own.
      const got = { frame: want.frame, plain: decided, id: [own.idStart, own.idEnd], members: members === undefined ? undefined : spansOf(members) };
      if (members !== undefined && members.bytes !== payload) expect({ frame: want.frame, bytes: 'another frame' }).toEqual({ frame: want.frame, bytes: 'this frame' });
      // The frame's text and DEL flag from the module: the read's text from textAt on, and whether the frame holds 0x7f.
      if (members !== undefined) {
        const text = { text: members.text?.slice(members.textAt, members.textAt + payload.length), del: members.del };
        const expected = { text: payload.toString('latin1'), del: payload.includes(0x7f) };
        if (text.text !== expected.text || text.del !== expected.del) expect({ frame: want.frame, ...text }).toEqual({ frame: want.frame, ...expected });
        // The read's DataView: the frame's bytes at their byteOffset in it.
        const view = members.dataView;
        if (view === undefined || view.buffer !== payload.buffer || view.byteOffset !== 0) expect({ frame: want.frame, dataView: 'another buffer' }).toEqual({ frame: want.frame, dataView: 'the frame\'s' });
      }
      // The keys' hash the module made on the way is shapeOf's (render/plain-shape.ts).
      if (members !== undefined && members.count >= 0) {
        const hash = keysHash(dataViewOf(payload), payload.byteOffset, members.spans, members.count);
        if (members.keyHash !== hash) expect({ frame: want.frame, keyHash: members.keyHash }).toEqual({ frame: want.frame, keyHash: hash });
      }
      if (!plain || JSON.stringify(got) !== JSON.stringify({ ...want, members: members === undefined ? undefined : want.members })) {
        expect(got).toEqual({ ...want, members: members === undefined ? undefined : want.members });
      }
    } else if (members !== undefined && members.bytes !== undefined) expect({ frame: want.frame, bytes: 'left set' }).toEqual({ frame: want.frame, bytes: undefined });
  }
  // With or without a record, the module decides the same frames.
  if (decidedBy !== 0 && decidedBy !== 3) expect({ frame: want.frame, decidedBy }).toEqual({ frame: want.frame, decidedBy: 3 });
  if (decidedBy === 3) counts.decided++;
  // scan, and scanView (the payload is a view of the read here), with each kind of record.
  for (const view of [false, true]) {
    for (const members of [undefined, ownMembers, copiedMembers]) {
      const both: PlainEventScan = { idStart: -1, idEnd: -1, members };
      const answer = view ? wasm!.scanView(payload, read, both) : wasm!.scan(payload, read, both);
      const got = { frame: want.frame, plain: answer, id: plain ? [both.idStart, both.idEnd] : want.id, members: plain && members !== undefined ? spansOf(members) : undefined };
      const expected = { ...want, members: plain && members !== undefined ? want.members : undefined };
      if (JSON.stringify(got) !== JSON.stringify(expected)) expect(got).toEqual(expected);
    }
  }
}

/** A copy of `frame` with one to three bytes replaced by JSON's structural bytes, controls and UTF-8 pieces. */
function mutate(frame: Buffer, rng: Rng): Buffer {
  const bytes = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c, 0x20, 0x0a, 0x0d, 0x09, 0x00, 0x30, 0x31, 0x2d, 0x2b, 0x2e, 0x65, 0x45, 0x75, 0x74, 0x66, 0x6e, 0x61, 0xe2, 0x82, 0xac, 0x80, 0xc3, 0xff, 0x7f, 0x1f];
  const copy = Buffer.from(frame);
  const edits = 1 + rng.int(0, 2);
  for (let e = 0; e < edits; e++) copy[rng.int(0, copy.length - 1)] = rng.pick(bytes);
  return copy;
}

describe('the WebAssembly plain-event scan', () => {
  it('is available on this Node (WebAssembly with SIMD)', () => {
    expect(wasm).toBeDefined();
    expect(createPlainFrameScanner().kind).toBe('wasm');
    expect(createPlainFrameScanner({ wasm: false }).kind).toBe('js');
  });

  it('is byte for byte what the generator assembles from plain-scan.wat (npm run gen:plain-scan)', async () => {
    const result = await execFileAsync(process.execPath, [join(repoRoot, 'scripts', 'gen-plain-scan.mjs'), '--check']).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(result).toEqual({ code: 0, stderr: '' });
  });

  it('decides nearly every frame of the simulated fleet and every catalog type itself, as scanPlainEvent does', () => {
    const rng = createRng(24);
    const counts: Counts = { frames: 0, plain: 0, decided: 0 };
    for (const frame of [...fleetFrames(11, 3000), ...catalogFrames()]) compare(frame, rng, counts);
    expect(counts.plain).toBe(counts.frames);
    // The fast path is not silently dead: only frames with a byte over 0x7f (none here) or an escape in the id are left to JavaScript.
    expect(counts.decided).toBe(counts.plain);
  });

  it('reads every frame of a read back to back, and leaves the read as it was', () => {
    const frames = fleetFrames(12, 400);
    const read = Buffer.concat(frames);
    const copy = Buffer.from(read);
    let at = 0;
    let decided = 0;
    const out: PlainEventScan = { idStart: -1, idEnd: -1 };
    const js: PlainEventScan = { idStart: -1, idEnd: -1 };
    for (const frame of frames) {
      const payload = read.subarray(at, at + frame.length);
      at += frame.length;
      // The frame after this one starts where this scan puts its end mark: it must be put back.
      if (wasm!.decide(payload, read, out)) decided++;
      expect(scanPlainEvent(frame, js)).toBe(true);
      expect([out.idStart, out.idEnd]).toEqual([js.idStart, js.idEnd]);
    }
    expect(decided).toBe(frames.length);
    expect(read.equals(copy)).toBe(true);
  });

  it('says plain only when scanPlainEvent does, on each rule, on hostile frames and on every truncation', () => {
    const rng = createRng(2024);
    const counts: Counts = { frames: 0, plain: 0, decided: 0 };
    const frames = [...ruleFrames.map((f) => (typeof f === 'string' ? Buffer.from(f) : f)), ...fleetFrames(13, 40)];
    for (let n = 0; n < 3000; n++) {
      const { text } = hostileNdjsonLine(rng, n);
      frames.push(typeof text === 'string' ? Buffer.from(text) : text);
    }
    for (const frame of frames) {
      compare(frame, rng, counts);
      if (frame.length < 2000) for (let cut = 0; cut < frame.length; cut++) compare(frame.subarray(0, cut), rng, counts);
    }
    expect(counts.frames).toBeGreaterThan(20_000);
    expect(counts.decided).toBeGreaterThan(0);
    expect(counts.plain).toBeGreaterThan(counts.decided);
    // Hundreds of thousands of comparisons: 15-30 s on 2 shared cores at load 9 (main's build too), over the default 20 s.
  }, 90_000);

  it('says plain only when scanPlainEvent does, over many thousands of mutated frames', () => {
    const rng = createRng(77);
    const counts: Counts = { frames: 0, plain: 0, decided: 0 };
    const seeds = [...fleetFrames(14, 60), ...catalogFrames(), ...ruleFrames.slice(0, 12).map((f) => Buffer.from(f))];
    for (const frame of seeds) for (let round = 0; round < 150; round++) compare(mutate(frame, rng), rng, counts);
    expect(counts.frames).toBeGreaterThan(50_000);
    // Mutations keep some frames plain (a changed letter in a string): those the WebAssembly scan decides itself.
    expect(counts.decided).toBeGreaterThan(1000);
    // 50,000 frames compared: 12 s alone, over the default 20 s at load 11 (as the truncation test above).
  }, 90_000);

  it('records the top-level members as scanPlainEvent does: keys, values with their spaces, escapes counted per value, more than 64 as -1', () => {
    const many = `{"event_type":"X",${Array.from({ length: 70 }, (_, k) => `"k${k}":${k}`).join(',')}}`;
    const exactly = `{"event_type":"X",${Array.from({ length: 63 }, (_, k) => `"k${k}":${k}`).join(',')}}`;
    const frames = [
      '{"event_type":"X","a": "x\\ny" ,"b":{"c\\"":["\\u0041","q","\\t"]},"d":[] ,"e":{}\t}',
      '{ "event_type" : "X" , "n" : -1.5e3 }',
      many,
      exactly,
      `{"event_type":"X",${Array.from({ length: 63 }, (_, k) => `"k${k}":${k}`).join(',')},"last":1}`,
    ];
    for (const text of frames) {
      const frame = Buffer.from(text);
      const js: PlainEventScan = { idStart: -1, idEnd: -1, members: createMemberSpans() };
      expect(scanPlainEvent(frame, js)).toBe(true);
      for (const members of [wasm!.createMemberSpans(), createMemberSpans()]) {
        expect(wasm!.decide(frame, frame, { idStart: -1, idEnd: -1, members })).toBe(true);
        expect(members.bytes).toBe(frame);
        expect(spansOf(members)).toEqual(spansOf(js.members!));
      }
    }
    const first = wasm!.createMemberSpans();
    const frame = Buffer.from(frames[0]!);
    expect(wasm!.decide(frame, frame, { idStart: -1, idEnd: -1, members: first })).toBe(true);
    // "a": the value from after the colon to the comma, spaces included, one string with escapes; "b": three (a nested key and two strings).
    expect(Array.from(first.spans.subarray(5, 15))).toEqual([19, 20, 22, 30, 1, 32, 33, 35, 62, 3]);
    expect(wasm!.createMemberSpans()).toBe(first);
    const over = wasm!.createMemberSpans();
    const manyFrame = Buffer.from(many);
    expect(wasm!.decide(manyFrame, manyFrame, { idStart: -1, idEnd: -1, members: over })).toBe(true);
    expect(over.count).toBe(-1);
  });

  it('keeps its own record a view of its memory when the memory grows', () => {
    const scanner = createWasmPlainScanner()!;
    const members = scanner.createMemberSpans();
    const before = members.spans;
    const big = Buffer.from(JSON.stringify({ event_type: 'Big', s: 'x'.repeat(300_000), t: 1 }));
    expect(scanner.decide(big, big, { idStart: -1, idEnd: -1, members })).toBe(true);
    expect(members.spans === before).toBe(false);
    expect(before.length).toBe(0);
    const js: PlainEventScan = { idStart: -1, idEnd: -1, members: createMemberSpans() };
    scanPlainEvent(big, js);
    expect(spansOf(members)).toEqual(spansOf(js.members!));
    expect(big.toString('latin1', members.spans[12]!, members.spans[13]!)).toBe('1');
  });

  it('leaves the store fields to scanPlainEvent', () => {
    const frame = Buffer.from('{"event_type":"X","occurred_at":1.5}');
    expect(wasm!.decide(frame, frame, { idStart: -1, idEnd: -1, atStart: -1, atEnd: -1 })).toBe(false);
    expect(wasm!.decide(frame, frame, { idStart: -1, idEnd: -1, versioned: false })).toBe(false);
    const out: PlainEventScan = { idStart: -1, idEnd: -1, atStart: -1, atEnd: -1 };
    expect(wasm!.scan(frame, frame, out)).toBe(true);
    expect([out.atStart, out.atEnd]).toEqual([32, 35]);
  });

  it('scans a frame that is not a view of the read it is given with scanPlainEvent (scanView: one outside the read)', () => {
    const frame = Buffer.from('{"event_type":"X","event_id":"a"}');
    const other = Buffer.from(frame);
    expect(wasm!.decide(frame, other, { idStart: -1, idEnd: -1 })).toBe(false);
    const before = Buffer.alloc(frame.length + 8);
    const read = before.subarray(4);
    const outside = before.subarray(0, frame.length);
    frame.copy(outside);
    expect(wasm!.decide(outside, read, { idStart: -1, idEnd: -1 }, true)).toBe(false);
    const viewOut: PlainEventScan = { idStart: -1, idEnd: -1 };
    expect(wasm!.scanView(outside, read, viewOut)).toBe(true);
    expect([viewOut.idStart, viewOut.idEnd]).toEqual([30, 31]);
    const out: PlainEventScan = { idStart: -1, idEnd: -1 };
    expect(wasm!.scan(frame, other, out)).toBe(true);
    expect([out.idStart, out.idEnd]).toEqual([30, 31]);
  });

  describe('shapes (tail -o pretty: MemberSpans.shapeId, taught with learnShape)', () => {
    /** The frame's top-level keys, each as its bytes, from a record. */
    const keysOf = (payload: Buffer, members: MemberSpans): string => {
      const keys: string[] = [];
      for (let m = 0; m < members.count; m++) keys.push(payload.toString('latin1', members.spans[m * MEMBER_INTS]!, members.spans[m * MEMBER_INTS + 1]!));
      return JSON.stringify(keys);
    };
    /** Keys of 1 to 20 bytes, and the same with one byte changed at each place (those past the fourth keep the keys' hash). */
    const alike: string[] = [];
    for (let length = 1; length <= 20; length++) {
      const key = 'abcdefghijklmnopqrstu'.slice(0, length);
      alike.push(`{"event_type":"A","${key}":1,"tail_key":2}`);
      for (let at = 0; at < length; at++) alike.push(`{"event_type":"A","${key.slice(0, at)}Z${key.slice(at + 1)}":1,"tail_key":2}`);
      alike.push(`{"event_type":"A","${key}":1,"tail_kez":2}`, `{"event_type":"A","tail_key":2,"${key}":1}`, `{"event_type":"A","${key}":1}`);
    }

    /**
     * Scans each frame (inside a read) and teaches the sequences it does not know yet their own ids;
     * the module must only ever answer a frame's own sequence. Returns how many frames it knew.
     */
    function teachAndCheck(frames: readonly Buffer[], rng: Rng, ids: Map<string, number>, teach: boolean): number {
      const scanner = shapeScanner;
      const members = scanner.createMemberSpans();
      const out: PlainEventScan = { idStart: -1, idEnd: -1, members };
      let known = 0;
      for (const frame of frames) {
        const { read, payload } = inRead(frame, rng);
        if (!scanner.decide(payload, read, out, true) || members.count < 0) {
          expect(members.shapeId).toBe(0);
          continue;
        }
        const keys = keysOf(payload, members);
        const id = ids.get(keys);
        if (members.shapeId !== 0) {
          known++;
          if (members.shapeId !== id) expect({ keys, shapeId: members.shapeId }).toEqual({ keys, shapeId: id });
        } else if (teach) {
          const next = id ?? ids.size + 1;
          ids.set(keys, next);
          members.learnShape!(payload, next, -1, 0, []);
          // Known from now on (until the table starts again).
          expect(scanner.decide(payload, read, out, true)).toBe(true);
          if (members.shapeId !== next) expect({ keys, shapeId: members.shapeId }).toEqual({ keys, shapeId: next });
        }
      }
      return known;
    }
    const shapeScanner = createWasmPlainScanner()!;

    it('answers only the id it was taught for the frame\'s own key sequence: the fleet, the catalog, mutated frames, keys that differ in one byte', () => {
      const rng = createRng(31);
      const ids = new Map<string, number>();
      const alikeFrames = alike.map((text) => Buffer.from(text));
      // A few sequences: all of them kept.
      const few = alikeFrames.filter((_, i) => i % 9 === 0);
      teachAndCheck(few, rng, ids, true);
      expect(teachAndCheck(few, rng, ids, false)).toBe(few.length);
      // Each known once taught (teachAndCheck asks at once); asked again, those still in the table (64 slots, 8 probes
      // per hash, and many of these share a hash; the table starts again when their keys fill it).
      expect(alikeFrames.length).toBeGreaterThan(200);
      teachAndCheck(alikeFrames, rng, ids, true);
      expect(teachAndCheck(alikeFrames, rng, ids, false)).toBeGreaterThan(0);
      // Many more sequences than the table holds: it starts again when full, and still never answers another's id.
      const fleet = [...fleetFrames(5, 1500), ...catalogFrames()];
      const mutated = Array.from({ length: 20000 }, () => mutate(rng.pick(fleet), rng));
      const many = [...fleet, ...mutated, ...alikeFrames];
      teachAndCheck(many, rng, ids, true);
      // (the mutated keys make thousands of sequences: the table starts again many times)
      expect(teachAndCheck(many, rng, ids, true)).toBeGreaterThan(2000);
    });

    it('reads occurred_at of a frame whose shape it knows as exactMs does (MemberSpans.occurredMs), and nothing otherwise', () => {
      const scanner = createWasmPlainScanner()!;
      const members = scanner.createMemberSpans();
      const out: PlainEventScan = { idStart: -1, idEnd: -1, members };
      const rng = createRng(44);
      const values = ['1796115592.392', '1796115592.3925', '1796115592.392000', '1796115592.392999', '1796115592.3920001', '1796115592', '0.0015', '0.5',
        '3999999999.123456', '4000000000.123456', '4294967294.5', '2147483648.25', '2147483647.75', '99999999999.5', '9999999999.1234', '-1.5', '1.5e3', '1.5E-3', '15e2',
        '"1796115592.392"', 'null', 'true', '{"a":1}', '[1.5]', ' 1796115592.3921 ', '\t1796115592.3921\t', '0.001', '0.0009', '1.0009999', '1.999999', '1.000001', '1.9990001'];
      for (let i = 0; i < 3000; i++) {
        const whole = String(rng.int(0, 4_300_000_000));
        const decimals = Array.from({ length: rng.int(0, 9) }, () => (rng.chance(0.3) ? rng.pick(['0', '9']) : String(rng.int(0, 9)))).join('');
        values.push(decimals === '' && rng.chance(0.5) ? whole : `${whole}.${decimals || '0'}`);
      }
      // Taught with occurred_at as member 1; a second shape without a time member; then a shape it does not know.
      const frameOf = (value: string, key = 'occurred_at') => Buffer.from(`{"event_type":"X","${key}":${value.replace(/\\t/g, '\t')},"n":1}`);
      const teach = (frame: Buffer, time: number) => {
        expect(scanner.scan(frame, frame, out)).toBe(true);
        members.learnShape!(frame, 9, time, 0, []);
        expect(scanner.scan(frame, frame, out)).toBe(true);
        expect(members.shapeId).toBe(9);
      };
      teach(frameOf('1.5'), 1);
      let read = 0;
      for (const value of values) {
        const frame = frameOf(value);
        expect(scanner.scan(frame, frame, out)).toBe(true);
        expect(members.shapeId).toBe(9);
        const start = members.spans[1 * MEMBER_INTS + 2]!;
        const end = members.spans[1 * MEMBER_INTS + 3]!;
        const text = frame.toString('latin1');
        let s = start;
        let e = end;
        while (text[s] === ' ' || text[s] === '\t') s++;
        while (text[e - 1] === ' ' || text[e - 1] === '\t') e--;
        const want = exactMs(text, s, e);
        if (members.occurredMs !== want) expect({ value, occurredMs: members.occurredMs }).toEqual({ value, occurredMs: want });
        if (want >= 0) read++;
      }
      expect(read).toBeGreaterThan(1000);
      teach(frameOf('1.5', 'other_time'), -1);
      expect(members.occurredMs).toBe(-2);
      const unknown = Buffer.from('{"event_type":"X","occurred_at":1796115592.392,"m":1}');
      expect(scanner.scan(unknown, unknown, out)).toBe(true);
      expect([members.shapeId, members.occurredMs]).toEqual([0, -2]);
      // scanPlainEvent filling the record: not read.
      const known = frameOf('1796115592.3925');
      expect(scanner.scan(known, known, out)).toBe(true);
      expect(members.occurredMs).toBe(1796115592392);
      expect(scanPlainEvent(known, out)).toBe(true);
      expect(members.occurredMs).toBe(-2);
    });

    it('answers only the (type, server) pair it was taught for the frame\'s own type and server (MemberSpans.pairId): bytes that differ in one place, servers consulted in order, escapes', () => {
      const scanner = createWasmPlainScanner()!;
      const members = scanner.createMemberSpans();
      const out: PlainEventScan = { idStart: -1, idEnd: -1, members };
      const rng = createRng(45);
      const variants = (word: string): string[] => [word, ...Array.from(word, (_, at) => `${word.slice(0, at)}Z${word.slice(at + 1)}`)];
      const types = ['A', 'AB', 'ABC', ...variants('ABCD'), ...variants('ABCDEFGH'), ...variants('ToolInvocationCompleted'), 'T\\u0041'];
      const servers = ['""', '"m"', '"mn"', '"mno"', ...variants('math').map((v) => `"${v}"`), ...variants('filesystem1').map((v) => `"${v}"`), '5', 'null', '"m\\u0041"', ' "spaced" '];
      const frames: Array<{ frame: Buffer; pair: string | undefined }> = [];
      for (const type of types) {
        for (const first of servers) {
          for (const second of ['"p"', '""', '"q\\u0041"']) {
            const frame = Buffer.from(`{"event_type":"${type}","mcp_server_id":${first},"provider_id":${second},"n":1}`);
            // serverIdentityFieldOf's choice: the first server field whose value is a non-empty string; a pair only without escapes in the type and that server.
            const event = JSON.parse(frame.toString()) as Record<string, unknown>;
            const chosen = [first, second].find((raw) => typeof JSON.parse(raw) === 'string' && (JSON.parse(raw) as string).length > 0);
            const pair = type.includes('\\') || chosen?.includes('\\') ? undefined : `${type}|${chosen === undefined ? '' : (event.mcp_server_id === JSON.parse(chosen) ? 'a' : 'b') + JSON.parse(chosen)}`;
            frames.push({ frame, pair });
          }
        }
      }
      // The shape: event_type is member 0, the server fields members 1 and 2, in that order.
      const first = frames[0]!.frame;
      expect(scanner.scan(first, first, out)).toBe(true);
      members.learnShape!(first, 1, -1, 0, [1, 2]);
      const ids = new Map<string, number>();
      let known = 0;
      for (let round = 0; round < 2; round++) {
        for (const { frame, pair } of [...frames].sort(() => rng.int(0, 2) - 1)) {
          const { read, payload } = inRead(frame, rng);
          expect(scanner.decide(payload, read, out, true)).toBe(true);
          expect(members.shapeId).toBe(1);
          const id = pair === undefined ? undefined : ids.get(pair.slice(0, pair.indexOf('|') + 1) + pair.slice(pair.indexOf('|') + 2));
          if (members.pairId !== 0) {
            known++;
            if (pair === undefined || members.pairId !== id) expect({ frame: frame.toString(), pairId: members.pairId }).toEqual({ frame: frame.toString(), pairId: id ?? 0 });
            continue;
          }
          const key = pair === undefined ? undefined : pair.slice(0, pair.indexOf('|') + 1) + pair.slice(pair.indexOf('|') + 2);
          const next = key === undefined ? 999 : (ids.get(key) ?? ids.size + 1);
          if (key !== undefined) ids.set(key, next);
          members.learnPair!(payload, next);
          expect(scanner.decide(payload, read, out, true)).toBe(true);
          expect({ frame: frame.toString(), pairId: members.pairId }).toEqual({ frame: frame.toString(), pairId: key === undefined ? 0 : next });
        }
      }
      expect(known).toBeGreaterThan(frames.length / 4);
      // A frame whose shape it does not know: no pair.
      const other = Buffer.from('{"event_type":"A","mcp_server_id":"m","x":1}');
      expect(scanner.scan(other, other, out)).toBe(true);
      expect([members.shapeId, members.pairId]).toEqual([0, 0]);
    });

    it('learns nothing for a frame it did not scan last, and nothing from a record the JavaScript scanner filled', () => {
      const scanner = createWasmPlainScanner()!;
      const members = scanner.createMemberSpans();
      const out: PlainEventScan = { idStart: -1, idEnd: -1, members };
      const a = Buffer.from('{"event_type":"A","x":1}');
      const b = Buffer.from('{"event_type":"B","y":1}');
      expect(scanner.scan(a, a, out)).toBe(true);
      expect(scanner.scan(b, b, out)).toBe(true);
      members.learnShape!(a, 7, -1, 0, []);
      expect(scanner.scan(a, a, out)).toBe(true);
      expect(members.shapeId).toBe(0);
      members.learnShape!(a, 7, -1, 0, []);
      expect(scanner.scan(b, b, out)).toBe(true);
      expect(members.shapeId).toBe(0);
      expect(scanner.scan(a, a, out)).toBe(true);
      expect(members.shapeId).toBe(7);
      // Not sure in WebAssembly (a byte over 0x7f): scanPlainEvent fills the record, with no shape.
      const c = Buffer.from('{"event_type":"A","x":"\u00e9"}'.replace('\\u00e9', '\u00e9'));
      expect(scanner.scan(c, c, out)).toBe(true);
      expect(members.shapeId).toBe(0);
      members.learnShape!(c, 8, -1, 0, []);
      expect(scanner.scan(a, a, out)).toBe(true);
      expect(members.shapeId).toBe(7);
      expect(createMemberSpans()).toMatchObject({ shapeId: 0, learnShape: undefined });
      // The record filled by scanPlainEvent itself (the client's frames that ws's receiver read): no shape.
      expect(scanner.scan(a, a, out)).toBe(true);
      expect(members.shapeId).toBe(7);
      expect(scanPlainEvent(a, out)).toBe(true);
      expect(members.shapeId).toBe(0);
    });
  });

  it('grows its memory for a large read', () => {
    const big = Buffer.from(JSON.stringify({ event_type: 'Big', event_id: 'b', s: 'x'.repeat(300_000) }));
    const out: PlainEventScan = { idStart: -1, idEnd: -1 };
    expect(wasm!.decide(big, big, out)).toBe(true);
    expect(big.toString('utf8', out.idStart, out.idEnd)).toBe('b');
  });

  describe('runs of frames (tail -o ndjson writes them as lines at once)', () => {
    /** A server frame (unmasked unless `mask`) around `payload`, with a 2-, 4- or 10-byte header. */
    function wsFrame(payload: Buffer, options: { opcode?: number; fin?: boolean; mask?: boolean; longHeader?: boolean } = {}): Buffer {
      const b0 = ((options.fin ?? true) ? 0x80 : 0) | (options.opcode ?? 1);
      const maskBit = options.mask ? 0x80 : 0;
      const key = options.mask ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0);
      let header: Buffer;
      if (options.longHeader || payload.length > 0xffff) {
        header = Buffer.alloc(10);
        header[0] = b0;
        header[1] = maskBit | 127;
        header.writeUInt32BE(payload.length, 6);
      } else if (payload.length < 126) header = Buffer.from([b0, maskBit | payload.length]);
      else header = Buffer.from([b0, maskBit | 126, payload.length >> 8, payload.length & 0xff]);
      return Buffer.concat([header, key, payload]);
    }

    interface Piece {
      readonly bytes: Buffer;
      /** Whether a run takes this frame: a whole, unmasked, final text frame with a short or 16-bit length that the WebAssembly scan decides is plain. */
      readonly takes: boolean;
      readonly payload: Buffer;
    }

    function piece(payload: Buffer, options: Parameters<typeof wsFrame>[1] = {}): Piece {
      const simple = (options.opcode ?? 1) === 1 && (options.fin ?? true) && !options.mask && !options.longHeader && payload.length <= 0xffff;
      const out: PlainEventScan = { idStart: -1, idEnd: -1 };
      return { bytes: wsFrame(payload, options), payload, takes: simple && wasm!.decide(payload, payload, out) };
    }

    /** Takes runs from the start of `read` as the in-place reader offers them, stepping over each frame a run stops at. */
    function readRuns(read: Buffer, pieces: readonly Piece[], maxPayload = 1 << 20) {
      const lines: Buffer[] = [];
      const taken: boolean[] = [];
      let at = 0;
      let index = 0;
      let lastId: string | undefined;
      while (index < pieces.length) {
        const run = wasm!.run(read, at, maxPayload, Number.MAX_SAFE_INTEGER);
        if (run.frames > 0) {
          lines.push(Buffer.from(run.lines));
          if (run.idStart >= 0) lastId = read.toString('utf8', run.idStart, run.idEnd);
          for (let k = 0; k < run.frames; k++) {
            taken.push(true);
            at += pieces[index++]!.bytes.length;
          }
          expect(run.end).toBe(at);
        }
        if (index < pieces.length) {
          taken.push(false);
          at += pieces[index++]!.bytes.length;
        }
      }
      return { lines: Buffer.concat(lines), taken, lastId };
    }

    it('takes every frame it decides is plain, as its line, and stops at each other frame', () => {
      const rng = createRng(31);
      const plain = fleetFrames(15, 200);
      const others: Array<() => Piece> = [
        () => piece(Buffer.from('{"type":"ping"}')),
        () => piece(Buffer.from('{"event_type":"A","s":"caf\\u00e9 caf\u00e9"}')),
        () => piece(Buffer.from('{"event_type":"A","b":01}')),
        () => piece(Buffer.from('are you there'), { opcode: 9 }),
        () => piece(plain[rng.int(0, plain.length - 1)]!, { mask: true }),
        () => piece(plain[rng.int(0, plain.length - 1)]!, { fin: false }),
        () => piece(plain[rng.int(0, plain.length - 1)]!, { opcode: 2 }),
        () => piece(plain[rng.int(0, plain.length - 1)]!, { longHeader: true }),
        () => piece(Buffer.from(JSON.stringify({ event_type: 'Big', event_id: 'big', s: 'x'.repeat(70_000) }))),
        () => piece(Buffer.concat([Buffer.from('{"event_type":"A","s":"'), Buffer.from([0xc3, 0xa9]), Buffer.from('"}')])),
      ];
      const pieces: Piece[] = [];
      for (const frame of plain) {
        pieces.push(piece(frame));
        if (rng.chance(0.1)) pieces.push(rng.pick(others)());
      }
      const read = Buffer.concat(pieces.map((p) => p.bytes));
      const { lines, taken, lastId } = readRuns(read, pieces);
      expect(taken).toEqual(pieces.map((p) => p.takes));
      expect(lines.toString('latin1')).toBe(
        pieces
          .filter((p) => p.takes)
          .map((p) => `${p.payload.toString('latin1')}\n`)
          .join(''),
      );
      expect(taken.filter(Boolean).length).toBeGreaterThan(plain.length * 0.9);
      const lastTaken = pieces.filter((p) => p.takes).at(-1)!;
      expect(lastId).toBe((JSON.parse(lastTaken.payload.toString()) as { event_id: string }).event_id);
    });

    it('takes at most maxFrames frames, none over maxPayload, and no frame the read holds only part of', () => {
      const frames = fleetFrames(16, 10).slice(0, 10);
      const read = Buffer.concat(frames.map((f) => wsFrame(f)));
      expect(wasm!.run(read, 0, 1 << 20, 3).frames).toBe(3);
      expect(wasm!.run(read, 0, 1 << 20, 0).frames).toBe(0);
      const longest = Math.max(...frames.map((f) => f.length));
      const shortFirst = wasm!.run(read, 0, longest - 1, 100);
      expect(shortFirst.frames).toBe(frames.findIndex((f) => f.length === longest));
      const cut = read.subarray(0, read.length - 5);
      const run = wasm!.run(cut, 0, 1 << 20, 100);
      expect(run.frames).toBe(frames.length - 1);
      expect(run.end).toBe(read.length - wsFrame(frames.at(-1)!).length);
      // A header cut short: nothing.
      expect(wasm!.run(Buffer.from([0x81]), 0, 1 << 20, 100).frames).toBe(0);
      expect(wasm!.run(Buffer.from([0x81, 126, 1]), 0, 1 << 20, 100).frames).toBe(0);
    });

    it('stops when its 64 KiB of lines are full, and the next run goes on from there', () => {
      const frame = Buffer.from(JSON.stringify({ event_type: 'X', event_id: 'id', s: 'y'.repeat(1000) }));
      const pieces = Array.from({ length: 200 }, () => piece(frame));
      const read = Buffer.concat(pieces.map((p) => p.bytes));
      // A run's result is reused by the next call: copied here.
      const first = { ...wasm!.run(read, 0, 1 << 20, Number.MAX_SAFE_INTEGER) };
      expect(first.frames).toBe(Math.floor(65536 / (frame.length + 1)));
      expect(first.lines.length).toBe(first.frames * (frame.length + 1));
      const second = { ...wasm!.run(read, first.end, 1 << 20, Number.MAX_SAFE_INTEGER) };
      expect(second.frames).toBe(first.frames);
      expect(second.end).toBe(2 * first.end);
    });
  });
});

