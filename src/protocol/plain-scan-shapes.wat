;; Part of the module of plain-scan.wat (scripts/gen-plain-scan.mjs joins
;; them: these fields go before that module's closing parenthesis): what
;; tail -o pretty's line looks up in the frame while the frame is scanned
;; (the shape of its keys, the milliseconds of occurred_at, the (type, server)
;; pair of its head), in the memory laid out there.

  ;; Shapes: the top-level key sequences that render/plain-shape.ts has a
  ;; shape for (a line read from the bytes, tail -o pretty), so a frame's keys
  ;; are compared with its shape's here while their spans are at hand, not in
  ;; JavaScript (bench/README.md, issue 24, round five). The caller teaches
  ;; them ($addShape: the keys of the frame just scanned and the shape's id,
  ;; an i32 other than 0) and $scanShaped answers with the id of the frame's
  ;; sequence. A slot of the table (64, by the keys' hash, 8 probes): the hash,
  ;; the id (0: empty), the count of keys, where its keys are, the member of
  ;; occurred_at (-1: none; its time is read on a hit: $exactMs), the member
  ;; of event_type, the members of the server fields in the order they are
  ;; consulted (5 bytes, 0xff: none; the pair is found on a hit: $findPair);
  ;; the keys: per key its length (i32), then its bytes, zero-padded to a
  ;; multiple of 8.
  (global $shapeKeysEnd (mut i32) (i32.const 69888))

  ;; $scanAt with spans, then the id of the shape of the frame's keys at
  ;; memory[40] (0: none known, or the frame is not plain, or has more than 64
  ;; members) and, for a known shape with occurred_at, its time at memory[44].
  (func (export "scanShaped") (param $start i32) (param $end i32) (param $spans i32) (result i32)
    (local $r i32) (local $slot i32) (local $at i32)
    (i32.store (i32.const 40) (i32.const 0))
    (i32.store (i32.const 44) (i32.const -2))
    (i32.store (i32.const 52) (i32.const 0))
    (global.set $pairFound (i32.const 0))
    (local.set $r (call $scanAt (local.get $start) (local.get $end) (local.get $spans)))
    (if (i32.and (i32.eq (local.get $r) (i32.const 1)) (i32.gt_s (i32.load (i32.const 28)) (i32.const 0))) (then
      (local.set $slot (call $shapeSlot (local.get $start) (local.get $spans) (i32.load (i32.const 28)) (i32.load (i32.const 32))))
      (if (local.get $slot) (then
        (i32.store (i32.const 40) (i32.load offset=4 (local.get $slot)))
        (if (i32.ge_s (i32.load offset=16 (local.get $slot)) (i32.const 0)) (then
          (local.set $at (i32.add (local.get $spans) (i32.mul (i32.load offset=16 (local.get $slot)) (i32.const 20))))
          (call $exactMs (i32.add (local.get $start) (i32.load offset=8 (local.get $at))) (i32.add (local.get $start) (i32.load offset=12 (local.get $at))))))
        (call $findPair (local.get $start) (local.get $spans) (local.get $slot))))))
    (local.get $r))

  ;; render/plain-head.ts's exactMs of the number in memory[s, e) (a member's
  ;; value: spaces and tabs around it are skipped), as seconds and
  ;; milliseconds at memory[44] and [48]: Unix seconds to whole milliseconds,
  ;; read from the digits when they tell (no sign or exponent, at most 10
  ;; digits and under 4e9 before the point, the fourth to sixth decimals
  ;; neither 000 nor 999); else seconds -1.
  (func $exactMs (param $s i32) (param $e i32)
    (local $i i32) (local $c i32) (local $seconds i64) (local $millis i32) (local $next i32) (local $decimals i32) (local $d i32)
    (i32.store (i32.const 44) (i32.const -1))
    (block $trim (loop $skip
      (local.set $c (i32.load8_u (local.get $s)))
      (br_if $trim (i32.and (i32.ne (local.get $c) (i32.const 0x20)) (i32.ne (local.get $c) (i32.const 0x09))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $skip)))
    (block $trim2 (loop $skip2
      (local.set $c (i32.load8_u (i32.sub (local.get $e) (i32.const 1))))
      (br_if $trim2 (i32.and (i32.ne (local.get $c) (i32.const 0x20)) (i32.ne (local.get $c) (i32.const 0x09))))
      (local.set $e (i32.sub (local.get $e) (i32.const 1)))
      (br $skip2)))
    (local.set $i (local.get $s))
    (block $whole (loop $digit
      (br_if $whole (i32.ge_u (local.get $i) (local.get $e)))
      (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 0x30)))
      (br_if $whole (i32.gt_u (local.get $c) (i32.const 9)))
      (local.set $seconds (i64.add (i64.mul (local.get $seconds) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $digit)))
    (if (i32.or (i32.or (i32.eq (local.get $i) (local.get $s)) (i32.gt_s (i32.sub (local.get $i) (local.get $s)) (i32.const 10)))
                (i32.or (i64.ge_u (local.get $seconds) (i64.const 4000000000))
                        (i32.or (i32.ge_u (local.get $i) (local.get $e)) (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x2e))))) (then (return)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (block $fraction (loop $decimal
      (br_if $fraction (i32.ge_u (local.get $i) (local.get $e)))
      (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 0x30)))
      ;; an exponent
      (if (i32.gt_u (local.get $c) (i32.const 9)) (then (return)))
      (if (i32.lt_u (local.get $decimals) (i32.const 3)) (then
        (local.set $millis (i32.add (i32.mul (local.get $millis) (i32.const 10)) (local.get $c))))
      (else (if (i32.lt_u (local.get $decimals) (i32.const 6)) (then
        (local.set $next (i32.add (i32.mul (local.get $next) (i32.const 10)) (local.get $c)))))))
      (local.set $decimals (i32.add (local.get $decimals) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $decimal)))
    ;; fewer than six decimals: the missing ones are zeros
    (local.set $d (local.get $decimals))
    (block $padded (loop $pad
      (br_if $padded (i32.ge_u (local.get $d) (i32.const 6)))
      (local.set $next (i32.mul (local.get $next) (i32.const 10)))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $pad)))
    (if (i32.or (i32.eqz (local.get $next)) (i32.eq (local.get $next) (i32.const 999))) (then (return)))
    (i32.store (i32.const 44) (i32.wrap_i64 (local.get $seconds)))
    (i32.store (i32.const 48) (local.get $millis)))

  ;; The slot holding the key sequence of the `count` members recorded at
  ;; `spans` for the frame at `start` (whose keys' hash is `hash`), or 0.
  (func $shapeSlot (param $start i32) (param $spans i32) (param $count i32) (param $hash i32) (result i32)
    (local $probe i32) (local $slot i32)
    (loop $next
      (local.set $slot (i32.add (i32.const 67840) (i32.shl (i32.and (i32.add (local.get $hash) (local.get $probe)) (i32.const 63)) (i32.const 5))))
      (if (i32.eqz (i32.load offset=4 (local.get $slot))) (then (return (i32.const 0))))
      (if (i32.and (i32.eq (i32.load (local.get $slot)) (local.get $hash)) (i32.eq (i32.load offset=8 (local.get $slot)) (local.get $count))) (then
        (if (call $sameKeys (local.get $start) (local.get $spans) (local.get $count) (i32.load offset=12 (local.get $slot))) (then
          (return (local.get $slot))))))
      (local.set $probe (i32.add (local.get $probe) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $probe) (i32.const 8))))
    (i32.const 0))

  ;; Whether the frame's `count` keys are the ones stored from `k` on, byte
  ;; for byte: 8 bytes at a time, the last 1-7 of a key masked (the frame has
  ;; at least `":0}` and the read 16 readable bytes after a key; the stored
  ;; ones are zero-padded).
  (func $sameKeys (param $start i32) (param $spans i32) (param $count i32) (param $k i32) (result i32)
    (local $m i32) (local $at i32) (local $s i32) (local $length i32) (local $i i32) (local $left i32)
    (loop $key
      (local.set $at (i32.add (local.get $spans) (i32.mul (local.get $m) (i32.const 20))))
      (local.set $s (i32.add (local.get $start) (i32.load (local.get $at))))
      (local.set $length (i32.sub (i32.load offset=4 (local.get $at)) (i32.load (local.get $at))))
      (if (i32.ne (local.get $length) (i32.load (local.get $k))) (then (return (i32.const 0))))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (local.set $i (i32.const 0))
      (block $whole (loop $chunk
        (br_if $whole (i32.gt_s (i32.add (local.get $i) (i32.const 8)) (local.get $length)))
        (if (i64.ne (i64.load (i32.add (local.get $s) (local.get $i))) (i64.load (i32.add (local.get $k) (local.get $i)))) (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $chunk)))
      (local.set $left (i32.sub (local.get $length) (local.get $i)))
      (if (local.get $left) (then
        (if (i64.ne (i64.const 0)
              (i64.and (i64.xor (i64.load (i32.add (local.get $s) (local.get $i))) (i64.load (i32.add (local.get $k) (local.get $i))))
                       (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (i32.shl (local.get $left) (i32.const 3)))) (i64.const 1)))) (then
          (return (i32.const 0))))))
      (local.set $k (i32.add (local.get $k) (i32.and (i32.add (local.get $length) (i32.const 7)) (i32.const -8))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br_if $key (i32.lt_u (local.get $m) (local.get $count))))
    (i32.const 1))

  ;; Teaches the shape `id` (not 0) of the key sequence of the `count` members
  ;; recorded at `spans` for the frame at `start` (hash: their keys' hash; `time`:
  ;; the member of occurred_at, or -1; `type`: of event_type; `servers`: the
  ;; server fields' members, a byte each from the lowest, 0xff after the last): its
  ;; slot's id is replaced when the sequence has one; else it takes a free slot
  ;; among its probes, or the first of them. Returns 0 when its keys find no
  ;; room (the caller clears the table with $clearShapes and teaches it
  ;; again), else 1.
  (func (export "addShape") (param $start i32) (param $spans i32) (param $count i32) (param $hash i32) (param $id i32) (param $time i32) (param $type i32) (param $servers i64) (result i32)
    (local $slot i32) (local $probe i32) (local $m i32) (local $at i32) (local $length i32) (local $k i32) (local $padded i32)
    (local.set $slot (call $shapeSlot (local.get $start) (local.get $spans) (local.get $count) (local.get $hash)))
    (if (local.get $slot) (then
      (i32.store offset=4 (local.get $slot) (local.get $id))
      (i32.store offset=16 (local.get $slot) (local.get $time))
      (i32.store offset=20 (local.get $slot) (local.get $type))
      (i64.store offset=24 (local.get $slot) (local.get $servers))
      (return (i32.const 1))))
    (block $found (loop $next
      (local.set $slot (i32.add (i32.const 67840) (i32.shl (i32.and (i32.add (local.get $hash) (local.get $probe)) (i32.const 63)) (i32.const 5))))
      (br_if $found (i32.eqz (i32.load offset=4 (local.get $slot))))
      (local.set $probe (i32.add (local.get $probe) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $probe) (i32.const 8)))
      ;; every probe taken: the first is replaced (its keys stay where they are until the table starts again)
      (local.set $slot (i32.add (i32.const 67840) (i32.shl (i32.and (local.get $hash) (i32.const 63)) (i32.const 5))))))
    ;; the keys' room: a length and the padded bytes each
    (local.set $k (global.get $shapeKeysEnd))
    (loop $size
      (local.set $at (i32.add (local.get $spans) (i32.mul (local.get $m) (i32.const 20))))
      (local.set $length (i32.sub (i32.load offset=4 (local.get $at)) (i32.load (local.get $at))))
      (local.set $k (i32.add (local.get $k) (i32.add (i32.const 4) (i32.and (i32.add (local.get $length) (i32.const 7)) (i32.const -8)))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br_if $size (i32.lt_u (local.get $m) (local.get $count))))
    (if (i32.gt_u (local.get $k) (i32.const 84224)) (then (return (i32.const 0))))
    (i32.store (local.get $slot) (local.get $hash))
    (i32.store offset=4 (local.get $slot) (local.get $id))
    (i32.store offset=8 (local.get $slot) (local.get $count))
    (i32.store offset=12 (local.get $slot) (global.get $shapeKeysEnd))
    (i32.store offset=16 (local.get $slot) (local.get $time))
    (i32.store offset=20 (local.get $slot) (local.get $type))
    (i64.store offset=24 (local.get $slot) (local.get $servers))
    (local.set $k (global.get $shapeKeysEnd))
    (local.set $m (i32.const 0))
    (loop $copy
      (local.set $at (i32.add (local.get $spans) (i32.mul (local.get $m) (i32.const 20))))
      (local.set $length (i32.sub (i32.load offset=4 (local.get $at)) (i32.load (local.get $at))))
      (local.set $padded (i32.and (i32.add (local.get $length) (i32.const 7)) (i32.const -8)))
      (i32.store (local.get $k) (local.get $length))
      (memory.fill (i32.add (local.get $k) (i32.const 4)) (i32.const 0) (local.get $padded))
      (memory.copy (i32.add (local.get $k) (i32.const 4)) (i32.add (local.get $start) (i32.load (local.get $at))) (local.get $length))
      (local.set $k (i32.add (local.get $k) (i32.add (i32.const 4) (local.get $padded))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br_if $copy (i32.lt_u (local.get $m) (local.get $count))))
    (global.set $shapeKeysEnd (local.get $k))
    (i32.const 1))

  ;; Forgets every shape taught.
  (func (export "clearShapes")
    (memory.fill (i32.const 67840) (i32.const 0) (i32.const 2048))
    (global.set $shapeKeysEnd (i32.const 69888)))

  ;; (type, server) pairs: render/plain-head.ts's head entries, found by the
  ;; bytes of a frame's event_type and server values (both strings without
  ;; escapes; the server the first server field whose value is a non-empty
  ;; string, as serverIdentityFieldOf picks it; none: length 0), so the head
  ;; is not looked up in JavaScript. Taught like the shapes ($addPair: the pair
  ;; of the frame just scanned). A slot (128, 8 probes): the hash, the id (0:
  ;; empty), the type's length, the server's, where their bytes are (each
  ;; zero-padded to a multiple of 8).
  (global $pairFound (mut i32) (i32.const 0))
  (global $pairTs (mut i32) (i32.const 0))
  (global $pairTl (mut i32) (i32.const 0))
  (global $pairSs (mut i32) (i32.const 0))
  (global $pairSl (mut i32) (i32.const 0))
  (global $pairHash (mut i32) (i32.const 0))
  (global $pairBytesEnd (mut i32) (i32.const 88320))

  ;; A member's value from `at` (its spans) of the frame at `start`, without
  ;; the spaces and tabs around it: start in $pairA, end in $pairB.
  (global $pairA (mut i32) (i32.const 0))
  (global $pairB (mut i32) (i32.const 0))
  (func $trimmedValue (param $start i32) (param $at i32)
    (local $s i32) (local $e i32) (local $c i32)
    (local.set $s (i32.add (local.get $start) (i32.load offset=8 (local.get $at))))
    (local.set $e (i32.add (local.get $start) (i32.load offset=12 (local.get $at))))
    (block $a (loop $skip
      (local.set $c (i32.load8_u (local.get $s)))
      (br_if $a (i32.and (i32.ne (local.get $c) (i32.const 0x20)) (i32.ne (local.get $c) (i32.const 0x09))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $skip)))
    (block $b (loop $skip2
      (local.set $c (i32.load8_u (i32.sub (local.get $e) (i32.const 1))))
      (br_if $b (i32.and (i32.ne (local.get $c) (i32.const 0x20)) (i32.ne (local.get $c) (i32.const 0x09))))
      (local.set $e (i32.sub (local.get $e) (i32.const 1)))
      (br $skip2)))
    (global.set $pairA (local.get $s))
    (global.set $pairB (local.get $e)))

  ;; The hash of a run of bytes: its length and its first and last four (masked under four).
  (func $runHash (param $s i32) (param $length i32) (result i32)
    (if (result i32) (i32.ge_u (local.get $length) (i32.const 4))
      (then (i32.add (i32.mul (local.get $length) (i32.const 1021))
                     (i32.xor (i32.load (local.get $s)) (i32.mul (i32.load (i32.sub (i32.add (local.get $s) (local.get $length)) (i32.const 4))) (i32.const 5)))))
      (else (i32.add (i32.mul (local.get $length) (i32.const 1021))
                     (i32.and (i32.load (local.get $s)) (i32.sub (i32.shl (i32.const 1) (i32.shl (local.get $length) (i32.const 3))) (i32.const 1)))))))

  ;; Whether memory[a, a + length) is the zero-padded run stored at b: 8 bytes at a time, the last 1-7 masked.
  (func $sameRun (param $a i32) (param $b i32) (param $length i32) (result i32)
    (local $i i32) (local $left i32)
    (block $whole (loop $chunk
      (br_if $whole (i32.gt_s (i32.add (local.get $i) (i32.const 8)) (local.get $length)))
      (if (i64.ne (i64.load (i32.add (local.get $a) (local.get $i))) (i64.load (i32.add (local.get $b) (local.get $i)))) (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $chunk)))
    (local.set $left (i32.sub (local.get $length) (local.get $i)))
    (if (local.get $left) (then
      (if (i64.ne (i64.const 0)
            (i64.and (i64.xor (i64.load (i32.add (local.get $a) (local.get $i))) (i64.load (i32.add (local.get $b) (local.get $i))))
                     (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (i32.shl (local.get $left) (i32.const 3)))) (i64.const 1)))) (then
        (return (i32.const 0))))))
    (i32.const 1))

  ;; The pair of the frame at `start` whose shape's slot is `shape`: its type
  ;; and server (as above), then its id at memory[52] when a slot has it.
  ;; Nothing when the type or the chosen server has escapes (the head is then
  ;; made from the parsed values) or the type is not a string.
  (func $findPair (param $start i32) (param $spans i32) (param $shape i32)
    (local $at i32) (local $k i32) (local $m i32) (local $probe i32) (local $slot i32)
    (local.set $at (i32.add (local.get $spans) (i32.mul (i32.load offset=20 (local.get $shape)) (i32.const 20))))
    (if (i32.load offset=16 (local.get $at)) (then (return)))
    (call $trimmedValue (local.get $start) (local.get $at))
    (if (i32.ne (i32.load8_u (global.get $pairA)) (i32.const 0x22)) (then (return)))
    (global.set $pairTs (i32.add (global.get $pairA) (i32.const 1)))
    (global.set $pairTl (i32.sub (i32.sub (global.get $pairB) (global.get $pairA)) (i32.const 2)))
    (global.set $pairSl (i32.const 0))
    (global.set $pairSs (i32.const 0))
    (block $chosen (loop $server
      (br_if $chosen (i32.ge_u (local.get $k) (i32.const 5)))
      (local.set $m (i32.load8_u (i32.add (i32.add (local.get $shape) (i32.const 24)) (local.get $k))))
      (br_if $chosen (i32.eq (local.get $m) (i32.const 0xff)))
      (local.set $at (i32.add (local.get $spans) (i32.mul (local.get $m) (i32.const 20))))
      (call $trimmedValue (local.get $start) (local.get $at))
      (if (i32.and (i32.eq (i32.load8_u (global.get $pairA)) (i32.const 0x22))
                   (i32.ne (i32.load8_u (i32.add (global.get $pairA) (i32.const 1))) (i32.const 0x22))) (then
        (if (i32.load offset=16 (local.get $at)) (then (return)))
        (global.set $pairSs (i32.add (global.get $pairA) (i32.const 1)))
        (global.set $pairSl (i32.sub (i32.sub (global.get $pairB) (global.get $pairA)) (i32.const 2)))
        (br $chosen)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $server)))
    (global.set $pairHash (i32.add (i32.mul (call $runHash (global.get $pairTs) (global.get $pairTl)) (i32.const 131))
                                   (if (result i32) (global.get $pairSl) (then (call $runHash (global.get $pairSs) (global.get $pairSl))) (else (i32.const 7)))))
    (global.set $pairFound (i32.const 1))
    (local.set $slot (call $pairSlot))
    (if (local.get $slot) (then (i32.store (i32.const 52) (i32.load offset=4 (local.get $slot))))))

  ;; The slot of the pair $findPair found last, or 0.
  (func $pairSlot (result i32)
    (local $probe i32) (local $slot i32)
    (loop $next
      (local.set $slot (i32.add (i32.const 84224) (i32.shl (i32.and (i32.add (global.get $pairHash) (local.get $probe)) (i32.const 127)) (i32.const 5))))
      (if (i32.eqz (i32.load offset=4 (local.get $slot))) (then (return (i32.const 0))))
      (if (i32.and (i32.and (i32.eq (i32.load (local.get $slot)) (global.get $pairHash))
                            (i32.eq (i32.load offset=8 (local.get $slot)) (global.get $pairTl)))
                   (i32.eq (i32.load offset=12 (local.get $slot)) (global.get $pairSl))) (then
        (if (i32.and (call $sameRun (global.get $pairTs) (i32.load offset=16 (local.get $slot)) (global.get $pairTl))
                     (call $sameRun (global.get $pairSs) (i32.add (i32.load offset=16 (local.get $slot)) (i32.and (i32.add (global.get $pairTl) (i32.const 7)) (i32.const -8))) (global.get $pairSl))) (then
          (return (local.get $slot))))))
      (local.set $probe (i32.add (local.get $probe) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $probe) (i32.const 8))))
    (i32.const 0))

  ;; Teaches the pair $findPair found last (in the last scanShaped) the id
  ;; `id` (not 0); nothing when that scan found none. Returns 0 when its bytes
  ;; find no room (the caller clears the table with $clearPairs and teaches it
  ;; again), else 1.
  (func (export "addPair") (param $id i32) (result i32)
    (local $slot i32) (local $probe i32) (local $k i32) (local $tp i32) (local $sp i32)
    (if (i32.eqz (global.get $pairFound)) (then (return (i32.const 1))))
    (local.set $slot (call $pairSlot))
    (if (local.get $slot) (then
      (i32.store offset=4 (local.get $slot) (local.get $id))
      (return (i32.const 1))))
    (block $found (loop $next
      (local.set $slot (i32.add (i32.const 84224) (i32.shl (i32.and (i32.add (global.get $pairHash) (local.get $probe)) (i32.const 127)) (i32.const 5))))
      (br_if $found (i32.eqz (i32.load offset=4 (local.get $slot))))
      (local.set $probe (i32.add (local.get $probe) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $probe) (i32.const 8)))
      (local.set $slot (i32.add (i32.const 84224) (i32.shl (i32.and (global.get $pairHash) (i32.const 127)) (i32.const 5))))))
    (local.set $tp (i32.and (i32.add (global.get $pairTl) (i32.const 7)) (i32.const -8)))
    (local.set $sp (i32.and (i32.add (global.get $pairSl) (i32.const 7)) (i32.const -8)))
    (local.set $k (global.get $pairBytesEnd))
    (if (i32.gt_u (i32.add (i32.add (local.get $k) (local.get $tp)) (local.get $sp)) (i32.const 92416)) (then (return (i32.const 0))))
    (memory.fill (local.get $k) (i32.const 0) (i32.add (local.get $tp) (local.get $sp)))
    (memory.copy (local.get $k) (global.get $pairTs) (global.get $pairTl))
    (memory.copy (i32.add (local.get $k) (local.get $tp)) (global.get $pairSs) (global.get $pairSl))
    (global.set $pairBytesEnd (i32.add (i32.add (local.get $k) (local.get $tp)) (local.get $sp)))
    (i32.store (local.get $slot) (global.get $pairHash))
    (i32.store offset=4 (local.get $slot) (local.get $id))
    (i32.store offset=8 (local.get $slot) (global.get $pairTl))
    (i32.store offset=12 (local.get $slot) (global.get $pairSl))
    (i32.store offset=16 (local.get $slot) (local.get $k))
    (i32.const 1))

  ;; Forgets every pair taught.
  (func (export "clearPairs")
    (memory.fill (i32.const 84224) (i32.const 0) (i32.const 4096))
    (global.set $pairBytesEnd (i32.const 88320)))
