// Falco k8s-audit conformance: every case of ../shared/fixtures/falco-k8s-audit/cases.json
// runs through the real normalizer (auditEventToRow) and detect() with the case's
// overrides expressed as policy JSON (test/fixtures/detect/falco-overrides.json).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawRecord } from '../functions/contracts.js';
import { defaultPolicy, detect, extendPolicy, type Policy } from '../functions/detect/index.js';
import { parseAuditTrace } from '../functions/detect/trace.js';
import { auditEventToRow } from '../functions/normalize/audit.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = resolve(root, '../shared/fixtures/falco-k8s-audit');
const present = existsSync(join(corpus, 'cases.json'));

interface Case {
  test: string;
  trace: string;
  overrides: string[];
  kind: string;
  asserted_rule_counts: Record<string, number>;
  all_rules_fired_reference: Record<string, number>;
  expects_no_detections: boolean;
  expected_priority_present: string[];
}

const overrides = JSON.parse(readFileSync(join(root, 'test/fixtures/detect/falco-overrides.json'), 'utf8')) as Record<string, unknown>;

function policyFor(names: readonly string[]): Policy {
  return names.reduce((p, name) => {
    const o = overrides[name];
    if (o === undefined) throw new Error(`no policy overlay for override ${name}`);
    return extendPolicy(p, o);
  }, defaultPolicy('falco'));
}

const rec = (i: number): RawRecord => ({
  category: 'k8s-audit-webhook', time: '', resourceId: '', cluster: 'falco-trace', pod: '', stream: '', log: '', source: 'audit-event',
  position: { source: 'file', partitionId: '0', sequenceNumber: 0, offset: '0', index: i },
});

function run(c: Case) {
  const trace = parseAuditTrace(readFileSync(join(corpus, c.trace), 'utf8'));
  const rows = trace.events.map((e, i) => auditEventToRow(e, rec(i)));
  const detections = detect({ AksAudit: rows, AksControlPlane: [] }, policyFor(c.overrides), new Date(0));
  const counts: Record<string, number> = {};
  for (const d of detections) counts[d.Rule] = (counts[d.Rule] ?? 0) + 1;
  return { trace, detections, counts };
}

const cases: Case[] = present ? (JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8')) as { cases: Case[] }).cases : [];
const results: { test: string; pass: boolean }[] = [];

describe.skipIf(!present)('Falco k8s-audit conformance', () => {
  afterAll(() => {
    const passed = results.filter((r) => r.pass).length;
    console.log(`Falco conformance: ${passed}/${cases.length} cases passed${passed < results.length ? ` (failed: ${results.filter((r) => !r.pass).map((r) => r.test).join(', ')})` : ''}`);
  });

  it('has the 58 published cases', () => {
    expect(cases.length).toBe(58);
  });

  it.each(cases.map((c) => [c.test, c] as const))('%s', (_name, c) => {
    let pass = false;
    try {
      const { trace, detections, counts } = run(c);
      if (c.kind === 'stderr_regexp') {
        // The malformed input is rejected with a reason naming the bad field, and nothing fires.
        expect(trace.events).toHaveLength(0);
        expect(trace.rejected).toHaveLength(1);
        expect(trace.rejected[0]!.reason).toMatch(/not a Kubernetes audit Event: kind must be "Event", got 0/);
      } else {
        expect(trace.rejected).toEqual([]);
        expect(trace.events.length).toBeGreaterThan(0);
      }
      for (const [rule, n] of Object.entries(c.asserted_rule_counts)) expect(counts[rule] ?? 0, rule).toBe(n);
      expect(counts).toEqual(c.all_rules_fired_reference);
      if (c.expects_no_detections) expect(detections).toEqual([]);
      const priorities = new Set(detections.map((d) => d.Priority));
      for (const p of c.expected_priority_present) expect(priorities.has(p), `priority ${p}`).toBe(true);
      // Every detection row is complete and its id is stable for redelivery dedupe.
      const again = run(c).detections.map((d) => d.DetectionId);
      expect(detections.map((d) => d.DetectionId)).toEqual(again);
      for (const d of detections) {
        expect(d.Source).toBe('k8s-audit');
        expect(d.AuditIds).toHaveLength(1);
        expect(d.Output.startsWith(`${d.Rule}: `)).toBe(true);
      }
      pass = true;
    } finally {
      results.push({ test: c.test, pass });
    }
  });
});
