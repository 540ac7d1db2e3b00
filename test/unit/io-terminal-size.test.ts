import { describe, expect, it } from 'vitest';
import { terminalSize } from '../../src/io/terminal-size.js';

describe('terminalSize', () => {
  it('takes what the terminal reports', () => {
    expect(terminalSize({ columns: 132, rows: 40 }, { COLUMNS: '100', LINES: '30' })).toEqual({ columns: 132, rows: 40 });
  });
  it('falls back to COLUMNS and LINES when the terminal reports 0 or nothing, per dimension', () => {
    expect(terminalSize({ columns: 0, rows: 0 }, { COLUMNS: '100', LINES: '30' })).toEqual({ columns: 100, rows: 30 });
    expect(terminalSize({ columns: undefined, rows: 50 }, { COLUMNS: ' 100 ' })).toEqual({ columns: 100, rows: 50 });
  });
  it('falls back to 80x24 when neither gives a usable size', () => {
    expect(terminalSize({ columns: 0, rows: 0 }, {})).toEqual({ columns: 80, rows: 24 });
    expect(terminalSize({ columns: 0, rows: undefined }, { COLUMNS: '0', LINES: 'lots' })).toEqual({ columns: 80, rows: 24 });
    expect(terminalSize({ columns: 0, rows: 0 }, { COLUMNS: '-5', LINES: '2.5' })).toEqual({ columns: 80, rows: 24 });
  });
});
