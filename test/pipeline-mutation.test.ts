// Seeded mutation run: generated AKS bodies and audit events, damaged the ways real input is
// (cut, a byte flipped, a value of another JSON type anywhere, a hostile key, invalid UTF-8),
// through processEvents and landing's serializer. Whatever comes in, the pipeline must not
// throw, must account for every record, must give every column a value of its type, must land
// lines that ADX stores as the rows the detectors saw, and must give the same bytes twice.
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchResult, EventInput } from '../functions/contracts.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { generateAksBodies } from '../functions/generate/index.js';
import { Rng } from '../functions/generate/prng.js';
import { dedupeRows, tablePayloads } from '../functions/land/payload.js';
import { processEvents, type PipelineOptions } from '../functions/pipeline.js';
import { ingested, stored } from './support/adxMapping.js';
import { columnTypeError, damage, mutateValue } from './support/mutation.js';
import { auditEvent } from './support/records.js';

const BATCHES = 500;
const OPTS: PipelineOptions = { policy: defaultPolicy('aks'), now: new Date('2024-01-01T06:00:00Z') };

/** Keys the pipeline reads, so an added key lands where it is looked for. */
const KEYS = ['user', 'verb', 'objectRef', 'requestObject', 'responseStatus', 'stage', 'annotations', 'impersonatedUser', 'sourceIPs', 'userAgent', 'requestURI', 'auditID', 'kind', 'stageTimestamp', 'records', 'properties', 'log', 'category', 'time', 'resourceId', 'pod', 'items', '__proto__'];
const mutate = (rng: Rng, v: unknown): unknown => mutateValue(rng, v, KEYS);

type Body = { records: Record<string, unknown>[] };

/** One damaged Event Hub body from the clean ones, by a kind of damage picked with weights. */
function damagedBody(rng: Rng, clean: readonly string[], events: readonly Record<string, unknown>[]): Buffer {
  const kinds: [() => string | Buffer, number][] = [
    [() => damage(rng, rng.pick(clean)), 15],
    [() => {
      const b = Buffer.from(rng.pick(clean));
      b[rng.int(b.length)] = rng.pick([0xff, 0xc3, 0x80, 0x00, 0xed]);
      return b;
    }, 5],
    [() => {
      // One record's properties.log: the audit Event inside it, or its text.
      const body = JSON.parse(rng.pick(clean)) as Body;
      const props = rng.pick(body.records).properties as { log: string };
      props.log = props.log.startsWith('{') && rng.chance(0.7) ? JSON.stringify(mutate(rng, JSON.parse(props.log))) : damage(rng, props.log);
      return JSON.stringify(body);
    }, 35],
    [() => JSON.stringify(mutate(rng, JSON.parse(rng.pick(clean)))), 20],
    [() => {
      // Raw audit events, as a webhook or `sift process --format audit` sends them.
      const evs = Array.from({ length: 1 + rng.int(4) }, () => (rng.chance(0.6) ? mutate(rng, rng.pick(events)) : rng.pick(events)));
      return JSON.stringify(rng.chance(0.3) ? { kind: 'EventList', items: evs } : evs.length === 1 ? evs[0] : evs);
    }, 25],
  ];
  const made = rng.weighted(kinds)();
  return typeof made === 'string' ? Buffer.from(made) : made;
}

const payloadBytes = (r: BatchResult, key: string): string => tablePayloads(r, key).payloads.map((p) => `${p.table}:${p.ndjson.toString('base64')}`).join('|');

describe('damaged input, seeded', () => {
  let clean: string[] = [];
  let events: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const gen = await generateAksBodies({ count: 600, seed: 7, scenarios: ['all'], logType: 'aks-diagnostics' });
    clean = gen.bodies.map((b) => JSON.stringify(b));
    events = gen.bodies.flatMap((b) => b.records.filter((r) => r.category.startsWith('kube-audit')).map((r) => JSON.parse((r.properties as { log: string }).log) as Record<string, unknown>));
    events.push(auditEvent({ verb: 'create', objectRef: { resource: 'pods', namespace: 'kube-system', name: 'p' }, requestObject: { spec: { hostNetwork: true, containers: [{ image: 'x', securityContext: { privileged: true } }] } } }));
  });

  it(`${BATCHES} batches: no throw, every record accounted, typed columns, ADX stores the rows, same bytes twice`, () => {
    const rng = new Rng(20261124, 'mutation');
    const seen = { rows: 0, deadLetters: 0, detections: 0, reasons: new Set<string>() };
    for (let n = 0; n < BATCHES; n++) {
      const inputs: EventInput[] = Array.from({ length: 1 + rng.int(3) }, (_, i) => ({
        body: damagedBody(rng, clean, events),
        position: { source: 'mutation', partitionId: '0', sequenceNumber: n * 10 + i, offset: String(n * 10 + i) },
      }));
      const where = `batch ${n}`;
      const r = processEvents(inputs, OPTS);

      // A salvaged audit record is both a row and a dead letter (docs/ingest.md), and its row
      // may go as a duplicate of the full event: at most one extra place per salvage.
      const placed = r.rows.AksAudit.filter((x) => !x.Truncated).length + r.rows.AksControlPlane.length + r.deadLetters.length + r.summary.duplicates;
      const salvaged = r.deadLetters.filter((d) => d.reason === 'truncated-audit' || d.reason === 'invalid-audit-json').length;
      expect(placed, where).toBeGreaterThanOrEqual(r.summary.records);
      expect(placed - r.summary.records, where).toBeLessThanOrEqual(salvaged);
      expect(columnTypeError(r), where).toBe('');
      for (const d of r.deadLetters) {
        expect(d.reason, where).toMatch(/^[a-z0-9-]+$/);
        expect(d.detail.length, where).toBeGreaterThan(0);
        expect(d.raw !== '' || d.rawBase64 !== undefined, where).toBe(true);
      }

      const { payloads } = tablePayloads(r, `b${n}`);
      const auditRows = dedupeRows('AksAudit', r.rows.AksAudit).rows;
      for (const p of payloads) {
        const lines = p.ndjson.toString('utf8').split('\n');
        expect(lines.pop(), where).toBe('');
        expect(lines, where).toHaveLength(p.rows);
        const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        if (p.table === 'AksAudit') parsed.forEach((line, i) => expect(ingested('AksAudit', line), where).toEqual(stored('AksAudit', auditRows[i]!)));
      }
      expect(payloadBytes(processEvents(inputs, OPTS), `b${n}`), where).toBe(payloadBytes(r, `b${n}`));

      seen.rows += r.rows.AksAudit.length + r.rows.AksControlPlane.length;
      seen.deadLetters += r.deadLetters.length;
      seen.detections += r.detections.length;
      for (const d of r.deadLetters) seen.reasons.add(d.reason);
    }
    // The damage reached every stage: rows, detections and dead letters of many kinds.
    expect(seen.rows).toBeGreaterThan(10_000);
    expect(seen.detections).toBeGreaterThan(100);
    expect(seen.deadLetters).toBeGreaterThan(300);
    expect([...seen.reasons].sort()).toEqual(expect.arrayContaining(['invalid-json', 'invalid-utf8', 'truncated-audit', 'invalid-audit-json', 'incomplete-audit', 'invalid-audit-event', 'unknown-shape']));
  });
});
