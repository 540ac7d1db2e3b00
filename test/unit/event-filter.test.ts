import { describe, expect, it } from 'vitest';
import { compileEventFilter } from '../../src/filter/event-filter.js';
import { unfilteredEventFilter } from '../../src/filter/unfiltered.js';

describe('unfilteredEventFilter', () => {
  it('is what compileEventFilter makes of a spec with no filter (tail uses it without loading the filters)', () => {
    expect(unfilteredEventFilter()).toStrictEqual(compileEventFilter({ types: [], excludeTypes: [], servers: [], groups: [], where: [], whereLabel: '--where' }));
  });

  it('is a new object each time: no caller can change another\'s', () => {
    expect(unfilteredEventFilter()).not.toBe(unfilteredEventFilter());
    expect(unfilteredEventFilter().unknownTypes).not.toBe(unfilteredEventFilter().unknownTypes);
  });
});
