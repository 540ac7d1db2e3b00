import { describe, expect, it } from 'vitest';
import { EVENT_CATALOG, EVENT_CATEGORIES } from '../../src/protocol/catalog.js';
import { isSecurityType, SEVERITIES, severityOf, severityOfType, splitWords } from '../../src/render/event-severity.js';

describe('severityOf', () => {
  it('gives each category its levels: success, warning, error for what went right or wrong, security for what an operator must see', () => {
    const cases: Record<string, string> = {
      // lifecycle
      McpServerStarted: 'success',
      McpServerStopped: 'info',
      McpServerDegraded: 'warning',
      // health
      HealthCheckPassed: 'success',
      HealthCheckFailed: 'error',
      McpServerIdleDetected: 'info',
      // invocation
      ToolInvocationRequested: 'info',
      ToolInvocationCompleted: 'success',
      ToolInvocationFailed: 'error',
      // discovery
      McpServerDiscovered: 'info',
      McpServerDiscoveryLost: 'warning',
      McpServerQuarantined: 'security',
      // approvals
      ToolApprovalRequested: 'security',
      ToolApprovalGranted: 'success',
      ToolApprovalDenied: 'warning',
      ToolApprovalExpired: 'warning',
      ToolWithdrawn: 'warning',
      ToolRestored: 'success',
      // enforcement
      DigestMismatchEvent: 'security',
      CapabilityViolationDetected: 'security',
      EgressPolicyViolationObserved: 'security',
      EgressPolicySet: 'info',
      ResponseTruncated: 'warning',
      // auth
      AuthenticationFailed: 'security',
      AuthorizationDenied: 'security',
      RateLimitLockout: 'security',
      QuotaExceeded: 'security',
      QuotaWarningThresholdReached: 'warning',
      AuthenticationSucceeded: 'info',
      // administration
      McpServerRegistered: 'info',
      ToolAccessPolicySet: 'info',
      // operations
      ConfigurationReloaded: 'success',
      ConfigurationReloadFailed: 'error',
      McpServerLoadFailed: 'error',
      // tasks
      TaskCompleted: 'success',
      TaskFailed: 'error',
      DigestMismatchInTask: 'security',
      // groups
      GroupCircuitOpened: 'error',
      GroupCircuitClosed: 'success',
      GroupCreated: 'info',
      // analysis
      SessionSuspended: 'security',
      EnforcementActionTaken: 'security',
      SessionUnsuspended: 'info',
      // interceptors
      InterceptorInvoked: 'info',
      // a deprecated alias takes its current type's level
      ProviderQuarantined: 'security',
      ProviderRegistered: 'info',
    };
    for (const [type, severity] of Object.entries(cases)) expect([type, severityOf({ event_type: type })]).toEqual([type, severity]);
    // Every category is covered by at least one case above.
    const covered = new Set(Object.keys(cases).map((t) => EVENT_CATALOG.find((i) => i.name === t)!.category));
    expect([...covered].sort()).toEqual([...EVENT_CATEGORIES].sort());
  });
  it("refines the type's level by the event's own fields", () => {
    // A batch is green only when nothing failed; all failed is an error.
    expect(severityOf({ event_type: 'BatchInvocationCompleted', total: 5, succeeded: 5, failed: 0 })).toBe('success');
    expect(severityOf({ event_type: 'BatchInvocationCompleted', total: 5, succeeded: 3, failed: 2 })).toBe('warning');
    expect(severityOf({ event_type: 'BatchInvocationCompleted', total: 5, succeeded: 0, failed: 5 })).toBe('error');
    expect(severityOf({ event_type: 'SomethingSummarised', failed_count: 1 })).toBe('warning');
    expect(severityOf({ event_type: 'BatchCallCompleted', success: true })).toBe('success');
    expect(severityOf({ event_type: 'BatchCallCompleted', success: false, error_type: 'TimeoutError' })).toBe('error');
    // The event's own severity.
    expect(severityOf({ event_type: 'CustomAudit', severity: 'critical' })).toBe('error');
    expect(severityOf({ event_type: 'CustomAudit', severity: 'medium' })).toBe('warning');
    expect(severityOf({ event_type: 'CustomAudit', severity: 'low' })).toBe('info');
    // A security type stays security whatever it says of itself.
    expect(severityOf({ event_type: 'CapabilityViolationDetected', severity: 'low' })).toBe('security');
    // Enforcement that did something is security, on any type.
    expect(severityOf({ event_type: 'CustomCheck', enforcement: 'block' })).toBe('security');
    expect(severityOf({ event_type: 'CustomCheck', enforcement: 'none' })).toBe('info');
    expect(severityOf({ event_type: 'GroupMemberHealthChanged', in_rotation: false })).toBe('warning');
    expect(severityOf({ event_type: 'TaskConsentDecided', granted: false })).toBe('warning');
  });
  it('classifies unknown types by the words of their name', () => {
    expect(severityOfType('SomethingRejected')).toBe('error');
    expect(severityOfType('HTTPError')).toBe('error');
    expect(severityOfType('tools/call_failed')).toBe('error');
    expect(severityOfType('ToolInvocationTimeout')).toBe('warning');
    expect(severityOfType('RequestTimedOut')).toBe('warning');
    expect(severityOfType('PolicyViolationFound')).toBe('security');
    expect(severityOfType('AccessDenied')).toBe('security');
    expect(severityOfType('DeploymentSucceeded')).toBe('success');
    expect(severityOfType('tools/request')).toBe('info');
    expect(severityOfType('FailedButRecovered')).toBe('error');
    expect(severityOfType('')).toBe('info');
  });
  it('classifies state changes by their new state', () => {
    const server = (new_state: string) => severityOf({ event_type: 'McpServerStateChanged', old_state: 'x', new_state });
    expect(server('dead')).toBe('error');
    expect(server('degraded')).toBe('warning');
    expect(server('ready')).toBe('success');
    expect(server('initializing')).toBe('info');
    expect(server('cold')).toBe('info');
    const breaker = (new_state: string) => severityOf({ event_type: 'CircuitBreakerStateChanged', new_state });
    expect(breaker('open')).toBe('error');
    expect(breaker('half_open')).toBe('warning');
    expect(breaker('closed')).toBe('success');
    expect(severityOf({ event_type: 'GroupStateChanged', new_state: 'healthy' })).toBe('success');
    expect(severityOf({ event_type: 'SomeUnknownStateChanged', new_state: 'dead' })).toBe('error');
    expect(severityOf({ event_type: 'McpServerStateChanged', new_state: 42 })).toBe('info');
  });
  it('gives every catalog type one of the five levels, and marks the security types', () => {
    for (const info of EVENT_CATALOG) expect(SEVERITIES).toContain(severityOfType(info.name));
    const security = EVENT_CATALOG.filter((i) => i.emitted && isSecurityType(i.name)).map((i) => i.name);
    for (const name of ['DigestMismatchEvent', 'CapabilityViolationDetected', 'EgressPolicyViolationObserved', 'AuthenticationFailed', 'AuthorizationDenied', 'RateLimitLockout', 'QuotaExceeded', 'SessionSuspended', 'ToolApprovalRequested']) {
      expect(security).toContain(name);
    }
  });
  it('splits CamelCase, acronyms and separators into words', () => {
    expect(splitWords('McpServerIdleDetected')).toEqual(['mcp', 'server', 'idle', 'detected']);
    expect(splitWords('HTTPErrorV2')).toEqual(['http', 'error', 'v2']);
    expect(splitWords('tools/call_failed.now-x')).toEqual(['tools', 'call', 'failed', 'now', 'x']);
  });
});
