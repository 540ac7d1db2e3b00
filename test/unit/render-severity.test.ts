import { describe, expect, it } from 'vitest';
import { EVENT_CATALOG } from '../../src/protocol/catalog.js';
import { severityOf, severityOfType, splitWords } from '../../src/render/severity.js';

describe('severityOf', () => {
  it('classifies the common types by name', () => {
    const cases: Record<string, string> = {
      HealthCheckFailed: 'failure',
      ToolInvocationFailed: 'failure',
      McpServerDiscoveryLost: 'failure',
      ProviderDiscoveryLost: 'failure',
      McpServerDegraded: 'warning',
      McpServerIdleDetected: 'warning',
      HealthCheckPassed: 'success',
      ToolInvocationCompleted: 'success',
      McpServerStarted: 'success',
      ProviderStarted: 'success',
      McpServerRegistered: 'success',
      DiscoveryCycleCompleted: 'success',
      McpServerDeregistered: 'neutral',
      McpServerStopped: 'neutral',
      ToolInvocationRequested: 'neutral',
      McpServerDiscovered: 'neutral',
    };
    for (const [type, severity] of Object.entries(cases)) expect([type, severityOf({ event_type: type })]).toEqual([type, severity]);
  });
  it('classifies unknown types by the words of their name', () => {
    expect(severityOfType('SomethingRejected')).toBe('failure');
    expect(severityOfType('HTTPError')).toBe('failure');
    expect(severityOfType('tools/call_failed')).toBe('failure');
    expect(severityOfType('ToolInvocationTimeout')).toBe('warning');
    expect(severityOfType('RequestTimedOut')).toBe('warning');
    expect(severityOfType('McpServerQuarantined')).toBe('warning');
    expect(severityOfType('DeploymentSucceeded')).toBe('success');
    expect(severityOfType('tools/request')).toBe('neutral');
    expect(severityOfType('FailedButRecovered')).toBe('failure');
    expect(severityOfType('')).toBe('neutral');
  });
  it('classifies state changes by their new state', () => {
    const server = (new_state: string) => severityOf({ event_type: 'McpServerStateChanged', old_state: 'x', new_state });
    expect(server('dead')).toBe('failure');
    expect(server('degraded')).toBe('warning');
    expect(server('ready')).toBe('success');
    expect(server('initializing')).toBe('info');
    expect(server('cold')).toBe('neutral');
    const breaker = (new_state: string) => severityOf({ event_type: 'CircuitBreakerStateChanged', new_state });
    expect(breaker('open')).toBe('warning');
    expect(breaker('half_open')).toBe('info');
    expect(breaker('closed')).toBe('success');
    expect(severityOf({ event_type: 'ProviderStateChanged', new_state: 'dead' })).toBe('failure');
    expect(severityOf({ event_type: 'McpServerStateChanged', new_state: 42 })).toBe('neutral');
  });
  it('gives every catalog type a severity', () => {
    for (const info of EVENT_CATALOG) expect(['failure', 'warning', 'success', 'info', 'neutral']).toContain(severityOfType(info.name));
  });
  it('splits CamelCase, acronyms and separators into words', () => {
    expect(splitWords('McpServerIdleDetected')).toEqual(['mcp', 'server', 'idle', 'detected']);
    expect(splitWords('HTTPErrorV2')).toEqual(['http', 'error', 'v2']);
    expect(splitWords('tools/call_failed.now-x')).toEqual(['tools', 'call', 'failed', 'now', 'x']);
  });
});
