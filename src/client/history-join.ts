import type { EventMessage } from '../feed/messages.js';

/**
 * The join of history and live on serve, whatever the latency; pure. Events
 * that arrived before the first ack were sent live before serve saw the
 * subscribe (its first-message hold had run out), so the replay that
 * followed covers them. `held` are those events, `replayIds` the ids the
 * replay delivered (undefined: it repeated none). Held events the replay
 * repeated, and every held event older than the newest one it repeated, are
 * dropped; the rest (newer, or outside the replay's filter) follow the
 * replay, in order. Each id is shown once.
 */
export function joinHeldEvents(held: readonly EventMessage[], replayIds: ReadonlySet<string> | undefined): EventMessage[] {
  let start = 0;
  if (replayIds !== undefined) {
    for (let i = held.length - 1; i >= 0; i--) {
      const id = held[i]!.id;
      if (id !== undefined && replayIds.has(id)) {
        start = i + 1;
        break;
      }
    }
  }
  const out: EventMessage[] = [];
  for (let i = start; i < held.length; i++) {
    const message = held[i]!;
    const id = message.id;
    if (replayIds !== undefined && id !== undefined && replayIds.has(id)) continue;
    out.push(message);
  }
  return out;
}
