// auditEventToRow is the column table (kusto/pipelineTables.ts) specialized by hand for
// speed; auditRowFromTable reads the table literally. They must agree on every input:
// generated traffic with every attack scenario, and events whose fields have the wrong type.
// And what ADX stores from the landed line must be that row (test/support/adxMapping.ts).
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT, type AksAuditRow } from '../functions/contracts.js';
import { AksAuditColumns } from '../functions/kusto/pipelineTables.js';
import { AUDIT_FIELDS, auditEventToRow, auditRowFromTable } from '../functions/normalize/audit.js';
import { aksInput } from '../scripts/bench/aksInput.js';
import { auditEvent, rawRecord } from './support/records.js';
import { ingested, stored } from './support/adxMapping.js';
import { auditNdjson } from '../functions/land/ndjson.js';

const rec = rawRecord({ category: 'kube-audit', time: '2024-03-01T10:00:00.1234567Z' });

function expectSame(e: Record<string, unknown>, json?: string): void {
  const fast = auditEventToRow(e, rec, json);
  const ref = auditRowFromTable(e, rec, json);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(ref)); // values and column order
  expect(fast).toEqual(ref);
  const src = (r: AksAuditRow): unknown => (r as unknown as Record<symbol, unknown>)[AUDIT_EVENT];
  expect(src(fast)).toBe(src(ref));
  // ADX reads the copied columns from the landed Event: what it stores is the row detectors saw.
  const line = JSON.parse(auditNdjson([fast]).toString('utf8')) as Record<string, unknown>;
  expect(ingested('AksAudit', line)).toEqual(stored('AksAudit', fast));
}

// Values of every JSON type, for every field the table reads.
const ODD: unknown[] = [null, 0, 42, 2.5, -1, 2 ** 31, 1e21, true, false, '', '200', '-7', '12x', ' 12', '0x1A', '1e3', '99999999999', 'text', [], ['10.0.0.1', 'x'], {}, { username: 7, groups: 'g', code: '404' }, [{ a: 1 }], { '0': '10.0.0.9' }];

describe('auditEventToRow = the column table', () => {
  it('reads every Event path the table names, and every table column exists', () => {
    expect(AUDIT_FIELDS.map((f) => f.column)).toEqual(AksAuditColumns.filter((c) => 'event' in c).map((c) => c.name));
    expect(AUDIT_FIELDS.length).toBe(29);
  });

  it('agrees on generated AKS audit traffic', async () => {
    const input = await aksInput(3_000, 11, 50);
    let n = 0;
    for (const b of input.bodies)
      for (const r of (JSON.parse(b.toString('utf8')) as { records: { category: string; properties: { log: string } }[] }).records) {
        if (!r.category.startsWith('kube-audit')) continue;
        expectSame(JSON.parse(r.properties.log) as Record<string, unknown>, r.properties.log.trim());
        n++;
      }
    expect(n).toBe(input.auditRecords);
  });

  it('agrees when any field has any JSON type, at every level of its path', () => {
    let cases = 0;
    for (const f of AUDIT_FIELDS) {
      for (let depth = 1; depth <= f.path.length; depth++) {
        for (const v of ODD) {
          const e = structuredClone(auditEvent()) as Record<string, unknown>;
          let cur = e;
          for (let i = 0; i < depth - 1; i++) {
            const k = f.path[i]!;
            if (cur[k] === null || typeof cur[k] !== 'object') cur[k] = {};
            cur = cur[k] as Record<string, unknown>;
          }
          cur[f.path[depth - 1]!] = v;
          expectSame(e);
          cases++;
        }
        const e = structuredClone(auditEvent()) as Record<string, unknown>;
        delete e[f.path[0]!];
        expectSame(e);
      }
    }
    expectSame({});
    expectSame({ stageTimestamp: '2024-03-01T12:00:00+02:00', requestReceivedTimestamp: 'not a time' });
    expect(cases).toBeGreaterThan(500);
  });
});
