import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * The one place that writes to a WebSocket below the ws API: a frame built
 * once by the hub (wire/text-frame.ts) goes to the TCP socket as it is, which
 * the benchmarks show is worth it (bench/README.md). Nothing else touches
 * `ws` internals.
 */

/** What a subscriber writes to: a WebSocket in production, a fake in unit tests. */
export interface Transport {
  /** Sends one text frame; `done` (when given) runs once the bytes have left the process (or failed). */
  send(frame: Buffer, done?: (error?: Error) => void): void;
  /** Optional: writes an already framed WebSocket frame (built once by the Hub, shared by every subscriber) straight to the socket. */
  sendFramed?(wire: Buffer, done?: (error?: Error) => void): void;
  /** Bytes handed to `send` but not yet written to the OS. */
  readonly bufferedAmount: number;
  /** Batches the next writes into one system call... */
  cork(): void;
  /** ...and flushes them. */
  uncork(): void;
}

/** Adapts a ws WebSocket to the subscriber's Transport: text frames, callbacks, corking of the TCP socket. */
export function wsTransport(ws: WebSocket): Transport {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  return {
    send: (frame, done) => ws.send(frame, { binary: false, compress: false }, done),
    // No extension is negotiated (perMessageDeflate is off) and ws queues nothing of its own
    // then, so a frame built once by the hub can go to the socket as it is.
    sendFramed: (wire, done) => {
      if (!socket || ws.readyState !== ws.OPEN) {
        if (done) process.nextTick(done, new Error('the WebSocket is not open'));
        return;
      }
      socket.write(wire, done && ((error) => done(error ?? undefined)));
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    cork: () => socket?.cork(),
    uncork: () => socket?.uncork(),
  };
}
