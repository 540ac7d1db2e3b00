import { describe, expect, it } from 'vitest';
import { DROP_LOG_INTERVAL_MS, UpstreamDropLog } from '../../src/sources/upstream-drop-log.js';
import { FakeClock } from '../helpers/fake-clock.js';

function logged(): { lines: string[]; log: { info(m: string): void; warn(m: string): void } } {
  const lines: string[] = [];
  return { lines, log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) } };
}

describe('serve --upstream: the drop log, coalesced on the injected clock', () => {
  it('logs the first warning at once and adds up the ones within the next second into one line when it is over', () => {
    const clock = new FakeClock();
    const { lines, log } = logged();
    const drops = new UpstreamDropLog(log, clock);
    drops.add('ws://gw', 3, 'slow reader');
    expect(lines).toEqual(['warn upstream ws://gw dropped 3 events for this relay (3 in total; every client was told): slow reader']);
    clock.advance(100);
    drops.add('ws://gw', 1, 'slow reader');
    clock.advance(200);
    drops.add('ws://gw', 2, 'still slow');
    expect(lines).toHaveLength(1);
    clock.advance(DROP_LOG_INTERVAL_MS - 301);
    expect(lines).toHaveLength(1);
    clock.advance(1);
    expect(lines[1]).toBe('warn upstream ws://gw dropped 3 events for this relay in 2 warnings (6 in total; every client was told): still slow');
    expect(clock.pending).toBe(0);
    // A second later, a warning is logged at once again.
    clock.advance(DROP_LOG_INTERVAL_MS);
    drops.add('ws://gw', 1, 'again');
    expect(lines[2]).toBe('warn upstream ws://gw dropped 1 event for this relay (7 in total; every client was told): again');
  });

  it('close logs what is still pending and cancels its timer; each upstream is counted on its own', () => {
    const clock = new FakeClock();
    const { lines, log } = logged();
    const drops = new UpstreamDropLog(log, clock);
    drops.add('ws://a', 1, 'm');
    drops.add('ws://b', 5, 'm');
    drops.add('ws://a', 2, 'm');
    expect(clock.pending).toBe(1);
    drops.close();
    expect(clock.pending).toBe(0);
    expect(lines).toEqual([
      'warn upstream ws://a dropped 1 event for this relay (1 in total; every client was told): m',
      'warn upstream ws://b dropped 5 events for this relay (5 in total; every client was told): m',
      'warn upstream ws://a dropped 2 events for this relay (3 in total; every client was told): m',
    ]);
  });
});
