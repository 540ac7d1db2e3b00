import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createKeyChecker, presentedCredential } from '../../src/server/auth.js';
import { formatRefusalResponse, guardRequest, hostOfHeader, isLoopbackHost, type GuardConfig } from '../../src/server/request-guard.js';

const request = (headers: Record<string, string>) => ({ headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) }) as unknown as IncomingMessage;

describe('auth', () => {
  it('checks X-API-Key and Bearer against every key', () => {
    const check = createKeyChecker(['alpha', 'beta']);
    expect(check({})).toBe('missing');
    expect(check({ 'x-api-key': 'alpha' })).toBe('ok');
    expect(check({ authorization: 'Bearer beta' })).toBe('ok');
    expect(check({ authorization: 'bearer   beta  ' })).toBe('ok');
    expect(check({ 'x-api-key': 'alph' })).toBe('wrong');
    expect(check({ 'x-api-key': '' })).toBe('missing');
    expect(check({ authorization: 'Basic YWxwaGE=' })).toBe('wrong');
    expect(createKeyChecker([])({})).toBe('ok');
    expect(presentedCredential({ 'x-api-key': 'a', authorization: 'Bearer b' })).toBe('a');
  });
});

describe('request guard', () => {
  const config: GuardConfig = { loopbackBind: true, allowOrigins: ['https://ok.example'], checkAuth: createKeyChecker(['key']) };

  it('recognises loopback names and parses Host headers', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'app.localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '10.0.0.1', 'evil.example', '128.0.0.1', 'localhost.evil.example']) expect(isLoopbackHost(host)).toBe(false);
    expect(hostOfHeader('localhost:8000')).toBe('localhost');
    expect(hostOfHeader('[::1]:8000')).toBe('::1');
    expect(hostOfHeader('::1')).toBe('::1');
  });

  it('checks Host, then Origin, then credentials', () => {
    expect(guardRequest(request({ host: 'evil.example:8000', 'x-api-key': 'key' }), config)).toMatchObject({ status: 403, code: 'host_not_allowed' });
    expect(guardRequest(request({ host: '127.0.0.1:8000', origin: 'https://evil.example', 'x-api-key': 'key' }), config)).toMatchObject({ status: 403, code: 'origin_not_allowed' });
    expect(guardRequest(request({ host: '127.0.0.1:8000', origin: 'https://ok.example' }), config)).toMatchObject({ status: 401 });
    expect(guardRequest(request({ host: '127.0.0.1:8000', 'x-api-key': 'nope' }), config)).toMatchObject({ status: 403, code: 'forbidden' });
    expect(guardRequest(request({ host: '127.0.0.1:8000', 'x-api-key': 'key' }), config)).toBeUndefined();
    expect(guardRequest(request({ host: 'anything.example', 'x-api-key': 'key' }), { ...config, loopbackBind: false })).toBeUndefined();
  });

  it('names no flag when embedded; serve passes how to allow an origin', () => {
    const origin = request({ host: '127.0.0.1:8000', origin: 'https://evil.example', 'x-api-key': 'key' });
    const embedded = guardRequest(origin, config);
    expect(embedded?.message).toBe('requests from this web origin are not allowed; add it to the allowed origins of the server to allow it');
    expect(guardRequest(origin, { ...config, allowOriginHint: 'start serve with --allow-origin <origin>' })?.message).toBe(
      'requests from this web origin are not allowed; start serve with --allow-origin <origin> to allow it',
    );
  });

  it('formats a complete HTTP response', () => {
    const text = formatRefusalResponse({ status: 401, code: 'unauthorized', message: 'an API key is required' });
    expect(text).toBe(
      'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 59\r\n\r\n{"error":"unauthorized","message":"an API key is required"}',
    );
  });
});
