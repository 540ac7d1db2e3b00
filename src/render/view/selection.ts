/**
 * Which item of a changing list is selected (pure). The selection follows
 * its item by id while the list changes under it (new items arrive, others
 * leave); when its item leaves, the item now at the same place is selected,
 * so a list that shrinks under the cursor never jumps to the top.
 */

export interface Selection {
  /** The selected item's id; undefined when the list is empty (or nothing was selected yet). */
  readonly id: string | undefined;
  /** Where it was last seen, for when it leaves. */
  readonly index: number;
}

export const NO_SELECTION: Selection = { id: undefined, index: 0 };

/** The selection in `ids` as it is now: its item where it went, or the one at its place. */
export function settleSelection(selection: Selection, ids: readonly string[]): Selection {
  if (ids.length === 0) return { id: undefined, index: 0 };
  const at = selection.id === undefined ? -1 : ids.indexOf(selection.id);
  if (at >= 0) return at === selection.index ? selection : { id: selection.id, index: at };
  const index = Math.min(Math.max(0, selection.index), ids.length - 1);
  return { id: ids[index], index };
}

/** Moves the selection by `delta` items (negative: up), stopping at the ends. */
export function moveSelection(selection: Selection, ids: readonly string[], delta: number): Selection {
  const settled = settleSelection(selection, ids);
  if (settled.id === undefined) return settled;
  const index = Math.min(Math.max(0, settled.index + delta), ids.length - 1);
  return { id: ids[index], index };
}

/**
 * The first item to show so that the selected one is visible in `rows`
 * lines, keeping `previousTop` when it still is (no scrolling for nothing).
 */
export function scrollTop(selectedIndex: number, count: number, rows: number, previousTop = 0): number {
  if (rows <= 0 || count <= rows) return 0;
  let top = Math.min(Math.max(0, previousTop), count - rows);
  if (selectedIndex < top) top = selectedIndex;
  if (selectedIndex >= top + rows) top = selectedIndex - rows + 1;
  return top;
}
