// Debug preload (not shipped): on SIGUSR2 writes process.memoryUsage() and V8 heap spaces to $MEMHOOK_OUT;
// with MEMHOOK_GC=1 also after a full collection (needs --expose-gc) and 300 ms for the array buffer sweeper.
const fs = require('node:fs');
const v8 = require('node:v8');
const out = process.env.MEMHOOK_OUT;
function snap() {
  const mu = process.memoryUsage();
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = { size: s.space_size, used: s.space_used_size, phys: s.physical_space_size };
  const hs = v8.getHeapStatistics();
  return { mu, spaces, malloced: hs.malloced_memory, external: hs.external_memory };
}
process.on('SIGUSR2', () => {
  const before = snap();
  if (process.env.MEMHOOK_SNAPSHOT) v8.writeHeapSnapshot(`${process.env.MEMHOOK_SNAPSHOT}-${Date.now()}.heapsnapshot`);
  if (process.env.MEMHOOK_GC === '1' && global.gc) {
    global.gc();
    setTimeout(() => { global.gc(); setTimeout(() => fs.writeFileSync(out, JSON.stringify({ ...before, after: snap() })), 300); }, 300);
  } else fs.writeFileSync(out, JSON.stringify(before));
});
