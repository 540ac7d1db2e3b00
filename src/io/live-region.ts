import type { OutputStream } from './io.js';

/**
 * The one piece of hangar-events that moves the cursor: a block of lines at
 * the bottom of the terminal redrawn in place, frame after frame.
 *
 * Each frame goes out in a single write wrapped in synchronized-output marks
 * (DEC mode 2026; terminals without it ignore them), so a frame never shows
 * half drawn. The cursor is hidden from creation until `done()`, which the
 * owner calls on every exit path. After a resize the old frame's line count no
 * longer says where it starts (lines re-wrap), so the next frame clears the
 * screen and starts again from the top.
 *
 * The caller keeps frames within the terminal: no line wider than its
 * columns, no more lines than its rows.
 */

export const SYNC_START = '\x1b[?2026h';
export const SYNC_END = '\x1b[?2026l';
export const HIDE_CURSOR = '\x1b[?25l';
export const SHOW_CURSOR = '\x1b[?25h';
const ERASE_LINE = '\x1b[2K';
const ERASE_BELOW = '\x1b[J';
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export interface LiveRegion {
  /** Replaces the previous frame with `lines`. Ignored after `done()`. */
  update(lines: readonly string[]): void;
  /** Leaves the last frame on screen, moves the cursor below it and shows the cursor again. Idempotent. */
  done(): void;
}

export interface LiveRegionOptions {
  /** Called after the terminal was resized, so the owner can draw a fresh frame. */
  onResize?: () => void;
}

/** Starts a live region on `out` (a terminal): hides the cursor until `done()`. */
export function createLiveRegion(out: OutputStream, options: LiveRegionOptions = {}): LiveRegion {
  let previousLines = 0;
  let clearNext = false;
  let finished = false;

  const onResize = () => {
    if (finished) return;
    clearNext = true;
    options.onResize?.();
  };
  out.on('resize', onResize);
  out.write(HIDE_CURSOR);

  return {
    update(lines) {
      if (finished) return;
      const frame = lines.length > 0 ? lines : [''];
      let text = SYNC_START;
      if (clearNext) {
        text += CLEAR_SCREEN;
        clearNext = false;
      } else if (previousLines > 0) {
        // The cursor sits at the end of the previous frame's last line.
        text += '\r';
        if (previousLines > 1) text += `\x1b[${previousLines - 1}A`;
      }
      for (let i = 0; i < frame.length; i++) {
        text += ERASE_LINE + frame[i];
        if (i < frame.length - 1) text += '\n';
      }
      text += ERASE_BELOW + SYNC_END;
      previousLines = frame.length;
      out.write(text);
    },
    done() {
      if (finished) return;
      finished = true;
      out.off('resize', onResize);
      out.write((previousLines > 0 ? '\n' : '') + SHOW_CURSOR);
    },
  };
}
