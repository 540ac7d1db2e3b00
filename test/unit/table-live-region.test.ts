import { describe, expect, test } from 'vitest';
import { createLiveRegion, HIDE_CURSOR, SHOW_CURSOR, SYNC_END, SYNC_START } from '../../src/io/live-region.js';
import { CapturedStream } from '../helpers/test-io.js';

describe('live region', () => {
  test('hides the cursor, redraws in place in synchronized frames, shows the cursor when done', () => {
    const out = new CapturedStream(true, 80, 24);
    const region = createLiveRegion(out);
    expect(out.chunks).toEqual([HIDE_CURSOR]);
    region.update(['one', 'two', 'three']);
    region.update(['uno', 'dos']);
    region.update(['solo']);
    region.done();
    region.done();
    region.update(['ignored']);
    expect(out.chunks).toEqual([
      HIDE_CURSOR,
      `${SYNC_START}\x1b[2Kone\n\x1b[2Ktwo\n\x1b[2Kthree\x1b[J${SYNC_END}`,
      // Back to the first line of the previous frame, rewrite, clear what the old frame had below.
      `${SYNC_START}\r\x1b[2A\x1b[2Kuno\n\x1b[2Kdos\x1b[J${SYNC_END}`,
      `${SYNC_START}\r\x1b[1A\x1b[2Ksolo\x1b[J${SYNC_END}`,
      `\n${SHOW_CURSOR}`,
    ]);
  });

  test('a resize clears the screen before the next frame and asks for one', () => {
    const out = new CapturedStream(true, 80, 24);
    let asked = 0;
    const region = createLiveRegion(out, { onResize: () => asked++ });
    region.update(['a', 'b']);
    out.resize(40, 10);
    expect(asked).toBe(1);
    region.update(['c']);
    region.update(['d']);
    expect(out.chunks.slice(2)).toEqual([`${SYNC_START}\x1b[H\x1b[2J\x1b[2Kc\x1b[J${SYNC_END}`, `${SYNC_START}\r\x1b[2Kd\x1b[J${SYNC_END}`]);
    region.done();
    // No listener left behind.
    expect(out.listenerCount('resize')).toBe(0);
    out.resize(80, 24);
    expect(asked).toBe(1);
  });

  test('done before any frame only restores the cursor', () => {
    const out = new CapturedStream(true, 80, 24);
    createLiveRegion(out).done();
    expect(out.chunks).toEqual([HIDE_CURSOR, SHOW_CURSOR]);
  });
});
