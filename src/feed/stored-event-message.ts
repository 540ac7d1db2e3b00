import type { HangarEvent } from '../protocol/types.js';
import type { StoredEvent } from '../store/store-event.js';
import type { EventMessage } from './messages.js';

/** A stored event as the pipeline's message: `event` stays lazy, `bytes` are its line (one line always) for -o ndjson. */
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

  get bytes(): Buffer {
    return this.stored.bytes;
  }
}

/** The pipeline's message for a stored event: `event` stays lazy, `bytes` are its line for -o ndjson. */
export function toEventMessage(stored: StoredEvent): EventMessage {
  return new StoredEventMessage(stored);
}
