import { describe, expect, it } from 'vitest';
import { sleep, systemClock } from '../../src/io/clock.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('FakeClock', () => {
  it('fires timeouts in due order as it is stepped, reading each due time while the callback runs', () => {
    const clock = new FakeClock({ nowMs: 10_000, monotonicMs: 0 });
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.monotonicMs()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.monotonicMs()}`), 100);
    clock.setTimeout(() => fired.push(`a2@${clock.monotonicMs()}`), 100);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(150);
    expect(fired).toEqual(['a@100', 'a2@100', 'b@200']);
    expect(clock.monotonicMs()).toBe(249);
    expect(clock.now()).toBe(10_249);
    expect(clock.pending).toBe(0);
  });

  it('cancels, repeats intervals, and fires a timer set by a callback within the same step', () => {
    const clock = new FakeClock({ monotonicMs: 0 });
    const fired: number[] = [];
    const cancelled = clock.setTimeout(() => fired.push(-1), 10);
    cancelled.cancel();
    cancelled.cancel();
    const every = clock.setInterval(() => fired.push(clock.monotonicMs()), 30);
    clock.setTimeout(() => clock.setTimeout(() => fired.push(1000 + clock.monotonicMs()), 5), 40);
    clock.advance(100);
    expect(fired).toEqual([30, 1045, 60, 90]);
    every.cancel();
    expect(clock.nextDueIn()).toBeUndefined();
    clock.advance(100);
    expect(fired).toHaveLength(4);
  });

  it('advanceAsync lets awaiting code run between timers', async () => {
    const clock = new FakeClock({ monotonicMs: 0 });
    const steps: number[] = [];
    const run = (async () => {
      await sleep(clock, 50);
      steps.push(clock.monotonicMs());
      await sleep(clock, 50);
      steps.push(clock.monotonicMs());
    })();
    await clock.advanceAsync(120);
    await run;
    expect(steps).toEqual([50, 100]);
  });
});

describe('systemClock', () => {
  it('reads the real clocks and runs real timers', async () => {
    const clock = systemClock();
    const before = clock.monotonicMs();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1000);
    await sleep(clock, 5);
    expect(clock.monotonicMs()).toBeGreaterThan(before);
    let fired = false;
    clock.setTimeout(() => (fired = true), 1).cancel();
    await sleep(clock, 10);
    expect(fired).toBe(false);
  });
});
