// The landing format: AksAudit lines carry the named columns plus the audit Event's own JSON
// under `Event`, and the JSON mapping reads the copied columns from it. Whatever shape a row
// came in (Event Hub text, webhook object, salvaged cut, hand-built row), ADX must store the
// same values as the in-memory row the detectors saw.
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT, DEDUPED_ROWS, type AksAuditRow } from '../functions/contracts.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { AksAuditColumns } from '../functions/kusto/pipelineTables.js';
import { auditEventJson, auditNdjson, jsonString, rowsNdjson, Utf8Builder } from '../functions/land/ndjson.js';
import { dedupeRows, tablePayloads } from '../functions/land/payload.js';
import { auditEventToRow } from '../functions/normalize/audit.js';
import { normalizeRecords, type NormalizeSink, type SourcedRecord } from '../functions/normalize/index.js';
import { batchKey, processEvents } from '../functions/pipeline.js';
import { aksInput } from '../scripts/bench/aksInput.js';
import { ingested, stored } from './support/adxMapping.js';
import { auditEvent, rawRecord } from './support/records.js';

const lines = (buf: Buffer): Record<string, unknown>[] =>
  buf.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);


function expectLandedAsRows(rows: readonly AksAuditRow[]): Record<string, unknown>[] {
  const buf = auditNdjson(rows);
  const landed = lines(buf);
  expect(landed).toHaveLength(rows.length);
  expect(buf.toString('utf8').split('\n')).toHaveLength(rows.length + 1); // one line each, no break inside
  landed.forEach((l, i) => expect(ingested('AksAudit', l)).toEqual(stored('AksAudit', rows[i]!)));
  return landed;
}

const auditRec = (log: string): SourcedRecord => rawRecord({ category: 'kube-audit', stream: 'stdout', log });
function normalize(...records: SourcedRecord[]): NormalizeSink {
  const out: NormalizeSink = { AksAudit: [], AksControlPlane: [], deadLetters: [] };
  normalizeRecords(records, out, { clock: new Date('2024-06-15T00:00:00Z') });
  return out;
}

describe('AksAudit landing lines', () => {
  it('generated AKS traffic: every column ADX reads equals the row; the Event is the log text as received', async () => {
    const input = await aksInput(4_000, 7, 50);
    const logs = new Set<string>();
    for (const b of input.bodies)
      for (const r of (JSON.parse(b.toString('utf8')) as { records: { category: string; properties: { log: string } }[] }).records)
        if (r.category.startsWith('kube-audit')) logs.add(r.properties.log.trim());
    let audited = 0;
    for (const batch of input.batches) {
      const result = processEvents(batch, { policy: defaultPolicy('aks'), now: new Date('2025-01-01T00:00:00Z') });
      const landed = expectLandedAsRows(result.rows.AksAudit);
      // One serialization of those bytes: the source's own.
      for (const l of landed) expect(logs.has(JSON.stringify(l.Event))).toBe(true);
      const payload = tablePayloads(result, batchKey(batch)).payloads.find((p) => p.table === 'AksAudit')!;
      expect(payload.ndjson.equals(auditNdjson(result.rows.AksAudit))).toBe(true);
      audited += landed.length;
    }
    expect(audited).toBe(input.auditRecords);
  });

  it('lines name only the columns the mapping reads by name, plus Event', () => {
    const [row] = normalize(auditRec(JSON.stringify(auditEvent()))).AksAudit;
    const [line] = lines(auditNdjson([row!]));
    const named = AksAuditColumns.filter((c) => !('path' in c)).map((c) => c.name);
    expect(Object.keys(line!).sort()).toEqual([...named, 'Event'].sort());
    expect(named).toEqual(['TimeGenerated', 'Category', 'RequestReceivedTime', 'StageReceivedTime', 'PodName', 'ResourceId', 'Cluster', 'Truncated', 'Position']);
  });

  it('a text with a lone surrogate lands re-serialized; a pretty-printed one lands its own tokens on one line', () => {
    const pretty = JSON.stringify(auditEvent({ auditID: 'pretty-1', requestObject: { n: 1 } }), null, 2).replace('\n', '\r\n').replace('"n": 1', '"n": 9007199254740993');
    // JSON.stringify escapes the lone surrogate; AKS bodies deliver it raw inside the log text.
    const surrogate = JSON.stringify(auditEvent({ auditID: 'lone-1', userAgent: 'agent-\ud800-x' })).replace('\\ud800', '\ud800');
    expect(surrogate).toContain('\ud800');
    const { AksAudit: rows } = normalize(auditRec(`${pretty}\n`), auditRec(surrogate));
    const kept = rows.map((r) => (r as unknown as Record<symbol, unknown>)[AUDIT_EVENT]);
    // Line breaks between tokens become spaces: the integer past 2^53 keeps its digits.
    expect(kept[0]).toBe(pretty.replace(/[\r\n]/g, ' '));
    expect(kept[0]).toContain('"n": 9007199254740993');
    expect(typeof kept[1]).toBe('object');
    const landed = expectLandedAsRows(rows);
    expect(landed[1]!.Event).toMatchObject({ userAgent: 'agent-\ud800-x' });
  });

  it("whitespace around the text (AKS's trailing '\\n'): kept on the row, dropped in the line; a break inside becomes a space", () => {
    const text = JSON.stringify(auditEvent({ auditID: 'ws-1', userAgent: 'kubectl/v1.29 é' }));
    const variants = { plain: text, lf: `${text}\n`, crlf: `${text} \r\n\t`, leading: `\n  ${text}\n`, inside: text.replace('"verb"', '\n"verb"') };
    const { AksAudit: rows } = normalize(...Object.values(variants).map(auditRec));
    const kept = rows.map((r) => (r as unknown as Record<symbol, unknown>)[AUDIT_EVENT]);
    // The received string itself where only trailing whitespace surrounds it (no trimmed copy).
    expect(kept.slice(0, 3)).toEqual([variants.plain, variants.lf, variants.crlf]);
    expect(kept[3]).toBe(`${text}\n`);
    expect(kept[4]).toBe(text.replace('"verb"', ' "verb"'));
    const buf = auditNdjson(rows);
    const events = buf.toString('utf8').split('\n').slice(0, -1).map((l) => l.slice(l.indexOf(',"Event":') + 9, -1));
    expect(events).toEqual([text, text, text, text, kept[4]]);
    expect(rows.map((r) => auditEventJson(r))).toEqual(events);
    expectLandedAsRows(rows);
  });

  it('webhook events (parsed objects), salvaged cuts and hand-built rows land the same values', () => {
    const webhook = auditEventToRow(auditEvent({ auditID: 'hook-1', impersonatedUser: { username: 'bob' } }), rawRecord({ category: 'k8s-audit-webhook' }));
    const cut = JSON.stringify(auditEvent({ auditID: 'cut-1', requestObject: { pad: 'x'.repeat(100) } })).slice(0, 400);
    const salvaged = normalize(auditRec(cut)).AksAudit;
    expect(salvaged).toHaveLength(1);
    expect(salvaged[0]!.Truncated).toBe(true);
    // Built without the normalizer (no Event attached): the copied columns are put back where the mapping reads them.
    const { [AUDIT_EVENT]: _drop, ...bare } = webhook as unknown as Record<string | symbol, unknown>;
    const handBuilt = { ...bare, AuditId: 'hand-1' } as unknown as AksAuditRow;
    // Columns only the flattened form carries (no object beside them) are rebuilt too.
    const flatOnly = { ...bare, AuditId: 'hand-2', User: null, UserName: 'carol', UserGroups: null, SourceIps: null, SourceIp: '', Annotations: null, AuthorizationDecision: 'allow', AuthorizationReason: '' } as unknown as AksAuditRow;
    expectLandedAsRows([webhook, ...salvaged, handBuilt]);
    const [line] = lines(auditNdjson([flatOnly]));
    expect(ingested('AksAudit', line!)).toMatchObject({ User: { username: 'carol' }, UserName: 'carol', AuthorizationDecision: 'allow', SourceIps: null });
  });

  it('named columns are written per row: many interleaved pods/clusters, values that need escaping', () => {
    // More distinct (category, pod, resource id, cluster) than the encoder keeps encoded, cycling.
    const rows: AksAuditRow[] = [];
    for (let i = 0; i < 60; i++) {
      const k = (i * 7) % 23;
      const rec = rawRecord({ category: k % 2 ? 'kube-audit' : 'kube-audit-admin', pod: `api-${k}${k === 5 ? '"q\\\n' : ''}`, resourceId: `/subscriptions/s/resourcegroups/rg/providers/microsoft.containerservice/managedclusters/c${k % 3}`, cluster: `c${k % 3}é` });
      rows.push(auditEventToRow(auditEvent({ auditID: `id-${i}` }), rec, JSON.stringify(auditEvent({ auditID: `id-${i}` }))));
    }
    const landed = expectLandedAsRows(rows);
    landed.forEach((l, i) => expect([l.PodName, l.Cluster, l.Category]).toEqual([rows[i]!.PodName, rows[i]!.Cluster, rows[i]!.Category]));
  });

  it('landing dedupe: same auditID+stage collapses onto the first, other stages and id-less rows stay', () => {
    const r = (AuditId: string, Stage: string, n: number) => ({ AuditId, Stage, n });
    const rows = [r('a', 'ResponseComplete', 1), r('a', 'RequestReceived', 2), r('a', 'ResponseComplete', 3), r('a', 'RequestReceived', 4), r('b', 'ResponseComplete', 5), r('', 'x', 6), r('', 'x', 7), r('a', 'Panic', 8)];
    const { rows: kept, duplicates } = dedupeRows('AksAudit', rows);
    expect(kept.map((x) => x.n)).toEqual([1, 2, 5, 6, 7, 8]);
    expect(duplicates).toBe(2);
    expect(dedupeRows('AksControlPlane', [{ Position: '0/1/2' }, { Position: '0/1/2' }, { Position: '' }]).rows).toHaveLength(2);
    // One auditID on requests of two clusters, or two different requests (a client-chosen Audit-ID): all kept.
    const req = (n: number, over: Record<string, unknown> = {}) => ({ AuditId: 'x', Stage: 'ResponseComplete', Cluster: 'c1', RequestReceivedTime: 't1', Verb: 'get', RequestUri: '/a', UserName: 'u', n, ...over });
    expect(dedupeRows('AksAudit', [req(1), req(2, { Cluster: 'c2' }), req(3, { Verb: 'create', RequestUri: '/b' }), req(4)]).rows.map((x) => x.n)).toEqual([1, 2, 3]);
  });

  it('jsonString writes what JSON.stringify writes (short strings scanned inline, long ones by regex)', () => {
    for (const s of ['', 'plain', 'q"uote', 'back\\slash', 'nl\n', 'tab\t', '\u0000', '\u001f', 'é€😀', '\ud800', 'a\udc00b', '\u2028', '2024-03-01T10:00:00.123456Z'])
      for (const v of [s, `${'x'.repeat(47)}${s}`, `${s}${'y'.repeat(60)}`]) {
        expect(jsonString(v)).toBe(JSON.stringify(v));
        // The builder's in-place copy, with room to spare and at the edge of a full buffer.
        for (const fill of [0, 1020, 1024 - v.length - 2, 1024 - v.length - 1]) {
          const b = new Utf8Builder(1024);
          b.write('.'.repeat(Math.max(0, fill)));
          b.writeJsonString(v);
          b.writeBytes(Buffer.from('|'));
          expect(b.finish().toString('utf8')).toBe(`${'.'.repeat(Math.max(0, fill))}${JSON.stringify(v)}|`);
        }
      }
  });

  it('other tables are one JSON object per line in column order', () => {
    const rows = [{ a: 1, b: 'x\ny' }, { a: 2, b: 'é' }];
    expect(rowsNdjson(rows).toString('utf8')).toBe('{"a":1,"b":"x\\ny"}\n{"a":2,"b":"é"}\n');
  });

  it('landing trusts processEvents\' AksAudit dedupe (same payload as deduping again), and still dedupes other arrays', async () => {
    const input = await aksInput(400, 7, 10);
    const batch = [...input.batches[0]!, ...input.batches[0]!.slice(0, 3)]; // redelivered bodies
    const result = processEvents(batch, { policy: defaultPolicy('aks'), now: new Date('2025-01-01T00:00:00Z') });
    expect(DEDUPED_ROWS.has(result.rows.AksAudit)).toBe(true);
    const copy = { ...result, rows: { ...result.rows, AksAudit: [...result.rows.AksAudit, result.rows.AksAudit[0]!] } };
    const trusted = tablePayloads(result, 'k').payloads.find((p) => p.table === 'AksAudit')!;
    const checked = tablePayloads(copy, 'k');
    expect(checked.duplicates).toBeGreaterThanOrEqual(1);
    expect(checked.payloads.find((p) => p.table === 'AksAudit')!.ndjson.equals(trusted.ndjson)).toBe(true);
  });
});
