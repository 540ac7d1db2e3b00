;; The plain-event scan of protocol/plain-event.ts in WebAssembly, for the
;; frames of one socket read copied once into this module's memory
;; (protocol/plain-scan-wasm.ts). It is the JavaScript scanner's grammar,
;; byte for byte, with string content skipped 16 bytes at a time (SIMD), and
;; it is conservative: it answers 1 (plain: the JavaScript scanner says the
;; same, with the same event_id span) or 0 (not sure: ask the JavaScript
;; scanner, which stays the authority). It answers 0 for every frame the
;; JavaScript scanner rejects, and also for any byte over 0x7f (the UTF-8
;; check stays in JavaScript) and anything odd: whitespace other than spaces
;; and tabs, escapes in a top-level key or the event_id, a duplicate or empty
;; event_type, a duplicate event_id, nesting deeper than 64.
;;
;; Assembled by scripts/gen-plain-scan.mjs (wabt), with the functions of
;; plain-scan-shapes.wat joined in, into plain-scan-bytes.ts;
;; test/unit/protocol-plain-scan-wasm.test.ts checks that the two agree.
;;
;; Memory (exported; the caller grows it to fit a read):
;;   0..7     the result of the last scan: the event_id's content as two i32
;;            (start, end: positions in memory; -1 when there is none)
;;   8..27    the result of the last run (see $run)
;;   28..31   how many top-level members the last scan with spans recorded
;;            (-1: more than 64)
;;   32..35   the hash of their keys that render/plain-shape.ts's shapeOf
;;            makes (count, then per key: hash * 31 + length * 1021 + its
;;            first four bytes, little-endian, those past the key masked off)
;;   36..39   whether the last scan saw a DEL (0x7f; in a string: anywhere else
;;            the frame is not plain)
;;   64..129  the stack of open containers (1 object, 2 array), by depth
;;   1024..   the lines of the last run (64 KiB)
;;   66560..  the member spans of the last scan with spans (64 members of 5
;;            i32: the key's content start and end, the value's start and
;;            end, how many strings with escapes the value holds), as
;;            scanPlainEvent's MemberSpans.spans: positions from the frame's
;;            first byte
;;   40..43   the shape the last scanShaped found for the frame's keys (0: none)
;;   44..51   occurred_at in whole milliseconds as seconds and milliseconds
;;            (i32 each) when scanShaped read it (its shape's time member):
;;            seconds -1 when its digits cannot tell, -2 when not read
;;   52..55   the (type, server) pair of the frame scanShaped found (0: none known)
;;   67840..69887  the shapes' table (see $shapeSlot): 64 slots of 8 i32
;;   69888..84223  the shapes' keys
;;   84224..88319  the pairs' table (see $pairSlot): 128 slots of 8 i32
;;   88320..92415  the pairs' bytes
;;   92416..  the data (the read), followed by at least 16 readable bytes:
;;            a 16-byte load at any position up to the end stays in memory
;;            (for $storeLines: a batch's types, its datas, then the lines
;;            made of them and a record per line, as the caller lays them out)
(module
  (memory (export "memory") 2)

  (global $escape (mut i32) (i32.const 0))
  ;; Strings with escapes skipped so far (wraps harmlessly: only differences are read).
  (global $escapes (mut i32) (i32.const 0))
  ;; Whether a string of this frame held a DEL (0x7f).
  (global $del (mut i32) (i32.const 0))

  ;; Whether the frame in memory[start, end) is a plain event frame (1) or
  ;; not sure (0). memory[end] is set to 0 during the scan (every read stops
  ;; there: a 0 byte is no JSON anywhere) and restored after. With `spans`
  ;; (an address; 0: none) the top-level members are recorded there and their
  ;; count at memory[28] (valid when the answer is 1).
  (func $scanAt (export "scan") (param $start i32) (param $end i32) (param $spans i32) (result i32)
    (local $saved i32) (local $r i32)
    (local.set $saved (i32.load8_u (local.get $end)))
    (i32.store8 (local.get $end) (i32.const 0))
    (local.set $r (call $scanFrame (local.get $start) (local.get $end) (local.get $spans)))
    (i32.store8 (local.get $end) (local.get $saved))
    (local.get $r))

;; The run of WebSocket frames from memory[p] up to `end` that are whole,
  ;; unmasked, final text frames (payload under 64 KiB and at most
  ;; `maxPayload`) holding a plain event frame (1 from $scan): at most
  ;; `maxFrames` of them, as lines (each payload and a line feed) written from
  ;; `out` while they fit before `outEnd`. Stops at the first frame that is
  ;; not such a one (the caller reads it as before). Returns how many it took;
  ;; memory[8..27]: where the run ended (the next frame's header), where the
  ;; lines end, and the last event_id in the run (start, end; -1 when none).
  (func (export "run") (param $p i32) (param $end i32) (param $maxPayload i32) (param $maxFrames i32) (param $out i32) (param $outEnd i32) (result i32)
    (local $n i32) (local $b1 i32) (local $len i32) (local $s i32) (local $e i32)
    (i32.store (i32.const 20) (i32.const -1))
    (i32.store (i32.const 24) (i32.const -1))
    (block $stop
      (loop $frame
        (br_if $stop (i32.ge_u (local.get $n) (local.get $maxFrames)))
        (br_if $stop (i32.lt_s (i32.sub (local.get $end) (local.get $p)) (i32.const 2)))
        ;; FIN, no reserved bits, opcode 1 (text), no mask
        (br_if $stop (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x81)))
        (local.set $b1 (i32.load8_u (i32.add (local.get $p) (i32.const 1))))
        (br_if $stop (i32.ge_u (local.get $b1) (i32.const 127)))
        (local.set $s (i32.add (local.get $p) (i32.const 2)))
        (local.set $len (local.get $b1))
        (if (i32.eq (local.get $b1) (i32.const 126)) (then
          (br_if $stop (i32.lt_s (i32.sub (local.get $end) (local.get $p)) (i32.const 4)))
          (local.set $len (i32.or (i32.shl (i32.load8_u (i32.add (local.get $p) (i32.const 2))) (i32.const 8))
                                  (i32.load8_u (i32.add (local.get $p) (i32.const 3)))))
          (local.set $s (i32.add (local.get $p) (i32.const 4)))))
        (br_if $stop (i32.gt_u (local.get $len) (local.get $maxPayload)))
        (local.set $e (i32.add (local.get $s) (local.get $len)))
        (br_if $stop (i32.gt_u (local.get $e) (local.get $end)))
        (br_if $stop (i32.gt_u (i32.add (i32.add (local.get $out) (local.get $len)) (i32.const 1)) (local.get $outEnd)))
        (br_if $stop (i32.ne (call $scanAt (local.get $s) (local.get $e) (i32.const 0)) (i32.const 1)))
        (if (i32.ge_s (i32.load (i32.const 0)) (i32.const 0)) (then
          (i32.store (i32.const 20) (i32.load (i32.const 0)))
          (i32.store (i32.const 24) (i32.load (i32.const 4)))))
        (memory.copy (local.get $out) (local.get $s) (local.get $len))
        (local.set $out (i32.add (local.get $out) (local.get $len)))
        (i32.store8 (local.get $out) (i32.const 0x0a))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $p (local.get $e))
        (br $frame)))
    (i32.store (i32.const 12) (local.get $p))
    (i32.store (i32.const 16) (local.get $out))
    (local.get $n))

  ;; A batch of the store's rows as their NDJSON lines (store/store-lines.ts):
  ;; the rows' event_types joined by 0 bytes in memory[t, tEnd), their datas
  ;; joined likewise in memory[d, dEnd) (memory[tEnd] and memory[dEnd] are 0,
  ;; followed by 16 readable bytes), `count` rows. Each line is what the row
  ;; path (store/store-event.ts) splices: `{"event_type": "` + the type + `", `
  ;; + the data after its `{"_version": N, ` prefix + a line feed, written from
  ;; `out`; each is scanned as $scan scans a frame, its top-level members
  ;; recorded at `spans`. Returns -1 when the batch is the row path's: `count`
  ;; pieces do not end exactly at tEnd and dEnd (a NULL skipped or a 0 byte
  ;; inside a row), a type that is empty or not printable ASCII without a
  ;; quote or backslash (JSON.stringify would escape it), data without the
  ;; prefix (versionPrefixLength's rule: `{"_version":`, spaces, an optional
  ;; minus, digits, a comma, spaces, then not `}`), a row over `inline` bytes
  ;; (type and data), or a plain line with a top-level `_version` (the row path
  ;; drops it). Otherwise how many lines the scan was not sure of (the caller
  ;; asks scanPlainEvent). Per line, 4 i32 from `records`: where the line ends
  ;; (after its line feed), whether the scan found it plain (1) or was not sure
  ;; (0), and the span of its last top-level occurred_at when that is a number
  ;; (-1, -1 otherwise; valid when plain).
  (func (export "storeLines") (param $t i32) (param $tEnd i32) (param $d i32) (param $dEnd i32) (param $count i32)
        (param $inline i32) (param $out i32) (param $records i32) (param $spans i32) (result i32)
    (local $k i32) (local $last i32) (local $ts i32) (local $c i32) (local $ds i32) (local $p i32) (local $q i32)
    (local $bits i32) (local $len i32) (local $end i32) (local $r i32) (local $unsure i32)
    (local $m i32) (local $n i32) (local $at i32) (local $ks i32) (local $kl i32) (local $vs i32) (local $ve i32)
    (local $atStart i32) (local $atEnd i32)
    (block $fail
      (br_if $fail (i32.le_s (local.get $count) (i32.const 0)))
      (loop $row
        (local.set $last (i32.eq (local.get $k) (i32.sub (local.get $count) (i32.const 1))))
        ;; the type: printable ASCII without a quote or a backslash, up to its 0
        (local.set $ts (local.get $t))
        (block $typeEnd (loop $typeByte
          (local.set $c (i32.load8_u (local.get $t)))
          (br_if $typeEnd (i32.ge_u (i32.sub (local.get $c) (i32.const 0x20)) (i32.const 0x5f)))
          (br_if $typeEnd (i32.or (i32.eq (local.get $c) (i32.const 0x22)) (i32.eq (local.get $c) (i32.const 0x5c))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $typeByte)))
        (br_if $fail (i32.or (i32.ne (local.get $c) (i32.const 0)) (i32.eq (local.get $t) (local.get $ts))))
        ;; the last type ends at tEnd, every other one before it
        (br_if $fail (i32.ne (i32.eq (local.get $t) (local.get $tEnd)) (local.get $last)))
        ;; the data's prefix: {"_version": then spaces, an optional minus, digits, a comma, spaces, then not }
        (local.set $ds (local.get $d))
        (br_if $fail (i64.ne (i64.load (local.get $d)) (i64.const 0x69737265765f227b)))
        (br_if $fail (i32.ne (i32.load offset=8 (local.get $d)) (i32.const 0x3a226e6f)))
        (local.set $p (i32.add (local.get $d) (i32.const 12)))
        (loop $space1 (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x20)) (then
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $space1))))
        (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x2d)) (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))
        (local.set $q (local.get $p))
        (loop $digit (if (i32.lt_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)) (i32.const 10)) (then
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $digit))))
        (br_if $fail (i32.or (i32.eq (local.get $p) (local.get $q)) (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x2c))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (loop $space2 (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x20)) (then
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $space2))))
        (br_if $fail (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x7d)))
        ;; the data's end: its 0, 16 bytes at a time (none of the prefix's loops passes a 0)
        (local.set $q (local.get $p))
        (loop $chunk
          (local.set $bits (i8x16.bitmask (i8x16.eq (v128.load (local.get $q)) (v128.const i32x4 0 0 0 0))))
          (if (i32.eqz (local.get $bits)) (then
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $chunk))))
        (local.set $q (i32.add (local.get $q) (i32.ctz (local.get $bits))))
        (br_if $fail (i32.ne (i32.eq (local.get $q) (local.get $dEnd)) (local.get $last)))
        ;; the row path's size: the type's bytes and the data's
        (br_if $fail (i32.gt_u (i32.add (i32.sub (local.get $t) (local.get $ts)) (i32.sub (local.get $q) (local.get $ds))) (local.get $inline)))
        ;; the line
        (v128.store (local.get $out) (v128.const i8x16 0x7b 0x22 0x65 0x76 0x65 0x6e 0x74 0x5f 0x74 0x79 0x70 0x65 0x22 0x3a 0x20 0x22))
        (local.set $len (i32.sub (local.get $t) (local.get $ts)))
        (memory.copy (i32.add (local.get $out) (i32.const 16)) (local.get $ts) (local.get $len))
        (local.set $end (i32.add (i32.add (local.get $out) (i32.const 16)) (local.get $len)))
        (i32.store16 (local.get $end) (i32.const 0x2c22))
        (i32.store8 offset=2 (local.get $end) (i32.const 0x20))
        (local.set $end (i32.add (local.get $end) (i32.const 3)))
        (local.set $len (i32.sub (local.get $q) (local.get $p)))
        (memory.copy (local.get $end) (local.get $p) (local.get $len))
        (local.set $end (i32.add (local.get $end) (local.get $len)))
        (i32.store8 (local.get $end) (i32.const 0))
        (local.set $r (call $scanFrame (local.get $out) (local.get $end) (local.get $spans)))
        (i32.store8 (local.get $end) (i32.const 0x0a))
        (local.set $atStart (i32.const -1))
        (local.set $atEnd (i32.const -1))
        (if (local.get $r) (then
          (local.set $n (i32.load (i32.const 28)))
          ;; more members than recorded: scanPlainEvent decides
          (if (i32.lt_s (local.get $n) (i32.const 0)) (then (local.set $r (i32.const 0))))
          (local.set $m (i32.const 0))
          (local.set $at (local.get $spans))
          (block $members (loop $member
            (br_if $members (i32.ge_s (local.get $m) (local.get $n)))
            (local.set $ks (i32.add (local.get $out) (i32.load (local.get $at))))
            (local.set $kl (i32.sub (i32.load offset=4 (local.get $at)) (i32.load (local.get $at))))
            ;; another top-level _version: the row path drops it, so the row path makes the line
            (br_if $fail (i32.and (i32.eq (local.get $kl) (i32.const 8)) (i64.eq (i64.load (local.get $ks)) (i64.const 0x6e6f69737265765f))))
            (if (i32.and (i32.eq (local.get $kl) (i32.const 11))
                         (i32.and (i64.eq (i64.load (local.get $ks)) (i64.const 0x646572727563636f))
                                  (i32.eq (i32.and (i32.load offset=8 (local.get $ks)) (i32.const 0xffffff)) (i32.const 0x74615f)))) (then
              ;; occurred_at: the last one counts; a number's span without the spaces and tabs around it
              (local.set $vs (i32.add (local.get $out) (i32.load offset=8 (local.get $at))))
              (local.set $ve (i32.add (local.get $out) (i32.load offset=12 (local.get $at))))
              (loop $lead (local.set $c (i32.load8_u (local.get $vs)))
                (if (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x09))) (then
                  (local.set $vs (i32.add (local.get $vs) (i32.const 1)))
                  (br $lead))))
              (loop $trail (local.set $c (i32.load8_u (i32.sub (local.get $ve) (i32.const 1))))
                (if (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x09))) (then
                  (local.set $ve (i32.sub (local.get $ve) (i32.const 1)))
                  (br $trail))))
              (local.set $c (i32.load8_u (local.get $vs)))
              (if (i32.or (i32.eq (local.get $c) (i32.const 0x2d)) (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))) (then
                (local.set $atStart (local.get $vs))
                (local.set $atEnd (local.get $ve)))
              (else
                (local.set $atStart (i32.const -1))
                (local.set $atEnd (i32.const -1))))))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))
            (local.set $at (i32.add (local.get $at) (i32.const 20)))
            (br $member)))))
        (local.set $end (i32.add (local.get $end) (i32.const 1)))
        (i32.store (local.get $records) (local.get $end))
        (i32.store offset=4 (local.get $records) (local.get $r))
        (i32.store offset=8 (local.get $records) (local.get $atStart))
        (i32.store offset=12 (local.get $records) (local.get $atEnd))
        (local.set $unsure (i32.add (local.get $unsure) (i32.eqz (local.get $r))))
        (local.set $records (i32.add (local.get $records) (i32.const 16)))
        (local.set $out (local.get $end))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (local.set $d (i32.add (local.get $q) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $row (i32.lt_s (local.get $k) (local.get $count))))
      (return (local.get $unsure)))
    (i32.const -1))

  (func $scanFrame (param $start i32) (param $end i32) (param $spans i32) (result i32)
    (local $i i32) (local $c i32) (local $depth i32) (local $expect i32) (local $key i32)
    (local $typeSeen i32) (local $idSeen i32) (local $s i32) (local $e i32) (local $kind i32)
    (local $count i32) (local $before i32) (local $at i32) (local $hash i32) (local $pow i32) (local $length i32)
    (i32.store (i32.const 0) (i32.const -1))
    (i32.store (i32.const 4) (i32.const -1))
    (if (i32.lt_s (i32.sub (local.get $end) (local.get $start)) (i32.const 2)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (local.get $start)) (i32.const 0x7b)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 0x7d)) (then (return (i32.const 0))))
    (local.set $i (i32.add (local.get $start) (i32.const 1)))
    (local.set $depth (i32.const 1))
    (i32.store8 (i32.const 65) (i32.const 1))
    ;; expect: 0 a value, 1 a key or `}` (just after `{`), 2 `,` or the close, 3 a key (after `,`), 4 a value or `]` (just after `[`)
    (local.set $expect (i32.const 1))
    (local.set $pow (i32.const 1))
    (global.set $del (i32.const 0))
    (block $done
      (loop $next
        ;; spaces and tabs between tokens
        (local.set $c (i32.load8_u (local.get $i)))
        (block $ws (loop $skip
          (br_if $ws (i32.and (i32.ne (local.get $c) (i32.const 0x20)) (i32.ne (local.get $c) (i32.const 0x09))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $c (i32.load8_u (local.get $i)))
          (br $skip)))

        ;; a value
        (if (i32.eqz (local.get $expect)) (then
          (if (i32.eq (local.get $c) (i32.const 0x22)) (then
            (local.set $s (i32.add (local.get $i) (i32.const 1)))
            (local.set $e (call $skipString (local.get $s)))
            (if (i32.lt_s (local.get $e) (i32.const 0)) (then (return (i32.const 0))))
            ;; an empty event_type is not an event
            (if (i32.and (i32.eq (local.get $key) (i32.const 1)) (i32.eq (local.get $e) (local.get $s))) (then (return (i32.const 0))))
            (if (i32.eq (local.get $key) (i32.const 2)) (then
              ;; an id with escapes would need decoding
              (if (global.get $escape) (then (return (i32.const 0))))
              (i32.store (i32.const 0) (local.get $s))
              (i32.store (i32.const 4) (local.get $e))))
            (local.set $i (i32.add (local.get $e) (i32.const 1)))
            (local.set $key (i32.const 0))
            (local.set $expect (i32.const 2))
            (br $next)))
          ;; event_type must be a string; a non-string event_id is unusual too
          (if (local.get $key) (then (return (i32.const 0))))
          (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b))) (then
            (if (i32.eq (local.get $depth) (i32.const 64)) (then (return (i32.const 0))))
            (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
            (local.set $kind (select (i32.const 1) (i32.const 2) (i32.eq (local.get $c) (i32.const 0x7b))))
            (i32.store8 (i32.add (i32.const 64) (local.get $depth)) (local.get $kind))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $expect (select (i32.const 1) (i32.const 4) (i32.eq (local.get $kind) (i32.const 1))))
            (br $next)))
          (if (i32.eq (local.get $c) (i32.const 0x74)) (then
            ;; true
            (if (i32.ne (i32.load (local.get $i)) (i32.const 0x65757274)) (then (return (i32.const 0))))
            (local.set $i (i32.add (local.get $i) (i32.const 4))))
          (else (if (i32.eq (local.get $c) (i32.const 0x66)) (then
            ;; false: "alse" after the f
            (if (i32.ne (i32.load (i32.add (local.get $i) (i32.const 1))) (i32.const 0x65736c61)) (then (return (i32.const 0))))
            (local.set $i (i32.add (local.get $i) (i32.const 5))))
          (else (if (i32.eq (local.get $c) (i32.const 0x6e)) (then
            ;; null
            (if (i32.ne (i32.load (local.get $i)) (i32.const 0x6c6c756e)) (then (return (i32.const 0))))
            (local.set $i (i32.add (local.get $i) (i32.const 4))))
          (else
            (local.set $i (call $skipNumber (local.get $i)))
            (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const 0))))))))))
          (local.set $expect (i32.const 2))
          (br $next)))

        ;; just after `[`: a value or `]`
        (if (i32.eq (local.get $expect) (i32.const 4)) (then
          (if (i32.eq (local.get $c) (i32.const 0x5d)) (then
            (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $expect (i32.const 2))
            (br $next)))
          (local.set $expect (i32.const 0))
          (br $next)))

        ;; `,` or the close of the container open at this depth
        (if (i32.eq (local.get $expect) (i32.const 2)) (then
          ;; the value of the member recorded last ends here
          (if (i32.and (i32.and (i32.eq (local.get $depth) (i32.const 1)) (i32.ne (local.get $spans) (i32.const 0)))
                       (i32.gt_s (local.get $count) (i32.const 0))) (then
            (local.set $at (i32.add (local.get $spans) (i32.mul (local.get $count) (i32.const 20))))
            (i32.store (i32.sub (local.get $at) (i32.const 8)) (i32.sub (local.get $i) (local.get $start)))
            (i32.store (i32.sub (local.get $at) (i32.const 4)) (i32.sub (global.get $escapes) (local.get $before)))))
          (local.set $kind (i32.load8_u (i32.add (i32.const 64) (local.get $depth))))
          (if (i32.eq (local.get $c) (i32.const 0x2c)) (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $expect (select (i32.const 3) (i32.const 0) (i32.eq (local.get $kind) (i32.const 1))))
            (br $next)))
          (if (i32.ne (local.get $c) (select (i32.const 0x7d) (i32.const 0x5d) (i32.eq (local.get $kind) (i32.const 1)))) (then (return (i32.const 0))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
          (br_if $done (i32.eqz (local.get $depth)))
          (br $next)))

        ;; a key (expect 1 or 3), or `}` just after `{`
        (if (i32.and (i32.eq (local.get $c) (i32.const 0x7d)) (i32.eq (local.get $expect) (i32.const 1))) (then
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
          (br_if $done (i32.eqz (local.get $depth)))
          (local.set $expect (i32.const 2))
          (br $next)))
        (if (i32.ne (local.get $c) (i32.const 0x22)) (then (return (i32.const 0))))
        (local.set $s (i32.add (local.get $i) (i32.const 1)))
        (local.set $e (call $skipString (local.get $s)))
        (if (i32.lt_s (local.get $e) (i32.const 0)) (then (return (i32.const 0))))
        (if (i32.eq (local.get $depth) (i32.const 1)) (then
          ;; top-level keys are compared as bytes: one with an escape could spell event_type
          (if (global.get $escape) (then (return (i32.const 0))))
          ;; "event_ty" "pe" and "event_id", little-endian
          (if (i32.and (i32.eq (i32.sub (local.get $e) (local.get $s)) (i32.const 10))
                (i32.and (i64.eq (i64.load (local.get $s)) (i64.const 0x79745f746e657665))
                         (i32.eq (i32.load16_u (i32.add (local.get $s) (i32.const 8))) (i32.const 0x6570)))) (then
            (if (local.get $typeSeen) (then (return (i32.const 0))))
            (local.set $typeSeen (i32.const 1))
            (local.set $key (i32.const 1)))
          (else (if (i32.and (i32.eq (i32.sub (local.get $e) (local.get $s)) (i32.const 8))
                     (i64.eq (i64.load (local.get $s)) (i64.const 0x64695f746e657665))) (then
            (if (local.get $idSeen) (then (return (i32.const 0))))
            (local.set $idSeen (i32.const 1))
            (local.set $key (i32.const 2))))))))
        (local.set $i (i32.add (local.get $e) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $i)))
        (block $ws2 (loop $skip2
          (br_if $ws2 (i32.and (i32.ne (local.get $c) (i32.const 0x20)) (i32.ne (local.get $c) (i32.const 0x09))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $c (i32.load8_u (local.get $i)))
          (br $skip2)))
        (if (i32.ne (local.get $c) (i32.const 0x3a)) (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $expect (i32.const 0))
        ;; a top-level member: its key and where its value starts (after the colon)
        (if (i32.and (i32.and (i32.eq (local.get $depth) (i32.const 1)) (i32.ne (local.get $spans) (i32.const 0)))
                     (i32.ge_s (local.get $count) (i32.const 0))) (then
          (if (i32.eq (local.get $count) (i32.const 64)) (then (local.set $count (i32.const -1)))
          (else
            (local.set $at (i32.add (local.get $spans) (i32.mul (local.get $count) (i32.const 20))))
            (i32.store (local.get $at) (i32.sub (local.get $s) (local.get $start)))
            (i32.store offset=4 (local.get $at) (i32.sub (local.get $e) (local.get $start)))
            (i32.store offset=8 (local.get $at) (i32.sub (local.get $i) (local.get $start)))
            (local.set $before (global.get $escapes))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            ;; the keys' hash without the count (added at the end: count * 31^n)
            (local.set $length (i32.sub (local.get $e) (local.get $s)))
            (local.set $hash (i32.add (i32.add (i32.mul (local.get $hash) (i32.const 31)) (i32.mul (local.get $length) (i32.const 1021)))
              (select (i32.load (local.get $s))
                      (i32.and (i32.load (local.get $s)) (i32.sub (i32.shl (i32.const 1) (i32.shl (local.get $length) (i32.const 3))) (i32.const 1)))
                      (i32.ge_u (local.get $length) (i32.const 4)))))
            (local.set $pow (i32.mul (local.get $pow) (i32.const 31)))))))
        (br $next)))
    (i32.store (i32.const 28) (local.get $count))
    (i32.store (i32.const 36) (global.get $del))
    (i32.store (i32.const 32) (i32.add (i32.mul (local.get $count) (local.get $pow)) (local.get $hash)))
    (i32.and (i32.eq (local.get $i) (local.get $end)) (local.get $typeSeen)))

  ;; From just after an opening quote: the index of the closing quote, or -1
  ;; when the string is invalid or not sure (a raw control character, a byte
  ;; over 0x7f, a bad escape, the end of the frame). $escape says whether it
  ;; held an escape. Ordinary bytes are skipped 16 at a time: a lane is
  ;; special when it is a quote, a backslash, a DEL (noted in $del), or under
  ;; 0x20 as a signed byte (a control character, or a byte over 0x7f).
  (func $skipString (param $i i32) (result i32)
    (local $v v128) (local $bits i32) (local $c i32)
    (global.set $escape (i32.const 0))
    (loop $chunk
      (local.set $v (v128.load (local.get $i)))
      (local.set $bits (i8x16.bitmask (v128.or
        (v128.or (i8x16.eq (local.get $v) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22))
                 (v128.or (i8x16.eq (local.get $v) (v128.const i8x16 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c))
                          (i8x16.eq (local.get $v) (v128.const i8x16 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f 0x7f))))
        (i8x16.lt_s (local.get $v) (v128.const i8x16 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20)))))
      (if (i32.eqz (local.get $bits)) (then
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $chunk)))
      (local.set $i (i32.add (local.get $i) (i32.ctz (local.get $bits))))
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (local.get $i))))
      (if (i32.eq (local.get $c) (i32.const 0x7f)) (then
        (global.set $del (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $chunk)))
      (if (i32.ne (local.get $c) (i32.const 0x5c)) (then (return (i32.const -1))))
      (if (i32.eqz (global.get $escape)) (then (global.set $escapes (i32.add (global.get $escapes) (i32.const 1)))))
      (global.set $escape (i32.const 1))
      (local.set $c (i32.load8_u (i32.add (local.get $i) (i32.const 1))))
      (if (i32.eq (local.get $c) (i32.const 0x75)) (then
        ;; \uXXXX (the 0 at the end of the frame is no hex digit, so nothing past it counts)
        (if (i32.eqz (i32.and (i32.and (call $isHex (i32.load8_u (i32.add (local.get $i) (i32.const 2))))
                                       (call $isHex (i32.load8_u (i32.add (local.get $i) (i32.const 3)))))
                              (i32.and (call $isHex (i32.load8_u (i32.add (local.get $i) (i32.const 4))))
                                       (call $isHex (i32.load8_u (i32.add (local.get $i) (i32.const 5))))))) (then (return (i32.const -1))))
        (local.set $i (i32.add (local.get $i) (i32.const 6)))
        (br $chunk)))
      ;; \" \\ \/ \b \f \n \r \t
      (if (i32.eqz (i32.or (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x22)) (i32.eq (local.get $c) (i32.const 0x5c)))
                                   (i32.or (i32.eq (local.get $c) (i32.const 0x2f)) (i32.eq (local.get $c) (i32.const 0x62))))
                           (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x66)) (i32.eq (local.get $c) (i32.const 0x6e)))
                                   (i32.or (i32.eq (local.get $c) (i32.const 0x72)) (i32.eq (local.get $c) (i32.const 0x74)))))) (then (return (i32.const -1))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $chunk))
    (i32.const -1))

  (func $isHex (param $c i32) (result i32)
    (i32.or (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
            (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; From `i`: the index of the first byte that is not a digit, 16 bytes at a time.
  (func $skipDigits (param $i i32) (result i32)
    (local $rest i32)
    (loop $chunk
      ;; lanes that are not digits: (byte - 0x30) >= 10 unsigned
      (local.set $rest (i32.xor (i32.const 0xffff) (i8x16.bitmask (i8x16.lt_u
        (i8x16.sub (v128.load (local.get $i)) (v128.const i8x16 0x30 0x30 0x30 0x30 0x30 0x30 0x30 0x30 0x30 0x30 0x30 0x30 0x30 0x30 0x30 0x30))
        (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10)))))
      (if (i32.eqz (local.get $rest)) (then
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $chunk))))
    (i32.add (local.get $i) (i32.ctz (local.get $rest))))

  ;; From the first character of a number: the index after it, or -1 when it is not a JSON number.
  (func $skipNumber (param $i i32) (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.eq (local.get $c) (i32.const 0x2d)) (then
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $c (i32.load8_u (local.get $i)))))
    (if (i32.eq (local.get $c) (i32.const 0x30)) (then
      (local.set $i (i32.add (local.get $i) (i32.const 1))))
    (else
      (if (i32.ge_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)) (then (return (i32.const -1))))
      (local.set $i (call $skipDigits (i32.add (local.get $i) (i32.const 1))))))
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.eq (local.get $c) (i32.const 0x2e)) (then
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.ge_u (i32.sub (i32.load8_u (local.get $i)) (i32.const 0x30)) (i32.const 10)) (then (return (i32.const -1))))
      (local.set $i (call $skipDigits (i32.add (local.get $i) (i32.const 1))))
      (local.set $c (i32.load8_u (local.get $i)))))
    (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x65)) (then
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.or (i32.eq (local.get $c) (i32.const 0x2b)) (i32.eq (local.get $c) (i32.const 0x2d))) (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $i)))))
      (if (i32.ge_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)) (then (return (i32.const -1))))
      (local.set $i (call $skipDigits (i32.add (local.get $i) (i32.const 1))))))
    (local.get $i))
)
