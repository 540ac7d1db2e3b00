import { describe, expect, it } from 'vitest';
import { formatContextList } from '../../src/commands/context/format-list.js';
import { plainTable, plainTableLines } from '../../src/render/plain-table.js';

describe('plainTable (tables printed once)', () => {
  it('lays columns out two spaces apart, without borders or trailing spaces, indented on request', () => {
    const table = plainTable({ head: ['NAME', 'COUNT'], colAligns: ['left', 'right'], indent: 2 });
    table.push(['alpha', '7'], ['b', '1234']);
    expect(plainTableLines(table)).toEqual(['  NAME   COUNT', '  alpha      7', '  b       1234']);
  });

  it('measures colored cells by what shows', () => {
    const table = plainTable();
    table.push(['\u001b[31mred\u001b[39m', 'x'], ['longer', 'y']);
    expect(plainTableLines(table)).toEqual(['\u001b[31mred\u001b[39m     x', 'longer  y']);
  });

  it('prints nothing for a table with no rows and no head', () => {
    expect(plainTableLines(plainTable())).toEqual([]);
  });
});

describe('context list', () => {
  it('shows where each key is read from, the TLS settings and the current context', () => {
    const text = formatContextList({
      current: 'prod',
      contexts: {
        prod: { url: 'wss://hangar.example.com', apiKeyEnv: 'PROD_HANGAR_KEY' },
        staging: { url: 'ws://staging.internal:8000', apiKeyFile: '/home/ada/staging.key', bearer: true, ca: '/etc/ca.pem' },
        lab: { url: 'ws://127.0.0.1:8000', insecure: true },
      },
    });
    expect(text.split('\n')).toEqual([
      'CURRENT  NAME     URL                          KEY                                  TLS',
      '*        prod     wss://hangar.example.com/    $PROD_HANGAR_KEY                     -',
      '         staging  ws://staging.internal:8000/  file /home/ada/staging.key (bearer)  ca /etc/ca.pem',
      '         lab      ws://127.0.0.1:8000/         -                                    insecure',
      '',
    ]);
  });

  it('never prints a credential or a control character from a hand-written file', () => {
    const text = formatContextList({
      contexts: { old: { url: 'ws://ada:SECRET@gw.example:9/api/ws/events?token=SECRET2', apiKeyFile: '/tmp/k\u001b[2Jey' } },
    });
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('token=***');
  });

  it('is empty without contexts', () => {
    expect(formatContextList({ contexts: {} })).toBe('');
  });
});
