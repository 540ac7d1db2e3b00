import { isUtf8 } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeServerFrame } from '../../src/protocol/decode.js';
import { createMemberSpans, MAX_MEMBERS, MEMBER_INTS, scanPlainEvent, type PlainEventScan } from '../../src/protocol/plain-event.js';
import { createPlainFrameScanner } from '../../src/protocol/plain-scan-wasm.js';
import { toNdjsonLine } from '../../src/tail/sinks/ndjson-sink.js';

/**
 * The scanners held to these tests: scanPlainEvent, and what tail -o ndjson
 * scans frames read in place with (WebAssembly first, scanPlainEvent when it
 * is not sure: protocol/plain-scan-wasm.ts), which sees each frame in a read
 * with other bytes after it, as a socket's chunk holds it.
 */
const wasmScanner = createPlainFrameScanner();
const scanners: Array<[string, (bytes: Buffer, out: PlainEventScan) => boolean]> = [
  ['scanPlainEvent', scanPlainEvent],
  [
    `the in-place scanner (${wasmScanner.kind})`,
    (bytes, out) => {
      const read = Buffer.concat([Buffer.from([0x81, 0x7e]), bytes, Buffer.from('"}]0e1')]);
      return wasmScanner.scan(read.subarray(2, 2 + bytes.length), read, out);
    },
  ],
];
let scanWith: (bytes: Buffer, out: PlainEventScan) => boolean = scanPlainEvent;

const scan = (text: string | Buffer): { plain: boolean; id: string | undefined } => {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const out: PlainEventScan = { idStart: -1, idEnd: -1 };
  const plain = scanWith(bytes, out);
  return { plain, id: plain && out.idStart >= 0 ? bytes.toString('utf8', out.idStart, out.idEnd) : undefined };
};

/** What the full path makes of a frame: an event (its id and NDJSON line) or not. */
function fullPath(bytes: Buffer): { event: boolean; id: unknown; line: string } | undefined {
  const text = bytes.toString('utf8');
  const decoded = decodeServerFrame(text);
  if (!decoded.ok || decoded.value.kind !== 'event') return undefined;
  return { event: true, id: decoded.value.event.event_id, line: toNdjsonLine(text) };
}

const plainFrames = [
  '{"event_type":"ToolInvocationCompleted","event_id":"5b593e80-a1ed-43b4-a6c2-ea68a36a4bd6","occurred_at":1796115592.392,"mcp_server_id":"math","duration_ms":2.004,"identity_context":null}',
  '{"event_type":"X"}',
  '{"event_id":"id-1","event_type":"X","nested":{"event_type":5,"event_id":[1,2,{"a":[]}]},"list":[[],[{}],-0.5e+10,1E-3,0,true,false,null]}',
  '{"event_type": "HealthCheckPassed", "mcp_server_id": "math", "duration_ms": 12.5}',
  '{"event_type":"X","text":"caf\u00e9 \\u00e9 \\"quoted\\" \\\\ \\/ \\b\\f\\n\\r\\t \\ud83d\\ude00 \ud83d\ude00","n":{"k\\u0065y":1}}',
  '{\t"event_type"\t:\t"X"\t}',
  '{"event_type":"A","b":"x\u2028y\u2029z"}',
];

const notPlain: Array<[string, string]> = [
  ['a control frame', '{"type":"ping"}'],
  ['no event_type', '{"event_id":"a"}'],
  ['empty event_type', '{"event_type":""}'],
  ['non-string event_type', '{"event_type":5}'],
  ['duplicate event_type', '{"event_type":"A","event_type":"B"}'],
  ['duplicate event_id', '{"event_type":"A","event_id":"1","event_id":"2"}'],
  ['non-string event_id', '{"event_type":"A","event_id":7}'],
  ['escaped event_id', '{"event_type":"A","event_id":"a\\u0062"}'],
  ['escaped top-level key', '{"event\\u005ftype":"A"}'],
  ['line break between tokens', '{"event_type":"A",\n"b":1}'],
  ['CRLF between tokens', '{"event_type":"A",\r\n"b":1}'],
  ['leading space', ' {"event_type":"A"}'],
  ['trailing space', '{"event_type":"A"} '],
  ['an array', '[{"event_type":"A"}]'],
  ['two objects', '{"event_type":"A"}{"event_type":"B"}'],
  ['deep nesting', `{"event_type":"A","d":${'['.repeat(70)}${']'.repeat(70)}}`],
];

const malformed: Array<[string, string]> = [
  ['truncated', '{"event_type":"A","b":'],
  ['unterminated string', '{"event_type":"A","b":"x}'],
  ['raw control character in a string', '{"event_type":"A","b":"x\u0001y"}'],
  ['raw tab in a string', '{"event_type":"A","b":"x\ty"}'],
  ['bad escape', '{"event_type":"A","b":"\\x"}'],
  ['short unicode escape', '{"event_type":"A","b":"\\u12"}'],
  ['trailing comma', '{"event_type":"A",}'],
  ['missing comma', '{"event_type":"A" "b":1}'],
  ['missing colon', '{"event_type" "A"}'],
  ['single quotes', "{'event_type':'A'}"],
  ['bare word', '{"event_type":"A","b":nope}'],
  ['leading zero', '{"event_type":"A","b":01}'],
  ['lone minus', '{"event_type":"A","b":-}'],
  ['dot without digits', '{"event_type":"A","b":1.}'],
  ['exponent without digits', '{"event_type":"A","b":1e}'],
  ['NaN', '{"event_type":"A","b":NaN}'],
  ['unclosed array', '{"event_type":"A","b":[1,2}'],
  ['mismatched close', '{"event_type":"A","b":[1,2}]}'],
  ['comment', '{"event_type":"A"/*x*/}'],
  ['truncated true', '{"event_type":"A","b":tru}'],
];

/** Frames that are not UTF-8 (JSON text is): the scanner checks the encoding itself when a string holds a byte over 0x7f. */
const notUtf8: Array<[string, Buffer]> = [
  ['a lone continuation byte', Buffer.concat([Buffer.from('{"event_type":"A","b":"x'), Buffer.from([0x80]), Buffer.from('"}')])],
  ['a truncated sequence', Buffer.concat([Buffer.from('{"event_type":"A","b":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')])],
  ['an overlong encoding', Buffer.concat([Buffer.from('{"event_type":"A","b":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
  ['a surrogate encoded in UTF-8', Buffer.concat([Buffer.from('{"event_type":"A","b":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
  ['a byte over 0x7f in a key', Buffer.concat([Buffer.from('{"event_type":"A","'), Buffer.from([0xff]), Buffer.from('":1}')])],
  ['a byte over 0x7f in an event_id', Buffer.concat([Buffer.from('{"event_type":"A","event_id":"'), Buffer.from([0xfe]), Buffer.from('"}')])],
  ['a byte over 0x7f outside strings', Buffer.concat([Buffer.from('{"event_type":"A","b":'), Buffer.from([0xc3, 0xa9]), Buffer.from('}')])],
];

describe.each(scanners)('%s', (_name, scanner) => {
  beforeAll(() => {
    scanWith = scanner;
  });
  afterAll(() => {
    scanWith = scanPlainEvent;
  });

  it.each(plainFrames.map((f) => [f]))('accepts %s, with the id and line of the full path', (frame) => {
    const bytes = Buffer.from(frame);
    const full = fullPath(bytes)!;
    expect(full).toBeDefined();
    const result = scan(bytes);
    expect(result.plain).toBe(true);
    expect(result.id).toBe(typeof full.id === 'string' ? full.id : undefined);
    // Byte for byte what the full path prints.
    expect(full.line).toBe(frame);
  });

  it.each(notPlain)('leaves %s to the full path', (_name, frame) => {
    expect(scan(frame).plain).toBe(false);
  });

  it.each(malformed)('never accepts a malformed frame: %s', (_name, frame) => {
    expect(() => JSON.parse(frame)).toThrow();
    expect(scan(frame).plain).toBe(false);
  });

  it.each(notUtf8)('never accepts a frame that is not UTF-8: %s', (_name, frame) => {
    expect(scan(frame).plain).toBe(false);
  });

  it('never accepts what the full path would not print byte for byte, over every truncation and many byte changes', () => {
    const bytes = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c, 0x20, 0x0a, 0x0d, 0x09, 0x00, 0x30, 0x2d, 0x2e, 0x65, 0x75, 0x74, 0x6e, 0xe2, 0x82, 0xac, 0x80, 0xc3];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    let accepted = 0;
    let checked = 0;
    const check = (frame: Buffer) => {
      checked++;
      const result = scan(frame);
      if (!result.plain) return;
      accepted++;
      expect(isUtf8(frame), frame.toString()).toBe(true);
      const full = fullPath(frame);
      expect(full, frame.toString()).toBeDefined();
      expect(full!.line).toBe(frame.toString('utf8'));
      expect(result.id).toBe(typeof full!.id === 'string' ? full!.id : undefined);
    };
    for (const frame of plainFrames.map((f) => Buffer.from(f))) {
      for (let cut = 0; cut < frame.length; cut++) check(frame.subarray(0, cut));
      for (let round = 0; round < 3000; round++) {
        const copy = Buffer.from(frame);
        const edits = 1 + Math.floor(random() * 3);
        for (let e = 0; e < edits; e++) copy[Math.floor(random() * copy.length)] = bytes[Math.floor(random() * bytes.length)]!;
        check(copy);
      }
    }
    expect(checked).toBeGreaterThan(10_000);
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('scanPlainEvent: member spans', () => {
  /** The members as the scanner records them: key, value text (trimmed of spaces and tabs), escaped strings in it. */
  function membersOf(frame: string): { count: number; members: Array<[string, string, number]> } | undefined {
    const bytes = Buffer.from(frame);
    const out: PlainEventScan = { idStart: -1, idEnd: -1, members: createMemberSpans() };
    if (!scanPlainEvent(bytes, out)) return undefined;
    const spans = out.members!;
    expect(spans.bytes).toBe(bytes);
    const members: Array<[string, string, number]> = [];
    for (let m = 0; m < Math.max(0, spans.count); m++) {
      const at = m * MEMBER_INTS;
      const [ks, ke, vs, ve, escapes] = Array.from(spans.spans.subarray(at, at + MEMBER_INTS));
      members.push([bytes.toString('utf8', ks, ke), bytes.toString('utf8', vs, ve).replace(/^[ \t]+|[ \t]+$/g, ''), escapes!]);
    }
    return { count: spans.count, members };
  }

  it('records every top-level member in order, with its value text and escaped strings', () => {
    for (const frame of plainFrames) {
      const got = membersOf(frame)!;
      // The values, parsed one by one, are the full parse's, in the same order.
      const parsed = JSON.parse(frame) as Record<string, unknown>;
      expect(got.members.map(([key]) => key)).toEqual(Object.keys(parsed));
      for (const [key, text] of got.members) expect(JSON.parse(text)).toEqual(parsed[key]);
    }
    expect(membersOf('{"event_type":"X","a":{"b":[1,"\\n"]},"c":"\\u0041\\"","d":"x"}')!.members).toEqual([
      ['event_type', '"X"', 0],
      ['a', '{"b":[1,"\\n"]}', 1],
      ['c', '"\\u0041\\""', 1],
      ['d', '"x"', 0],
    ]);
    expect(membersOf('{ "event_type" : "X" ,\t"n" :\t-1.5e3 }')!.members).toEqual([
      ['event_type', '"X"', 0],
      ['n', '-1.5e3', 0],
    ]);
  });

  it(`says -1 for more than ${MAX_MEMBERS} members, and records nothing for a frame that is not plain`, () => {
    const many = `{"event_type":"X"${Array.from({ length: MAX_MEMBERS }, (_, i) => `,"k${i}":${i}`).join('')}}`;
    expect(membersOf(many)!.count).toBe(-1);
    const exactly = `{"event_type":"X"${Array.from({ length: MAX_MEMBERS - 1 }, (_, i) => `,"k${i}":${i}`).join('')}}`;
    expect(membersOf(exactly)!.count).toBe(MAX_MEMBERS);
    const out: PlainEventScan = { idStart: -1, idEnd: -1, members: createMemberSpans() };
    expect(scanPlainEvent(Buffer.from('{"event_type":"X"}'), out)).toBe(true);
    expect(scanPlainEvent(Buffer.from('{"event_type":"X","a":}'), out)).toBe(false);
    expect(out.members!.bytes).toBeUndefined();
  });

  it('says whether the frame is ASCII (a string with a byte over 0x7f anywhere, nested or not, makes it not)', () => {
    const asciiOf = (frame: string) => {
      const out: PlainEventScan = { idStart: -1, idEnd: -1, members: createMemberSpans() };
      expect(scanPlainEvent(Buffer.from(frame), out)).toBe(true);
      return out.members!.ascii;
    };
    for (const frame of plainFrames) expect(asciiOf(frame)).toBe(!/[^\x00-\x7f]/.test(frame));
    // Escapes are ASCII; DEL is ASCII.
    expect(asciiOf('{"event_type":"X","a":"b\\u00e9","del":"\u007f"}')).toBe(true);
    expect(asciiOf('{"event_type":"X","a":"caf\u00e9"}')).toBe(false);
    expect(asciiOf('{"event_type":"X","a":{"b":["\u2028"]}}')).toBe(false);
    expect(asciiOf('{"event_type":"X","\u00e9":1}')).toBe(false);
    // The next frame scanned with the same record says it again.
    expect(asciiOf('{"event_type":"X"}')).toBe(true);
  });
});
