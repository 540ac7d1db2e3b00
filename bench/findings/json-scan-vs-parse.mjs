// Finding (issue 5): can tail's NDJSON path skip JSON.parse? It needs every
// frame validated (one malformed line would stop `jq`) and classified (event
// or control message), plus `event_id` for resume. This compares V8's
// JSON.parse with a hand-written validating scanner that finds the top-level
// `event_type` and `event_id` without building the object (fast path for
// frames without escapes or control characters). CPU time per event, 8 rounds
// interleaved, on the harness's realistic events:
//
//   node bench/findings/json-scan-vs-parse.mjs
//
// Measured 2026-11-27 on the 2-core bench machine: JSON.parse 1.35-1.69 us,
// scanner 0.94-1.33 us per 302-byte event, i.e. under 0.4 us saved of tail's
// ~5-6 us per event. Not worth replacing V8's parser with our own validator,
// so the NDJSON path keeps JSON.parse (it never re-serializes: the frame is
// written as received).
import { makeSerializedPool } from '../lib/events.js';

const SLOW = /[\u0000-\u001f\\]/;
// Returns undefined when invalid or not simple; else {type,id}
function scan(text) {
  if (SLOW.test(text)) return null; // caller falls back to JSON.parse
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  while (c === 32) c = text.charCodeAt(++i);
  if (c !== 123) return undefined;
  const stack = [1];
  let depth = 1;
  i++;
  let expect = 1; // 0 value, 1 key-or-close, 2 comma-or-close, 3 key
  let key = 0;
  let typeS = -1, typeE = -1, idS = -1, idE = -1, hasType = false;
  for (;;) {
    c = text.charCodeAt(i);
    while (c === 32) c = text.charCodeAt(++i);
    if (expect === 0) {
      const k = key; key = 0;
      if (k === 1) hasType = true;
      if (c === 34) {
        const e = text.indexOf('"', i + 1);
        if (e < 0) return undefined;
        if (k === 1) { typeS = i + 1; typeE = e; } else if (k === 2) { idS = i + 1; idE = e; }
        i = e + 1; expect = 2; continue;
      }
      if (k === 1) typeS = -1; else if (k === 2) idS = -1;
      if (c === 123) { stack[depth++] = 1; i++; expect = 1; continue; }
      if (c === 91) {
        stack[depth++] = 2; i++;
        c = text.charCodeAt(i);
        while (c === 32) c = text.charCodeAt(++i);
        if (c === 93) { i++; depth--; expect = 2; continue; }
        expect = 0; continue;
      }
      if (c === 116) { if (!text.startsWith('true', i)) return undefined; i += 4; expect = 2; continue; }
      if (c === 102) { if (!text.startsWith('false', i)) return undefined; i += 5; expect = 2; continue; }
      if (c === 110) { if (!text.startsWith('null', i)) return undefined; i += 4; expect = 2; continue; }
      i = skipNumber(text, i, c);
      if (i < 0) return undefined;
      expect = 2; continue;
    }
    if (expect === 2) {
      if (c === 44) { i++; expect = stack[depth - 1] === 1 ? 3 : 0; continue; }
      if (c === (stack[depth - 1] === 1 ? 125 : 93)) { i++; if (--depth === 0) break; continue; }
      return undefined;
    }
    // key
    if (c === 125 && expect === 1) { i++; if (--depth === 0) break; expect = 2; continue; }
    if (c !== 34) return undefined;
    const e = text.indexOf('"', i + 1);
    if (e < 0) return undefined;
    if (depth === 1) {
      const len = e - i - 1;
      if (len === 10 && text.startsWith('event_type', i + 1)) key = 1;
      else if (len === 8 && text.startsWith('event_id', i + 1)) key = 2;
    }
    i = e + 1;
    c = text.charCodeAt(i);
    while (c === 32) c = text.charCodeAt(++i);
    if (c !== 58) return undefined;
    i++; expect = 0;
  }
  c = text.charCodeAt(i);
  while (c === 32) c = text.charCodeAt(++i);
  if (i !== n) return undefined;
  return { hasType, type: typeS < 0 ? undefined : text.slice(typeS, typeE), id: idS < 0 ? undefined : text.slice(idS, idE) };
}
function skipNumber(text, i, c) {
  if (c === 45) c = text.charCodeAt(++i);
  if (c === 48) c = text.charCodeAt(++i);
  else if (c >= 49 && c <= 57) { do c = text.charCodeAt(++i); while (c >= 48 && c <= 57); }
  else return -1;
  if (c === 46) { c = text.charCodeAt(++i); if (!(c >= 48 && c <= 57)) return -1; do c = text.charCodeAt(++i); while (c >= 48 && c <= 57); }
  if (c === 101 || c === 69) { c = text.charCodeAt(++i); if (c === 43 || c === 45) c = text.charCodeAt(++i); if (!(c >= 48 && c <= 57)) return -1; do c = text.charCodeAt(++i); while (c >= 48 && c <= 57); }
  return i;
}

const pool = makeSerializedPool(4096).map((b) => b.toString());
for (const text of pool) {
  const scanned = scan(text);
  const parsed = JSON.parse(text);
  if (!scanned || scanned.type !== parsed.event_type || scanned.id !== parsed.event_id) throw new Error(`scanner disagrees on ${text}`);
}
const candidates = [
  ['JSON.parse', (t) => JSON.parse(t).event_type.length],
  ['scanner', (t) => scan(t).type.length],
];
const results = {};
for (let round = 0; round < 8; round++) {
  for (const [name, fn] of candidates) {
    let sink = 0;
    const before = process.cpuUsage();
    for (let k = 0; k < 100; k++) for (const text of pool) sink += fn(text);
    const used = process.cpuUsage(before);
    (results[name] ??= []).push((used.user + used.system) / (100 * pool.length));
    if (sink === 0) throw new Error('nothing measured');
  }
}
for (const [name, values] of Object.entries(results)) {
  values.sort((a, b) => a - b);
  console.log(`${name.padEnd(10)} min ${values[0].toFixed(3)} us  median ${values[4].toFixed(3)} us CPU per event`);
}
