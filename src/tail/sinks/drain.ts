import type { OutputStream } from '../../io/io.js';

/**
 * Resolves on the stream's next 'drain' (or when it errors or closes, so no
 * one waits forever on a dead stdout). The one drain waiter of every sink:
 * call it while the stream holds unwritten data, so the 'drain' is still to
 * come (see OutputWriter.block for why it must not be called later).
 */
export function waitForDrain(stream: OutputStream): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}
