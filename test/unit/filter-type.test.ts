import { describe, expect, it } from 'vitest';
import { compileTypeFilter, globToRegExp, isServerEvaluable, suggestTypes } from '../../src/filter/type-filter.js';
import { matchesGatewaySubscription } from '../../src/protocol/filter.js';

/** A fixed sample of type names (the filter must not depend on what the catalog holds). */
const known = [
  'McpServerRegistered', 'McpServerDeregistered', 'McpServerStarted', 'McpServerStopped', 'McpServerStateChanged', 'McpServerDegraded',
  'McpServerIdleDetected', 'HealthCheckPassed', 'HealthCheckFailed', 'ToolInvocationRequested', 'ToolInvocationCompleted',
  'ToolInvocationFailed', 'CircuitBreakerStateChanged', 'McpServerDiscovered', 'McpServerDiscoveryLost', 'DiscoveryCycleCompleted',
  'ProviderRegistered', 'ProviderDeregistered', 'ProviderStarted', 'ProviderStopped', 'ProviderStateChanged', 'ProviderDegraded',
  'ProviderIdleDetected', 'ProviderDiscovered',
];
const sample = [...known, 'tools/call', 'tools/request', 'resources/read', 'tools/call/x', 'Custom?Event'];
const matching = (include: string[], exclude: string[] = []) => sample.filter(compileTypeFilter(include, exclude).matches);

describe('compileTypeFilter', () => {
  it('knows the pre-rename names serve --profile legacy writes (ProviderStarted, ...) as deprecated aliases, not unknown types', () => {
    const filter = compileTypeFilter(['ProviderStarted', 'ProviderStateChanged', 'ProviderNonsense'], []);
    expect(filter.unknown).toEqual(['ProviderNonsense']);
    expect(filter.neverEmitted.map((n) => [n.name, n.current])).toEqual([
      ['ProviderStarted', 'McpServerStarted'],
      ['ProviderStateChanged', 'McpServerStateChanged'],
    ]);
  });
  it('matches everything and omits the server key when nothing is included', () => {
    const filter = compileTypeFilter([], []);
    expect(filter.serverPatterns).toBeUndefined();
    expect(sample.every(filter.matches)).toBe(true);
    expect(compileTypeFilter(['*'], []).serverPatterns).toBeUndefined();
  });
  it('sends exact names and segment patterns to the server as they are', () => {
    const filter = compileTypeFilter(['HealthCheckFailed', 'tools/*'], []);
    expect(filter.serverPatterns).toEqual(['HealthCheckFailed', 'tools/*']);
    expect(sample.filter(filter.matches)).toEqual(['HealthCheckFailed', 'tools/call', 'tools/request']);
  });
  it('widens the server filter for globs the gateway cannot evaluate, and filters exactly locally', () => {
    for (const include of [['*Failed'], ['HealthCheck*'], ['HealthCheckFailed', 'Tool*'], ['HealthCheck?assed'], ['[HT]*Failed'], ['tools/c*']]) {
      expect(compileTypeFilter(include, []).serverPatterns).toBeUndefined();
    }
    expect(matching(['*Failed'])).toEqual(['HealthCheckFailed', 'ToolInvocationFailed']);
    expect(matching(['Tool*'])).toEqual(['ToolInvocationRequested', 'ToolInvocationCompleted', 'ToolInvocationFailed']);
    expect(matching(['HealthCheck*'])).toEqual(['HealthCheckPassed', 'HealthCheckFailed']);
    expect(matching(['HealthCheck?assed'])).toEqual(['HealthCheckPassed']);
    expect(matching(['[HT]*Failed'])).toEqual(['HealthCheckFailed', 'ToolInvocationFailed']);
    expect(matching(['[!HTM]*'])).toEqual(['CircuitBreakerStateChanged', 'DiscoveryCycleCompleted', ...known.filter((n) => n.startsWith('Provider')), 'Custom?Event']);
    expect(matching(['tools/c*'])).toEqual(['tools/call']);
    expect(matching(['*/re*'])).toEqual(['tools/request', 'resources/read']);
  });
  it('never gives the server an empty list', () => {
    for (const include of [[], ['*'], ['A'], ['A*'], ['tools/*', 'X?']]) {
      const patterns = compileTypeFilter(include, ['B']).serverPatterns;
      expect(patterns === undefined || patterns.length > 0).toBe(true);
    }
  });
  it('is case-sensitive like the gateway', () => {
    expect(matching(['healthcheckfailed'])).toEqual([]);
    expect(matching(['health*'])).toEqual([]);
  });
  it('applies excludes locally, with the same pattern forms', () => {
    const filter = compileTypeFilter([], ['*Requested', 'HealthCheckPassed', 'tools/*']);
    expect(filter.serverPatterns).toBeUndefined();
    expect(sample.filter(filter.matches)).toEqual(sample.filter((t) => !t.endsWith('Requested') && t !== 'HealthCheckPassed' && t !== 'tools/call' && t !== 'tools/request'));
    expect(matching(['Tool*'], ['*Failed'])).toEqual(['ToolInvocationRequested', 'ToolInvocationCompleted']);
    const narrowed = compileTypeFilter(['HealthCheckFailed', 'HealthCheckPassed'], ['HealthCheckPassed']);
    expect(narrowed.serverPatterns).toEqual(['HealthCheckFailed', 'HealthCheckPassed']);
    expect(sample.filter(narrowed.matches)).toEqual(['HealthCheckFailed']);
  });
  it('gives the same result against a gateway and locally: server filter then local filter equals local filter', () => {
    const cases = [['*Failed'], ['HealthCheckFailed', 'tools/*'], ['Tool*', 'McpServerStarted'], ['tools/*'], ['*'], []];
    for (const include of cases) {
      const filter = compileTypeFilter(include, []);
      const viaGateway = sample.filter((t) => matchesGatewaySubscription({ eventTypes: filter.serverPatterns }, { event_type: t })).filter(filter.matches);
      expect(viaGateway).toEqual(sample.filter(filter.matches));
    }
  });
  it('lists exact names that are not in the catalog', () => {
    expect(compileTypeFilter(['HealthCheckFaild', 'Tool*', 'tools/*', 'HealthCheckFailed'], ['McpServerStated']).unknown).toEqual(['HealthCheckFaild', 'McpServerStated']);
  });
  it('deduplicates patterns', () => {
    expect(compileTypeFilter(['A', 'A', 'B'], []).serverPatterns).toEqual(['A', 'B']);
  });
});

describe('type patterns', () => {
  it('knows what the gateway evaluates', () => {
    expect(isServerEvaluable('*')).toBe(true);
    expect(isServerEvaluable('HealthCheckFailed')).toBe(true);
    expect(isServerEvaluable('tools/*')).toBe(true);
    expect(isServerEvaluable('*/request')).toBe(true);
    expect(isServerEvaluable('Health*')).toBe(false);
    expect(isServerEvaluable('tools/ca*')).toBe(false);
    expect(isServerEvaluable('Health?')).toBe(false);
    expect(isServerEvaluable('[AB]x')).toBe(false);
  });
  it('compiles globs with literal regex characters and unclosed classes', () => {
    expect(globToRegExp('a.b+(c)*').test('a.b+(c)zz')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('[ab').test('[ab')).toBe(true);
    expect(globToRegExp('[]x]y').test(']y')).toBe(true);
    expect(globToRegExp('[a-c]z').test('bz')).toBe(true);
    expect(globToRegExp('*').test('a/b')).toBe(false);
  });
});

describe('suggestTypes', () => {
  it('suggests close names from the catalog', () => {
    expect(suggestTypes('HealthCheckFaild')[0]).toBe('HealthCheckFailed');
    expect(suggestTypes('healthcheckfailed')).toEqual(['HealthCheckFailed']);
    expect(suggestTypes('McpServerStated')[0]).toBe('McpServerStarted');
    expect(suggestTypes('Zzzzzzzzzz')).toEqual([]);
  });
});
