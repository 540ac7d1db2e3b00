/**
 * Gateway type patterns (`*`, exact names, segment patterns like `tools/*`) compiled
 * into a segment trie walked as a lazily built automaton.
 *
 * Why: a client may subscribe with 256 patterns of many segments, and every
 * event type may be new (an HTTP ingest takes any type). Trying each pattern
 * against each new type costs (patterns x segments) per event; a per-type
 * memo does not help when no type repeats. Here matching a type costs one
 * map lookup per segment of the type: the automaton's state after a prefix
 * is the set of trie nodes still alive, each state knows its next state for
 * every literal segment the patterns name at that depth and for "anything
 * else" (only `*` survives that), and states are built on first use. The
 * cache of built states is bounded by the work spent building them; when it
 * is full it is dropped and rebuilt, so memory does not grow with the
 * number of distinct types seen, nor with anything but the patterns.
 */

/** One node of the segment trie: what follows a prefix of pattern segments. */
interface TrieNode {
  readonly id: number;
  /** Children by literal segment. */
  readonly literal: Map<string, TrieNode>;
  /** The child reached by a `*` segment. */
  wildcard: TrieNode | undefined;
  /** A pattern ends here. */
  terminal: boolean;
}

/** A state of the automaton: the trie nodes alive after the segments read so far. */
interface State {
  readonly nodes: readonly TrieNode[];
  /** Whether a pattern ends at one of `nodes`. */
  readonly accepting: boolean;
  /** Next states for literal segments named by a child of one of `nodes` (built on first use). */
  readonly next: Map<string, State>;
  /** Literal segments named by a child of one of `nodes`. */
  readonly literals: ReadonlySet<string>;
  /** Next state for any other segment (only wildcard children survive it); built on first use. */
  other: State | undefined;
}

/** Work units (trie nodes held by built states) after which the built states are dropped and rebuilt. */
const STATE_BUDGET = 16_384;

/** Whether an event type matches; its cost grows with the type's segments only. */
export type TypeMatcher = (eventType: string) => boolean;

/**
 * Compiles gateway patterns (PROTOCOL.md Part 1) into a matcher with the
 * semantics of `matchesGatewayPattern` applied to each pattern (OR). `*` alone
 * matches everything; a pattern with a `*` inside a segment (`Health*`) is
 * invalid and ignored, as the gateway ignores it.
 */
export function compileTypePatterns(patterns: readonly string[]): TypeMatcher {
  if (patterns.includes('*')) return () => true;
  let nextId = 0;
  const newNode = (): TrieNode => ({ id: nextId++, literal: new Map(), wildcard: undefined, terminal: false });
  const root = newNode();
  for (const pattern of patterns) {
    const segments = pattern.split('/');
    // A `*` inside a segment makes the pattern invalid; a pattern without `/` is an exact name.
    if (segments.some((segment) => segment !== '*' && segment.includes('*'))) continue;
    let node = root;
    for (const segment of segments) {
      if (segment === '*') node = node.wildcard ??= newNode();
      else {
        let child = node.literal.get(segment);
        if (child === undefined) node.literal.set(segment, (child = newNode()));
        node = child;
      }
    }
    node.terminal = true;
  }
  if (nextId === 1) return () => false;

  let built = new Map<string, State>();
  let spent = 0;
  const stateOf = (nodes: TrieNode[]): State => {
    const key = nodes.map((node) => node.id).join(',');
    const known = built.get(key);
    if (known !== undefined) return known;
    const literals = new Set<string>();
    for (const node of nodes) for (const segment of node.literal.keys()) literals.add(segment);
    const state: State = { nodes, accepting: nodes.some((node) => node.terminal), next: new Map(), literals, other: undefined };
    spent += nodes.length + literals.size + 1;
    built.set(key, state);
    return state;
  };
  const step = (state: State, segment: string): State => {
    const nodes: TrieNode[] = [];
    const seen = new Set<number>();
    const add = (node: TrieNode | undefined): void => {
      if (node === undefined || seen.has(node.id)) return;
      seen.add(node.id);
      nodes.push(node);
    };
    for (const node of state.nodes) {
      add(node.literal.get(segment));
      add(node.wildcard);
    }
    nodes.sort((a, b) => a.id - b.id);
    return stateOf(nodes);
  };
  let start = stateOf([root]);

  return (eventType) => {
    if (spent > STATE_BUDGET) {
      built = new Map();
      spent = 0;
      start = stateOf([root]);
    }
    let state = start;
    let from = 0;
    for (;;) {
      const slash = eventType.indexOf('/', from);
      const segment = slash < 0 ? eventType.slice(from) : eventType.slice(from, slash);
      let next: State | undefined;
      if (state.literals.has(segment)) {
        next = state.next.get(segment);
        if (next === undefined) state.next.set(segment, (next = step(state, segment)));
      } else {
        next = state.other ??= step(state, segment);
      }
      state = next;
      if (state.nodes.length === 0) return false;
      if (slash < 0) return state.accepting;
      from = slash + 1;
    }
  };
}
