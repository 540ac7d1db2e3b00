import { describe, expect, it } from 'vitest';
import { keepOldGenerationTight, keepYoungGenerationSmall, namesHeapGrowing, namesYoungGeneration, OLD_GENERATION_GROWING_PERCENT } from '../../src/commands/serve/register.js';

describe("serve's V8 heap settings (issue 24: serve's memory)", () => {
  it('sets the young generation growth and the old generation headroom, each as one V8 flag', () => {
    const flags: string[] = [];
    keepYoungGenerationSmall((flag) => flags.push(flag));
    keepOldGenerationTight((flag) => flags.push(flag));
    expect(flags).toEqual(['--semi-space-growth-factor=1', `--heap-growing-percent=${OLD_GENERATION_GROWING_PERCENT}`]);
    expect(OLD_GENERATION_GROWING_PERCENT).toBeGreaterThan(0);
  });

  it('leaves a heap growing setting given to node as it is (node --heap-growing-percent=0 gives V8 its own back)', () => {
    expect(namesHeapGrowing(['--heap-growing-percent=0'])).toBe(true);
    expect(namesHeapGrowing(['--heap_growing_percent=50'])).toBe(true);
    expect(namesHeapGrowing(['--expose-gc', '--max-semi-space-size=16'])).toBe(false);
    expect(namesHeapGrowing([])).toBe(false);
  });

  it('leaves a young generation setting given to node as it is, from its flags or NODE_OPTIONS', () => {
    expect(namesYoungGeneration([], '--max-semi-space-size=16')).toBe(true);
    expect(namesYoungGeneration(['--semi_space_growth_factor=2'], undefined)).toBe(true);
    expect(namesYoungGeneration(['--heap-growing-percent=0'], '--max-old-space-size=512')).toBe(false);
  });
});
