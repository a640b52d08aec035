import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEDUPED_ROWS, type EventInput } from '../functions/contracts.js';
import { defaultPolicy, type Policy } from '../functions/detect/index.js';
import { batchKey, dedupeAudit, DEFAULT_MAX_BATCH_RECORDS, DEFAULT_MAX_CHUNKED_BATCH_RECORDS, processEventChunks, processEvents } from '../functions/pipeline.js';
import { tablePayloads } from '../functions/land/payload.js';
import { auditEvent, diagRecord, input } from './support/records.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/aks/${name}`, import.meta.url));
const policy = defaultPolicy('aks');
const NOW = new Date('2024-03-01T12:00:00Z');

describe('processEvents', () => {
  it('runs envelope → normalize → detect and fills the summary', () => {
    const r = processEvents([input(fixture('mixed-categories.json'))], { policy, now: NOW });
    expect(r.summary).toEqual({
      records: 11,
      rows: { AksAudit: 3, AksControlPlane: 8, Detections: r.detections.length },
      detections: r.detections.length,
      deadLetters: 0,
      duplicates: 0,
    });
    for (const d of r.detections) expect(typeof d.RuleId).toBe('string');
  });

  it('past the batch record limit, the remaining bodies are dead-lettered whole with their exact bytes, and replay on their own', () => {
    const body = (n: number, tag: string): Buffer => Buffer.from(JSON.stringify({ records: Array.from({ length: n }, (_, i) => diagRecord('kube-scheduler', `I0301 10:00:00.000000 1 a.go:1] ${tag}-${i}`)) }));
    const notUtf8 = Buffer.concat([Buffer.from('{"records":['), Buffer.from([0xff]), Buffer.from(']}')]);
    const events = [input(body(30, 'a'), 1), input(body(30, 'b'), 2), input(body(5, 'c'), 3), input(notUtf8, 4)];
    const r = processEvents(events, { policy, now: NOW, maxBatchRecords: 50 });
    // The second body crosses the limit and is opened; the next ones are not.
    expect(r.rows.AksControlPlane).toHaveLength(60);
    expect(r.deadLetters.map((d) => [d.reason, d.position.sequenceNumber])).toEqual([['batch-record-limit', 3], ['batch-record-limit', 4]]);
    expect(r.deadLetters[0]!.raw).toBe(body(5, 'c').toString('utf8'));
    expect(Buffer.from(r.deadLetters[1]!.rawBase64!, 'base64').equals(notUtf8)).toBe(true);
    expect(r.summary.records).toBe(62);
    // Replayed alone, the set-aside body is processed normally.
    const again = processEvents([{ body: r.deadLetters[0]!.raw, position: events[2]!.position }], { policy, now: NOW, maxBatchRecords: 50 });
    expect(again.rows.AksControlPlane.map((x) => x.Message)).toEqual(Array.from({ length: 5 }, (_, i) => `I0301 10:00:00.000000 1 a.go:1] c-${i}`));
  });

  describe('processEventChunks', () => {
    const klog = (tag: string, i: number): Record<string, unknown> => diagRecord('kube-scheduler', `I0301 10:00:00.000000 1 a.go:1] ${tag}-${i}`);
    const body = (n: number, tag: string): Buffer => Buffer.from(JSON.stringify({ records: Array.from({ length: n }, (_, i) => klog(tag, i)) }));
    const events = [input(body(30, 'a'), 1), input(body(30, 'b'), 2), input('not json', 3), input(body(5, 'c'), 4), input(body(40, 'd'), 5)];

    it('closes a chunk after the body that reaches the limit; the chunks partition the batch and hold what processEvents holds', () => {
      const chunks = [...processEventChunks(events, { policy, now: NOW }, 31)];
      expect(chunks.map((c) => c.events.map((e) => e.position.sequenceNumber))).toEqual([[1, 2], [3, 4, 5]]);
      expect(chunks.map((c) => c.result.summary.records)).toEqual([60, 46]);
      const whole = processEvents(events, { policy, now: NOW });
      expect(chunks.flatMap((c) => c.result.rows.AksControlPlane)).toEqual(whole.rows.AksControlPlane);
      expect(chunks.flatMap((c) => c.result.deadLetters)).toEqual(whole.deadLetters);
      expect(chunks[1]!.result.deadLetters.map((d) => [d.reason, d.position.sequenceNumber])).toEqual([['invalid-json', 3]]);
      // Boundaries depend on the bodies only: a second run splits the same way.
      expect([...processEventChunks(events, { policy, now: NOW }, 31)].map((c) => batchKey(c.events))).toEqual(chunks.map((c) => batchKey(c.events)));
      // Each chunk is deduped on its own and marked, so landing does not hash it again.
      expect(chunks.every((c) => DEDUPED_ROWS.has(c.result.rows.AksAudit))).toBe(true);
    });

    it('one chunk for a batch under the limit and for an empty batch', () => {
      expect([...processEventChunks(events, { policy, now: NOW }, 10_000)].map((c) => c.events.length)).toEqual([5]);
      const empty = [...processEventChunks([], { policy, now: NOW })];
      expect(empty.map((c) => [c.events.length, c.result.summary.records])).toEqual([[0, 0]]);
    });

    it('a klog continuation line keeps the severity of the line before it across a chunk boundary', () => {
      const first = diagRecord('kube-controller-manager', 'E0301 10:00:00.000000 1 a.go:1] sync failed:');
      const cont = diagRecord('kube-controller-manager', '  caused by: timeout');
      const chunks = [...processEventChunks([input({ records: [first] }, 1), input({ records: [cont] }, 2)], { policy, now: NOW }, 1)];
      expect(chunks).toHaveLength(2);
      expect(chunks[1]!.result.rows.AksControlPlane.map((r) => [r.Severity, r.Level])).toEqual([['', 'ERROR']]);
    });

    it('the batch record limit counts across chunks', () => {
      const chunks = [...processEventChunks(events, { policy, now: NOW, maxBatchRecords: 50 }, 20)];
      expect(chunks.map((c) => c.events.map((e) => e.position.sequenceNumber))).toEqual([[1], [2], [3, 4, 5]]);
      expect(chunks[2]!.result.deadLetters.map((d) => d.reason)).toEqual(['batch-record-limit', 'batch-record-limit', 'batch-record-limit']);
    });

    it('a batch that lands in chunks opens past the whole-batch limit: a busy cluster\'s full batch lands, none of it set aside', () => {
      // 11 bodies of 10,000 short klog lines: 110,000 records, over the whole-batch limit.
      const line = (b: number, i: number): string => JSON.stringify(diagRecord('kube-scheduler', `I0301 10:00:00.000000 1 a.go:1] ${b}-${i}`));
      const events = Array.from({ length: 11 }, (_, b) => input(`{"records":[${Array.from({ length: 10_000 }, (_, i) => line(b, i)).join(',')}]}`, b + 1));
      expect(DEFAULT_MAX_BATCH_RECORDS).toBeLessThan(110_000);
      expect(DEFAULT_MAX_CHUNKED_BATCH_RECORDS).toBeGreaterThan(110_000);
      let rows = 0;
      let setAside = 0;
      for (const { result } of processEventChunks(events, { policy, now: NOW })) {
        rows += result.rows.AksControlPlane.length;
        setAside += result.deadLetters.length;
      }
      expect([rows, setAside]).toEqual([110_000, 0]);
      // Processed whole, the same batch keeps its rows alive together: the last body is set aside.
      const whole = processEvents(events, { policy, now: NOW });
      expect(whole.rows.AksControlPlane).toHaveLength(100_000);
      expect(whole.deadLetters.map((d) => [d.reason, d.position.sequenceNumber])).toEqual([['batch-record-limit', 11]]);
    });
  });

  it('a dead letter keeps the record\'s log when the record carries an extra field too deep to write back', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const log = '{"kind":"Event","auditID":"cut-1","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/na';
    const body = `{"records":[${JSON.stringify(diagRecord('kube-audit', log)).slice(0, -1)},"extra":${deep}}]}`;
    const r = processEvents([input(body, 1)], { policy, now: NOW });
    expect(r.deadLetters.map((d) => d.reason)).toEqual(['truncated-audit']);
    const raw = r.deadLetters[0]!.raw;
    expect(raw).not.toMatch(/unserializable/);
    expect((JSON.parse(raw) as { properties: { log: string } }).properties.log).toBe(log);
  });

  it('every input item ends as a row or a dead letter (no duplicates, no truncation)', () => {
    const events: EventInput[] = [
      input(fixture('mixed-categories.json'), 1),
      input('garbage', 2),
      input({ records: [diagRecord('guard', 'x'), 7, diagRecord('kube-audit', '{"kind":"Event"}')] }, 3),
      input(fixture('eventlist.json'), 4),
    ];
    const r = processEvents(events, { policy, now: NOW });
    expect(r.summary.records).toBe(11 + 1 + 3 + 2);
    expect(r.rows.AksAudit.length + r.rows.AksControlPlane.length + r.deadLetters.length).toBe(r.summary.records);
    expect(r.deadLetters.map((d) => [d.reason, d.position.sequenceNumber, d.position.index])).toEqual([
      ['invalid-json', 2, 0],
      ['unknown-shape', 3, 1],
      ['incomplete-audit', 3, 2],
    ]);
  });

  it('collapses duplicate auditID+stage within a batch (and across bodies of one batch)', () => {
    const r = processEvents([input(fixture('duplicates.json'), 1), input(fixture('duplicates.json'), 2)], { policy, now: NOW });
    expect(r.rows.AksAudit.map((x) => x.Stage)).toEqual(['ResponseComplete', 'RequestReceived']);
    expect(r.summary.rows.AksAudit).toBe(2);
  });

  it('dedupe prefers a complete row over a truncated salvage', () => {
    const ev = auditEvent();
    const cut = JSON.stringify(ev).slice(0, 200);
    const r = processEvents([input({ records: [diagRecord('kube-audit', cut), diagRecord('kube-audit-admin', JSON.stringify(ev))] })], { policy, now: NOW });
    expect(r.rows.AksAudit).toHaveLength(1);
    expect(r.rows.AksAudit[0]!.Truncated).toBe(false);
    expect(r.deadLetters.map((d) => d.reason)).toEqual(['truncated-audit']);
    expect(dedupeAudit([])).toEqual([]);
  });

  it("a stream's two stages are two rows; a repeat of either stage, in any order, is collapsed (the second stage takes no key-building path)", () => {
    const base = { auditID: 'bbbbbbbb-0000-0000-0000-00000000f00d', verb: 'watch', requestURI: '/api/v1/namespaces/kube-system/configmaps?watch=true', requestReceivedTimestamp: '2024-03-01T10:00:00.000001Z' };
    const started = JSON.stringify(auditEvent({ ...base, stage: 'ResponseStarted' }));
    const complete = JSON.stringify(auditEvent({ ...base, stage: 'ResponseComplete' }));
    for (const order of [[started, complete, complete, started], [complete, started, started, complete], [started, complete, started, complete, complete]]) {
      const r = processEvents([input({ records: order.map((t) => diagRecord('kube-audit', t)) })], { policy, now: NOW });
      expect(r.rows.AksAudit.map((x) => x.Stage).sort(), order.length.toString()).toEqual(['ResponseComplete', 'ResponseStarted']);
      expect(r.summary.duplicates).toBe(order.length - 2);
    }
    // A truncated salvage of the second stage still finds its complete copy.
    const cut = complete.slice(0, 180);
    const r = processEvents([input({ records: [started, complete, cut].map((t) => diagRecord('kube-audit', t)) })], { policy, now: NOW });
    expect(r.rows.AksAudit.map((x) => [x.Stage, x.Truncated])).toEqual([['ResponseStarted', false], ['ResponseComplete', false]]);
  });

  it('a borrowed Audit-ID neither hides a request nor drops another; truncated salvages still match their complete copy', () => {
    const ID = 'aaaaaaaa-0000-0000-0000-00000000beef';
    // Both at ResponseStarted: exec sessions log that stage, and it is the stage Attach/Exec Pod reads.
    const victim = auditEvent({ auditID: ID, stage: 'ResponseStarted', verb: 'watch', requestURI: '/api/v1/namespaces/default/pods?watch=1', requestReceivedTimestamp: '2024-03-01T10:00:00.000001Z' });
    // The attacker's exec request carries the victim's ID (kube-apiserver takes a client's Audit-ID header as it is).
    const attacker = auditEvent({ auditID: ID, stage: 'ResponseStarted', verb: 'create', requestURI: '/api/v1/namespaces/default/pods/web/exec?command=sh', user: { username: 'mallory' }, requestReceivedTimestamp: '2024-03-01T10:00:00.000002Z', objectRef: { resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web', apiVersion: 'v1' } });
    const log = (e: object) => JSON.stringify(e);
    const r = processEvents([input({ records: [diagRecord('kube-audit', log(victim)), diagRecord('kube-audit', log(attacker)), diagRecord('kube-audit-admin', log(attacker))] })], { policy, now: NOW });
    expect(r.rows.AksAudit.map((x) => x.Verb)).toEqual(['watch', 'create']);
    // The kube-audit-admin copy of the attacker's event: counted, so every record is accounted for.
    expect(r.summary).toMatchObject({ records: 3, rows: { AksAudit: 2 }, deadLetters: 0, duplicates: 1 });
    expect(r.detections.filter((d) => d.Rule === 'Attach/Exec Pod').map((d) => d.User)).toEqual(['mallory']);
    // Two exec requests under one borrowed ID: two detections with two ids, and both land.
    const eve = { ...attacker, user: { username: 'eve' }, requestReceivedTimestamp: '2024-03-01T10:00:00.000003Z' };
    const two = processEvents([input({ records: [diagRecord('kube-audit', log(attacker)), diagRecord('kube-audit', log(eve))] })], { policy, now: NOW });
    const execs = two.detections.filter((d) => d.Rule === 'Attach/Exec Pod');
    expect(execs.map((d) => d.User)).toEqual(['mallory', 'eve']);
    expect(new Set(execs.map((d) => d.DetectionId)).size).toBe(2);
    expect(tablePayloads(two, 'k').payloads.find((p) => p.table === 'Detections')!.rows).toBe(two.detections.length);
    // Truncated and complete copies in any order (kube-audit, then kube-audit-admin, then a
    // redelivered copy): one row, the complete one, and the landed payload holds it once.
    const texts = [log(attacker).slice(0, 180), log(attacker), log(attacker)];
    for (const order of [[0, 1], [1, 0], [0, 1, 2], [1, 0, 2], [1, 2, 0]]) {
      const both = processEvents([input({ records: order.map((k) => diagRecord('kube-audit', texts[k]!)) })], { policy, now: NOW });
      expect(both.rows.AksAudit.map((x) => x.Truncated)).toEqual([false]);
      expect(both.summary).toMatchObject({ records: order.length, duplicates: order.length - 1 });
      expect(tablePayloads(both, 'k').payloads.find((p) => p.table === 'AksAudit')!.rows).toBe(1);
    }
    // The same ID on 3,000 distinct requests: every one kept.
    const many = Array.from({ length: 3000 }, (_, i) => diagRecord('kube-audit', log({ ...victim, requestURI: `/api/v1/pods?i=${i}` })));
    expect(processEvents([input({ records: many })], { policy, now: NOW }).rows.AksAudit).toHaveLength(3000);
  });

  it('record times with 0, 7 or 9 fractional digits give µs TimeGenerated when the row falls back to them', () => {
    const times = ['2024-03-01T10:00:05Z', '2024-03-01T10:00:05.1234567Z', '2024-03-01T10:00:05.123456789Z'];
    const noStage = (i: number) => JSON.stringify(auditEvent({ auditID: `t-${i}`, stageTimestamp: undefined, requestReceivedTimestamp: undefined }));
    const records = times.flatMap((time, i) => [diagRecord('guard', 'plain line without a klog header', { time }), diagRecord('kube-audit', noStage(i), { time })]);
    const r = processEvents([input({ records })], { policy, now: NOW });
    expect(r.deadLetters).toEqual([]);
    const want = ['2024-03-01T10:00:05.000000Z', '2024-03-01T10:00:05.123456Z', '2024-03-01T10:00:05.123456Z'];
    expect(r.rows.AksControlPlane.map((x) => x.TimeGenerated)).toEqual(want);
    expect(r.rows.AksAudit.map((x) => x.TimeGenerated)).toEqual(want);
  });

  it('webhook events take the default cluster', () => {
    const r = processEvents([input([auditEvent()])], { policy, now: NOW, defaultCluster: 'lab-1' });
    expect(r.rows.AksAudit[0]!.Cluster).toBe('lab-1');
    expect(processEvents([input([auditEvent()])], { policy, now: NOW }).rows.AksAudit[0]!.Cluster).toBe('unknown');
  });

  it('a detector failure keeps the rows and leaves a dead letter', () => {
    const broken = {} as Policy;
    const r = processEvents([input(fixture('mixed-categories.json'))], { policy: broken, now: NOW });
    expect(r.rows.AksAudit).toHaveLength(3);
    expect(r.detections).toEqual([]);
    expect(r.deadLetters.map((d) => d.reason)).toEqual(['detect-error']);
  });

  it('is the same for the same input (pure)', () => {
    const a = processEvents([input(fixture('mixed-categories.json'))], { policy, now: NOW });
    const b = processEvents([input(fixture('mixed-categories.json'))], { policy, now: NOW });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('never throws on random input and accounts for every event', () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const atoms: unknown[] = [null, 0, -1, 1e308, '', 'x', true, [], {}, { records: null }, { kind: 'EventList' }, { kind: 'Event' }, { category: 'kube-audit', properties: { log: '{' } }];
    const value = (depth: number): unknown => {
      const k = rnd();
      if (depth > 4 || k < 0.4) return atoms[Math.floor(rnd() * atoms.length)];
      if (k < 0.7) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (const key of ['records', 'kind', 'items', 'category', 'properties', 'log', 'auditID', 'stage', 'time', 'resourceId']) if (rnd() < 0.3) o[key] = value(depth + 1);
      return o;
    };
    const events: EventInput[] = [];
    for (let i = 0; i < 400; i++) {
      const v = value(0);
      const k = rnd();
      const body = k < 0.3 ? v : k < 0.6 ? JSON.stringify(v) : k < 0.8 ? Buffer.from(JSON.stringify(v) ?? '') : Buffer.from(Array.from({ length: 64 }, () => Math.floor(rnd() * 256)));
      events.push(input(body, i));
    }
    const r = processEvents(events, { policy, now: NOW });
    expect(r.summary.records).toBeGreaterThanOrEqual(events.length);
    expect(() => JSON.stringify(r)).not.toThrow();
  });
});

describe('hostile values in every field of a valid audit Event', () => {
  // Far-apart times (Go's zero time beside today's), huge and odd numbers, long strings, lone
  // surrogates, wrong types, wide arrays: at every path of a privileged pod create (so the
  // rules and the window detectors all look at it), in the log, the record time, the pod and
  // the resource id. Every record must end as a row or a dead letter, in one pass, and land.
  const base = auditEvent({
    level: 'RequestResponse', verb: 'create', requestURI: '/api/v1/namespaces/default/pods', impersonatedUser: { username: 'admin' },
    objectRef: { resource: 'pods', namespace: 'default', name: 'p', apiVersion: 'v1' }, responseStatus: { code: 201 },
    requestObject: { kind: 'Pod', spec: { hostNetwork: true, containers: [{ image: 'nginx', securityContext: { privileged: true } }], volumes: [{ hostPath: { path: '/' } }] } },
    requestReceivedTimestamp: '2024-03-01T10:00:00.000000Z', stageTimestamp: '2024-03-01T10:00:00.100000Z', annotations: { 'authorization.k8s.io/decision': 'allow' },
  });
  const HOSTILE: unknown[] = [null, true, 0, -1, 1e308, 2 ** 53 + 1, '', ' ', 'x'.repeat(20_000), '\u0000\ud800', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z', '9999-12-31T23:59:59-14:00', [], [[[]]], {}, { a: { b: 1 } }, Array.from({ length: 2000 }, (_, i) => i)];
  const paths: string[][] = [];
  const walk = (o: Record<string, unknown>, at: string[]): void => {
    for (const [k, v] of Object.entries(o)) {
      paths.push([...at, k]);
      if (v !== null && typeof v === 'object') walk(v as Record<string, unknown>, [...at, k]);
    }
  };
  walk(base, []);
  const setPath = (o: Record<string, unknown>, path: string[], v: unknown): void => {
    let cur = o;
    for (const k of path.slice(0, -1)) {
      if (cur[k] === null || typeof cur[k] !== 'object') cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[path[path.length - 1]!] = v;
  };

  it('never throws, accounts for every record, lands what it makes', () => {
    let n = 0;
    for (const path of paths) {
      const records: Record<string, unknown>[] = [];
      HOSTILE.forEach((h, i) => {
        for (const place of ['event', 'time', 'pod', 'resourceId'] as const) {
          const ev = structuredClone(base);
          // Unique auditIDs (but hostile ones as they are when they cannot be rows anyway) so no record is a duplicate of another.
          ev.auditID = `id-${n++}`;
          if (place === 'event') setPath(ev, path, path.join('.') === 'auditID' && typeof h === 'string' && h.trim() !== '' ? `${h}-${i}` : h);
          const over = place === 'time' ? { time: h } : place === 'resourceId' ? { resourceId: h } : {};
          const rec = diagRecord('kube-audit', JSON.stringify(ev), over);
          if (place === 'pod') (rec.properties as Record<string, unknown>).pod = h;
          records.push(rec);
        }
      });
      const r = processEvents([input(Buffer.from(JSON.stringify({ records })), n)], { policy, now: NOW });
      const where = path.join('.');
      expect(r.rows.AksAudit.length + r.deadLetters.length, where).toBe(records.length);
      expect(r.summary.records, where).toBe(records.length);
      const landed = tablePayloads(r, 'k').payloads;
      expect(landed.find((p) => p.table === 'AksAudit')?.rows ?? 0, where).toBe(r.rows.AksAudit.length);
    }
    expect(n).toBe(paths.length * HOSTILE.length * 4);
  });
});

describe('batchKey', () => {
  const evs = (seqs: number[], partition = '3') => seqs.map((s) => ({ body: null, position: { source: 'aks-diagnostics', partitionId: partition, sequenceNumber: s, offset: String(s * 10) } }));
  it('is stable for the same positions and differs otherwise', () => {
    expect(batchKey(evs([5, 6, 7]))).toBe(batchKey(evs([5, 6, 7])));
    expect(batchKey(evs([5, 6, 7]))).not.toBe(batchKey(evs([5, 6, 8])));
    expect(batchKey(evs([5, 6, 7]))).not.toBe(batchKey(evs([5, 6, 7], '4')));
    expect(batchKey(evs([5, 6, 7]))).toMatch(/^aks-diagnostics-3-5-7-[0-9a-f]{16}$/);
    expect(batchKey([])).toBe('empty');
  });
  it('is safe for blob names and tags', () => {
    const k = batchKey([{ body: null, position: { source: 'we/ird name?', partitionId: 'a:b', sequenceNumber: 1, offset: '' } }]);
    expect(k).toMatch(/^[A-Za-z0-9_.-]+$/);
  });
});
