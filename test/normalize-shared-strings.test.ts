// Audit Events parsed from text get shared copies of their repeated strings before the row is
// built (normalize/index.ts shareRepeats). Values must stay exactly what JSON.parse gave:
// same rows, same own keys, nothing taken from a polluted prototype, `__proto__` keys kept.
import { afterEach, describe, expect, it } from 'vitest';
import type { AksAuditRow } from '../functions/contracts.js';
import { auditEventToRow, normalizeRecords, type NormalizeSink } from '../functions/normalize/index.js';
import { auditEvent, rawRecord } from './support/records.js';

const rec = (log: string) => rawRecord({ category: 'kube-audit', stream: 'stdout', log });
function rows(...logs: string[]): AksAuditRow[] {
  const out: NormalizeSink = { AksAudit: [], AksControlPlane: [], deadLetters: [] };
  normalizeRecords(logs.map(rec), out, { fallbackYear: 2024 });
  expect(out.deadLetters).toEqual([]);
  return out.AksAudit;
}

const long = (s: string): string => `${s}-${'x'.repeat(24)}`;
const event = (id: string) =>
  auditEvent({
    auditID: id,
    requestURI: long('/api/v1/namespaces/kube-system/configmaps/leader'),
    user: { username: long('system:serviceaccount:kube-system:ctrl'), groups: [long('system:serviceaccounts'), 'short', 7] },
    objectRef: { resource: 'configmaps', namespace: long('kube-system'), name: long('leader'), apiVersion: 'v1' },
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': long('RBAC: allowed by RoleBinding') },
  });

afterEach(() => {
  delete (Object.prototype as Record<string, unknown>).polluted;
});

describe('shared strings of parsed audit Events', () => {
  it('rows equal the rows built from the same text without sharing, event after event', () => {
    const texts = ['a-1', 'a-2', 'a-3'].map((id) => JSON.stringify(event(id)));
    const got = rows(...texts);
    got.forEach((row, i) => expect(row).toEqual(auditEventToRow(JSON.parse(texts[i]!) as Record<string, unknown>, rec(texts[i]!), texts[i])));
    expect(got[2]!.UserGroups).toEqual([long('system:serviceaccounts'), 'short', 7]);
  });

  it('a polluted Object.prototype adds no own property; a __proto__ key stays an own string', () => {
    (Object.prototype as Record<string, unknown>).polluted = long('from the prototype');
    const text = JSON.stringify(event('p-1')).replace('"annotations":{', `"annotations":{"__proto__":"${long('kept')}",`);
    const [row] = rows(text);
    for (const o of [row!.ObjectRef, row!.Annotations, row!.User] as Record<string, unknown>[]) expect(Object.hasOwn(o, 'polluted')).toBe(false);
    const ann = row!.Annotations as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(ann, '__proto__')?.value).toBe(long('kept'));
    expect(Object.getPrototypeOf(ann)).toBe(Object.prototype);
  });
});
