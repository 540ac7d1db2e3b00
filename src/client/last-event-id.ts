import { PlainEventFrame, type EventMessage } from '../feed/messages.js';

/**
 * The id of the last event shown that had one: what a reconnect resumes
 * after. Noted for every event, read only on a reconnect, so it is kept as it
 * came (the message, or the id's place in a socket read) and decoded then.
 */
export class LastEventId {
  private message: EventMessage | undefined;
  private bytes: Buffer | undefined;
  private start = 0;
  private end = 0;

  /** An event shown as a message (noted only when it has an id). */
  noteMessage(message: EventMessage): void {
    if (message instanceof PlainEventFrame ? !message.hasId : message.id === undefined) return;
    this.message = message;
    this.bytes = undefined;
  }

  /** An event shown from a socket read: its id is `bytes[start, end)` (noted only when end > start). */
  noteFrame(bytes: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.bytes = bytes;
    this.start = start;
    this.end = end;
    this.message = undefined;
  }

  get id(): string | undefined {
    return this.bytes !== undefined ? this.bytes.toString('utf8', this.start, this.end) : this.message?.id;
  }
}
