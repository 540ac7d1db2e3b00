import type { HangarEvent } from '../protocol/types.js';
import type { StoredEvent } from '../store/store-event.js';
import type { EventMessage } from './messages.js';

/** A stored event as the pipeline's message: `event` stays lazy, `bytes` (the line as it is, for -o ndjson) only when it is one line. */
class StoredEventMessage implements EventMessage {
  readonly kind = 'event' as const;
  readonly fromStore = true;

  constructor(private readonly stored: StoredEvent) {}

  get event(): HangarEvent {
    return this.stored.event;
  }

  get raw(): string {
    return this.stored.raw;
  }

  get id(): string | undefined {
    return this.stored.id;
  }

  get bytes(): Buffer | undefined {
    const raw = this.stored.raw;
    return raw.includes('\n') || raw.includes('\r') ? undefined : Buffer.from(raw);
  }
}

/**
 * The pipeline's message for a stored event. `event` stays lazy; `bytes` (the
 * line as it is, for -o ndjson) only when the text is one line already.
 */
export function toEventMessage(stored: StoredEvent): EventMessage {
  return new StoredEventMessage(stored);
}
