import { afterEach, describe, expect, test } from 'vitest';
import { createRng, deeplyNested, hostileNdjsonLine, hostileSeed, hostileString, INVALID_UTF8, PROTO_KEYS, prototypePolluted, seedNote } from '../helpers/hostile-fuzz.js';
import { closeHostile, health, httpRequest, scaled, startHostileServer } from '../helpers/hostile-net.js';

/**
 * Promise: hostile requests at serve's approvals REST never crash it nor
 * decide anything: every resolve body that is not a decision gets its 400 (or
 * 413), hostile ids get 404, nothing is 5xx, /health answers throughout, the
 * held approvals stay pending and no prototype is polluted.
 */

const SEED = hostileSeed();
const NOTE = seedNote(SEED);
afterEach(closeHostile);

describe('hostile requests at the approvals REST', () => {
  test(`hundreds of hostile resolve bodies and ids decide nothing and answer 4xx ${NOTE}`, async () => {
    const rng = createRng(SEED);
    const server = await startHostileServer();
    const gate = server.approvals!;
    const ids = ['held-1', 'held-2'];
    const decided: string[] = [];
    for (const id of ids) gate.hold({ approvalId: id, providerId: 'github', toolName: 'create_issue', arguments: {}, channel: 'slack', correlationId: id, requestedBy: null, tenantId: null }, () => decided.push(id));
    const bodies: (string | Buffer)[] = [
      ...INVALID_UTF8,
      deeplyNested(30_000),
      deeplyNested(30_000, 'object'),
      ...PROTO_KEYS.map((k) => `{"${k}": {"decision": "approve"}}`),
      ...PROTO_KEYS.map((k) => `{"decision": {"${k}": "approve"}}`),
      '{"decision": ["approve"]}',
      '{"decision": "approve ", "reason": null}',
      '{"decision": null}',
      '"approve"',
      'null',
      '',
    ];
    for (let i = 0; i < scaled(300, 5_000); i++) {
      const line = hostileNdjsonLine(rng, i).text;
      bodies.push(line);
      bodies.push(JSON.stringify({ decision: hostileString(rng), reason: hostileString(rng) }));
    }
    const statuses = new Map<number, number>();
    for (const body of bodies) {
      const id = rng.pick(ids);
      const res = await httpRequest(server.port, `/api/approvals/${id}/resolve`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect([400, 413], `${res.status} ${res.body.slice(0, 200)} for ${String(body).slice(0, 80)} ${NOTE}`).toContain(res.status);
      expect(() => JSON.parse(res.body)).not.toThrow();
    }
    for (let i = 0; i < scaled(200, 3_000); i++) {
      const raw = hostileString(rng);
      const id = rng.int(0, 3) === 0 ? raw.replace(/[^\x21-\x7e]/g, '%') : encodeURIComponent(raw);
      if (ids.includes(decodeURIComponentSafe(id))) continue;
      for (const [path, method] of [[`/api/approvals/${id}`, 'GET'], [`/api/approvals/${id}/resolve`, 'POST'], [`/api/approvals?state=${id}&provider_id=${id}`, 'GET']] as const) {
        const res = await httpRequest(server.port, path, { method, body: '{"decision":"approve"}' });
        // 405: an id with a '?' or '/' in it turns the path into another route's.
        expect([200, 400, 404, 405], `${res.status} for ${path} ${NOTE}`).toContain(res.status);
        expect(() => JSON.parse(res.body)).not.toThrow();
      }
    }
    expect(decided, NOTE).toEqual([]);
    expect(gate.list('pending').map((a) => a.approval_id).sort(), NOTE).toEqual(ids);
    expect((await health(server.port)).status).toBe('ok');
    expect(prototypePolluted(), NOTE).toBeUndefined();
    expect([...statuses.keys()].sort()).toEqual([400, 413].filter((s) => statuses.has(s)));
  });
});

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
