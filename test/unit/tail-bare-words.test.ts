import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { isBareWord, rejectUnresolvedBareWords } from '../../src/commands/tail/bare-words.js';

const notFound = async (host: string) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

describe('bare words as tail positionals', () => {
  it('are single words: not a URL, not host:port, not a dotted name, not localhost', () => {
    expect(['github', 'math-1', 'gateway'].map(isBareWord)).toEqual([true, true, true]);
    expect(['ws://github', 'github:8000', 'gw.internal', 'localhost', 'https://h/api', '10.0.0.1'].map(isBareWord)).toEqual([false, false, false, false, false, false]);
  });

  it('that do not resolve are a usage error with the -s hint; those that resolve, or cannot be checked now, pass', async () => {
    await expect(rejectUnresolvedBareWords(['github'], notFound)).rejects.toThrow(UsageError);
    await expect(rejectUnresolvedBareWords(['github'], notFound)).rejects.toThrow(/did you mean -s github\?/);
    await expect(rejectUnresolvedBareWords(['gateway'], async () => ({ address: '10.0.0.5', family: 4 }))).resolves.toBeUndefined();
    const offline = async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    };
    await expect(rejectUnresolvedBareWords(['gateway'], offline)).resolves.toBeUndefined();
  });
});
