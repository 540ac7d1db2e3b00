import { describe, expect, it } from 'vitest';
import { toServeOptions } from '../../src/commands/serve/options.js';
import { UsageError } from '../../src/errors.js';

describe('serve: --approval-timeout and --no-approvals', () => {
  it('has a gate by default, holding calls 300 s, and takes the duration grammar', () => {
    expect(toServeOptions({}, {}).server).toMatchObject({ approvals: true, approvalTimeoutMs: 300_000 });
    expect(toServeOptions({ approvalTimeout: '2m' }, {}).server.approvalTimeoutMs).toBe(120_000);
    expect(toServeOptions({ approvalTimeout: '1500ms' }, {}).server.approvalTimeoutMs).toBe(1_500);
    expect(toServeOptions({ approvalTimeout: '45' }, {}).server.approvalTimeoutMs).toBe(45_000);
  });

  it('refuses a timeout that is not a duration or too short, and one given with --no-approvals', () => {
    expect(() => toServeOptions({ approvalTimeout: 'soon' }, {})).toThrow(/invalid --approval-timeout 'soon': expected a duration/);
    expect(() => toServeOptions({ approvalTimeout: '50ms' }, {})).toThrow(/must be at least 100ms/);
    expect(() => toServeOptions({ approvals: false, approvalTimeout: '10s' }, {})).toThrow(UsageError);
    expect(toServeOptions({ approvals: false }, {}).server.approvals).toBe(false);
  });

  it('a relay without the demo has no gate of its own (its approvals are the gateway\'s); with --demo it has one', () => {
    expect(toServeOptions({ upstream: ['ws://gateway:8000'] }, {}).server.approvals).toBe(false);
    expect(() => toServeOptions({ upstream: ['ws://gateway:8000'], approvalTimeout: '10s' }, {})).toThrow(/has no gate/);
    expect(toServeOptions({ upstream: ['ws://gateway:8000'], demo: true }, {}).server.approvals).toBe(true);
    expect(toServeOptions({ replay: 'x.ndjson' }, {}).server.approvals).toBe(true);
  });
});
