// AKS profile: a real quiet AKS body (../shared/fixtures/aks/sysdiglabs_aks-audit-log/event.json,
// 22 kube-audit records) goes through the real envelope + normalizer and must produce no
// detections under the aks profile; the plain falco profile flags AKS's own identities.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, detect } from '../functions/detect/index.js';
import { unwrapEvent } from '../functions/envelope/index.js';
import { normalizeRecords, type NormalizeSink } from '../functions/normalize/index.js';
import type { SourcedRecord } from '../functions/normalize/index.js';
import type { DeadLetter } from '../functions/contracts.js';

const file = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/fixtures/aks/sysdiglabs_aks-audit-log/event.json');

function rowsOf(path: string): NormalizeSink {
  const sink = { records: [] as SourcedRecord[], deadLetters: [] as DeadLetter[] };
  unwrapEvent({ body: readFileSync(path), position: { source: 'file', partitionId: '0', sequenceNumber: 0, offset: '0' } }, sink, { defaultCluster: 'x', maxBodyBytes: 4 << 20 });
  const out: NormalizeSink = { AksAudit: [], AksControlPlane: [], deadLetters: [...sink.deadLetters] };
  normalizeRecords(sink.records, out, { clock: new Date('2020-06-15T00:00:00Z') });
  return out;
}

describe.skipIf(!existsSync(file))('AKS profile on real AKS audit records', () => {
  it('normalizes all 22 records', () => {
    const r = rowsOf(file);
    expect(r.deadLetters).toEqual([]);
    expect(r.AksAudit).toHaveLength(22);
  });

  it('a quiet AKS cluster produces zero detections under the aks profile', () => {
    const r = rowsOf(file);
    expect(detect(r, defaultPolicy('aks'), new Date(0))).toEqual([]);
  });

  it('the falco profile (no AKS knowledge) flags AKS identities as disallowed users', () => {
    const r = rowsOf(file);
    const users = new Set(detect(r, defaultPolicy('falco'), new Date(0)).filter((d) => d.Rule === 'Disallowed K8s User').map((d) => d.User));
    expect(users).toEqual(new Set(['aksService', 'nodeclient']));
  });
});
