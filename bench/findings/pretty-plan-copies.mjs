// Finding (issue 24, round five): the pretty line as a plan of copies done in
// WebAssembly (constant pieces and frame spans copied with 16-byte loads and
// stores by one call) against the line as a string (pieces joined, encoded
// every 16K characters, as tail does now), for a synthetic 10-piece line of
// the bench's events. The dynamic piece (a highlight such as ` list_dir 12.5ms`)
// is where the plan wins or loses:
//   bytes    JavaScript writes it into the module's memory byte by byte
//   native   one Buffer#utf8Write of it into the module's memory per line
//   batched  the lines' dynamic pieces joined into one string, written once per
//            200 lines as UTF-16 and narrowed to bytes by the module (ASCII only here)
//   none     no dynamic piece at all (the floor)
//
//   node bench/findings/pretty-plan-copies.mjs [bytes|native|batched|none]
import { makeSerializedPool } from '../lib/events.js';

const mode = process.argv[2] ?? 'batched';
const wabt = await (await import('wabt')).default();
const wat = `(module (memory (export "memory") 8)
 (func (export "emit") (param $plan i32) (param $n i32) (param $out i32) (result i32)
  (local $src i32) (local $len i32) (local $i i32)
  (block $done (loop $next
   (br_if $done (i32.eqz (local.get $n)))
   (local.set $src (i32.load (local.get $plan)))
   (local.set $len (i32.load offset=4 (local.get $plan)))
   (local.set $i (i32.const 0))
   (if (i32.lt_s (local.get $len) (i32.const 0)) (then
     (local.set $len (i32.and (local.get $len) (i32.const 0x7fffffff)))
     (loop $u
       (v128.store (i32.add (local.get $out) (local.get $i))
         (i8x16.narrow_i16x8_u (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1))))
                               (v128.load (i32.add (local.get $src) (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 16))))))
       (local.set $i (i32.add (local.get $i) (i32.const 16)))
       (br_if $u (i32.lt_u (local.get $i) (local.get $len)))))
   (else
     (loop $chunk
       (v128.store (i32.add (local.get $out) (local.get $i)) (v128.load (i32.add (local.get $src) (local.get $i))))
       (local.set $i (i32.add (local.get $i) (i32.const 16)))
       (br_if $chunk (i32.lt_u (local.get $i) (local.get $len))))))
   (local.set $out (i32.add (local.get $out) (local.get $len)))
   (local.set $plan (i32.add (local.get $plan) (i32.const 8)))
   (local.set $n (i32.sub (local.get $n) (i32.const 1)))
   (br $next)))
  (local.get $out)))`;
const parsed = wabt.parseWat('plan.wat', wat, { simd: true });
const { memory, emit } = new WebAssembly.Instance(new WebAssembly.Module(parsed.toBinary({}).buffer)).exports;
const u8 = new Uint8Array(memory.buffer);
const i32 = new Int32Array(memory.buffer);
const mem = Buffer.from(memory.buffer);
const CONST = 8192, MS_AT = 20000, NL = 50000, DYN = 100000, DATA = 200000, OUT = 262144, PLAN = 420000;
const pool = makeSerializedPool(200);
const read = Buffer.concat(pool);
u8.set(read, DATA);
const text = read.toString('latin1');
const offsets = [];
for (let at = 0, k = 0; k < pool.length; at += pool[k].length, k++) offsets.push(at);
const consts = ['21:09:38.', ' ', ' ToolInvocationRequested filesystem', ' correlation_id=', ' arguments='];
const constAt = [];
for (let c = CONST, k = 0; k < consts.length; c += consts[k].length, k++) {
  constAt.push(c);
  mem.write(consts[k], c, 'latin1');
}
const MILLIS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
for (let k = 0; k < 1000; k++) mem.write(MILLIS[k], MS_AT + k * 3, 'latin1');
u8[NL] = 10;
const N = 200000;

function stringRoute() {
  let joined = '';
  let used = 0;
  const batch = Buffer.allocUnsafe(65536);
  for (let k = 0; k < N; k++) {
    const f = offsets[k % 200];
    const highlight = ' list_dir ' + (k % 97) + '.5ms';
    const line = consts[0] + MILLIS[k % 1000] + consts[1] + consts[2] + highlight + consts[3] + text.slice(f + 20, f + 24) + consts[4] + text.slice(f + 100, f + 140);
    joined += `${line}\n`;
    if (joined.length >= 16384) {
      if (used + joined.length * 3 > 65536) used = 0;
      used += batch.write(joined, used);
      joined = '';
    }
  }
}

function planRoute() {
  let out = OUT;
  let dyn = '';
  let lines = 0;
  let p = PLAN >> 2;
  let d = DYN;
  for (let k = 0; k < N; k++) {
    const f = DATA + offsets[k % 200];
    const highlight = ' list_dir ' + (k % 97) + '.5ms';
    let hAt = d;
    let hLength = highlight.length;
    if (mode === 'bytes') for (let i = 0; i < highlight.length; i++) u8[d++] = highlight.charCodeAt(i);
    else if (mode === 'native') d += hLength = mem.utf8Write(highlight, d);
    else if (mode === 'batched') {
      hAt = DYN + dyn.length * 2;
      hLength |= 0x80000000;
      dyn += highlight;
    } else hLength = 0;
    i32[p++] = constAt[0]; i32[p++] = 9;
    i32[p++] = MS_AT + (k % 1000) * 3; i32[p++] = 3;
    i32[p++] = constAt[1]; i32[p++] = 1;
    i32[p++] = constAt[2]; i32[p++] = 35;
    i32[p++] = hAt; i32[p++] = hLength;
    i32[p++] = constAt[3]; i32[p++] = 16;
    i32[p++] = f + 20; i32[p++] = 4;
    i32[p++] = constAt[4]; i32[p++] = 11;
    i32[p++] = f + 100; i32[p++] = 40;
    i32[p++] = NL; i32[p++] = 1;
    if (++lines === 200) {
      if (mode === 'batched') mem.ucs2Write(dyn, DYN);
      out = emit(PLAN, lines * 10, out);
      if (out > OUT + 40000) {
        Buffer.from(u8.subarray(OUT, out));
        out = OUT;
      }
      dyn = '';
      lines = 0;
      p = PLAN >> 2;
      d = DYN;
    }
  }
}

for (let round = 0; round < 8; round++) {
  let t = process.cpuUsage();
  stringRoute();
  const a = process.cpuUsage(t);
  t = process.cpuUsage();
  planRoute();
  const b = process.cpuUsage(t);
  console.log(`string ${(((a.user + a.system) * 1000) / N).toFixed(0)} ns/line; plan (${mode}) ${(((b.user + b.system) * 1000) / N).toFixed(0)} ns/line`);
}
