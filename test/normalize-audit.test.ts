import { describe, expect, it } from 'vitest';
import { jsonTextTooDeep, MAX_JSON_DEPTH } from '../functions/envelope/json.js';
import type { AksAuditRow, DeadLetter } from '../functions/contracts.js';
import { AksAuditColumns } from '../functions/kusto/pipelineTables.js';
import { AUDIT_EVENT_REQUIRED, AUDIT_FIELDS, auditEventProblem, auditEventToRow, positionKey } from '../functions/normalize/audit.js';
import { normalizeRecords, type NormalizeSink, type SourcedRecord } from '../functions/normalize/index.js';
import { AKS_LOG_CUT, salvageAuditJson } from '../functions/normalize/salvage.js';
import { auditEvent, rawRecord } from './support/records.js';

function run(records: SourcedRecord[]): NormalizeSink {
  const out: NormalizeSink = { AksAudit: [], AksControlPlane: [], deadLetters: [] };
  normalizeRecords(records, out, { clock: new Date('2024-06-15T00:00:00Z') });
  return out;
}
const auditRec = (log: string, over: Partial<SourcedRecord> = {}): SourcedRecord => rawRecord({ category: 'kube-audit', stream: 'stdout', log, ...over });

/** An event whose requestObject makes the JSON longer than AKS's 16 KiB cut. */
function bigEvent(): Record<string, unknown> {
  const e = auditEvent({
    level: 'RequestResponse',
    auditID: 'bbbbbbbb-0000-0000-0000-000000000002',
    verb: 'create',
    requestURI: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    user: { username: 'system:node:aks-nodepool1-0', uid: 'u-1', groups: ['system:nodes', 'system:authenticated'] },
    objectRef: { resource: 'subjectaccessreviews', apiGroup: 'authorization.k8s.io', apiVersion: 'v1' },
    // A nested "verb"/"user" the salvage must not take for the event's own.
    requestObject: { kind: 'SubjectAccessReview', spec: { resourceAttributes: { verb: 'delete', resource: 'secrets' }, user: 'mallory' }, pad: 'x'.repeat(20_000) },
  });
  // Go's struct order: requestObject, responseObject, then the timestamps and annotations.
  const { requestReceivedTimestamp, stageTimestamp, annotations, ...head } = e;
  return { ...head, requestReceivedTimestamp, stageTimestamp, annotations };
}

describe('auditEventToRow', () => {
  it('fills every AksAudit column, in table order', () => {
    const row = auditEventToRow(auditEvent(), rawRecord({ category: 'kube-audit' }));
    expect(Object.keys(row)).toEqual(AksAuditColumns.map((c) => c.name));
    expect(row).toMatchObject({
      TimeGenerated: '2024-03-01T10:00:00.123456Z',
      StageReceivedTime: '2024-03-01T10:00:00.123456Z',
      RequestReceivedTime: '2024-03-01T10:00:00.100000Z',
      Category: 'kube-audit',
      Level: 'Metadata',
      UserName: 'alice@example.com',
      UserGroups: ['system:authenticated'],
      Resource: 'pods',
      Namespace: 'default',
      Name: 'web-0',
      ApiVersion: 'v1',
      ResponseCode: 200,
      AuthorizationDecision: 'allow',
      AuthorizationReason: '',
      SourceIp: '10.1.2.3',
      Cluster: 'sift-dev',
      Truncated: false,
      Position: '0/7/0',
    });
  });

  it('every field-table column exists in the table', () => {
    const names = new Set(AksAuditColumns.map((c) => c.name));
    for (const f of AUDIT_FIELDS) expect(names.has(f.column)).toBe(true);
  });

  it('flattens impersonation, subresource and keeps skipped-too-big-size-object as a marker', () => {
    const row = auditEventToRow(
      auditEvent({
        impersonatedUser: { username: 'system:serviceaccount:default:deployer' },
        objectRef: { resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web-0' },
        requestObject: 'skipped-too-big-size-object',
        responseObject: 'skipped-too-big-size-object',
      }),
      rawRecord(),
    );
    expect(row.ImpersonatedUserName).toBe('system:serviceaccount:default:deployer');
    expect(row.Subresource).toBe('exec');
    expect(row.RequestObject).toBe('skipped-too-big-size-object');
    expect(row.ResponseObject).toBe('skipped-too-big-size-object');
  });

  it('wrong types become what ADX stores from the landed Event, never throw', () => {
    const row = auditEventToRow(
      { auditID: 42, verb: ['get'], user: 'alice', objectRef: { name: { x: 1 }, namespace: true }, responseStatus: { code: '403' }, sourceIPs: 'nope', stageTimestamp: 'soon', annotations: null },
      rawRecord({ time: '2024-03-01T10:00:00.5Z' }),
    );
    // A string column holds another JSON value's text; a path through a non-object is missing.
    expect(row).toMatchObject({ AuditId: '42', Verb: '["get"]', UserName: '', Name: '{"x":1}', Namespace: 'true', ResponseCode: 403, SourceIp: '', StageReceivedTime: null, TimeGenerated: '2024-03-01T10:00:00.500000Z' });
    // An int column: a 32-bit integer or its decimal text, else null.
    const code = (c: unknown) => auditEventToRow({ auditID: 'a', responseStatus: { code: c } }, rawRecord()).ResponseCode;
    expect([200, '-7', 2.5, 2 ** 31, '0x1A', ' 12', '1e3', 'x', {}].map(code)).toEqual([200, -7, null, null, null, null, null, null, null]);
  });
});

describe('normalize audit records', () => {
  it('parses properties.log once and keeps µs time', () => {
    const out = run([auditRec(JSON.stringify(auditEvent()) + '\n')]);
    expect(out.deadLetters).toEqual([]);
    expect(out.AksAudit[0]!.TimeGenerated).toBe('2024-03-01T10:00:00.123456Z');
  });

  it('dead-letters non-events with reasons', () => {
    const out = run([
      auditRec('[]'),
      auditRec('"str"'),
      auditRec('{"kind":"Event"}'),
      auditRec('{"kind":"Pod","auditID":"x"}'),
      auditRec('not json at all'),
      rawRecord({ category: 'kube-audit', log: 5 as unknown as string }),
    ]);
    expect(out.AksAudit).toEqual([]);
    expect(out.deadLetters.map((d) => d.reason)).toEqual(['invalid-audit-event', 'invalid-audit-event', 'incomplete-audit', 'invalid-audit-event', 'invalid-audit-json', 'invalid-record']);
    for (const d of out.deadLetters) expect(d.position).toMatchObject({ partitionId: '0', sequenceNumber: 7, index: 0 });
  });

  it('an Event lacking a field the audit API requires is an incomplete-audit dead letter naming it, not a row of blanks', () => {
    const { stage: _s, ...noStage } = auditEvent() as Record<string, unknown>;
    const out = run([
      auditRec(JSON.stringify(noStage)),
      auditRec(JSON.stringify({ ...auditEvent(), verb: '' })),
      auditRec(JSON.stringify({ ...auditEvent(), requestURI: 5 })),
      auditRec(JSON.stringify({ ...auditEvent(), requestURI: '' })),
    ]);
    expect(out.deadLetters.map((d) => [d.reason, d.detail])).toEqual([
      ['incomplete-audit', 'audit event stage: missing, expected a non-empty string'],
      ['incomplete-audit', 'audit event verb: empty, expected a non-empty string'],
      ['incomplete-audit', 'audit event requestURI: a number, expected a string'],
    ]);
    expect(out.AksAudit).toHaveLength(1);
  });

  it('the fast check and the table of required fields agree: every field, every bad value', () => {
    const good = auditEvent() as Record<string, unknown>;
    expect(auditEventProblem(good)).toBeUndefined();
    for (const { field, ok } of AUDIT_EVENT_REQUIRED)
      for (const v of [undefined, null, '', 'Other', 0, 5, true, {}, [], ['x']]) {
        const ev = { ...good, [field]: v };
        if (v === undefined) delete ev[field];
        expect(auditEventProblem(ev)?.field, `${field}=${JSON.stringify(v)}`).toBe(ok(v) ? undefined : field);
      }
  });

  it('salvages an event cut at 16 KiB, marks it, and dead-letters the raw record', () => {
    const full = JSON.stringify(bigEvent()) + '\n';
    const cut = Buffer.from(full).subarray(0, 16 * 1024).toString('utf8');
    const original = { category: 'kube-audit-admin', properties: { log: cut, pod: 'p', stream: 'stdout' }, resourceId: 'r', time: '2024-03-01T10:00:00Z', ccpNamespace: 'x' };
    const out = run([auditRec(cut, { category: 'kube-audit-admin', original })]);
    expect(out.AksAudit).toHaveLength(1);
    const row = out.AksAudit[0]!;
    expect(row).toMatchObject({
      Truncated: true,
      AuditId: 'bbbbbbbb-0000-0000-0000-000000000002',
      Verb: 'create',
      Stage: 'ResponseComplete',
      RequestUri: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      UserName: 'system:node:aks-nodepool1-0',
      Resource: 'subjectaccessreviews',
      RequestObject: null,
      // timestamps come after requestObject in the Go struct order: lost, so the record time stands in
      StageReceivedTime: null,
      TimeGenerated: '2024-03-01T10:00:00.000000Z',
    });
    expect(out.deadLetters).toHaveLength(1);
    const dl = out.deadLetters[0] as DeadLetter;
    expect(dl.reason).toBe('truncated-audit');
    expect(JSON.parse(dl.raw)).toEqual(original);
  });

  it('salvage keeps timestamps when they precede the cut and recovers a cut user', () => {
    const s = '{"kind":"Event","level":"Metadata","auditID":"c1","stage":"ResponseComplete","requestURI":"/x","verb":"get","user":{"username":"bob","groups":["a","b';
    const { event, cut } = salvageAuditJson(s);
    expect(cut).toBe(true);
    expect(event).toEqual({ kind: 'Event', level: 'Metadata', auditID: 'c1', stage: 'ResponseComplete', requestURI: '/x', verb: 'get', user: { username: 'bob' } });
    const ts = salvageAuditJson('{"auditID":"c2","requestReceivedTimestamp":"2024-01-01T00:00:00.000001Z","stageTimestamp":"2024-01-01T00:00:00.000002Z","annotations":{"a":"');
    expect(ts.event.stageTimestamp).toBe('2024-01-01T00:00:00.000002Z');
    const salvaged = run([auditRec('{"auditID":"c3","stage":"Panic","stageTimestamp":"2024-01-01T00:00:00.000002Z","requestObject":{"a":')]);
    expect(salvaged.AksAudit[0]).toMatchObject({ AuditId: 'c3', Stage: 'Panic', Truncated: true, TimeGenerated: '2024-01-01T00:00:00.000002Z' });
  });

  it('a cut inside requestURI keeps the URI up to the cut, without an escape the cut split', () => {
    const head = '{"kind":"Event","auditID":"u1","stage":"ResponseStarted","requestURI":"/api/v1/namespaces/default/pods/web/exec?command=sh';
    expect(salvageAuditJson(`${head}&command=echo`).event.requestURI).toBe('/api/v1/namespaces/default/pods/web/exec?command=sh&command=echo');
    for (const [tail, want] of [['\\u00', ''], ['\\u0041\\', 'A'], ['\\\\', '\\'], ['\\\\\\', '\\'], ['\\"x', '"x'], ['\\', '']] as const)
      expect(salvageAuditJson(`${head}${tail}`).event.requestURI, tail).toBe(`/api/v1/namespaces/default/pods/web/exec?command=sh${want}`);
    // Text no JSON string could hold (a raw control character) keeps no URI; the rest stays.
    const bad = salvageAuditJson(`${head}\u0001x`);
    expect(bad.event.requestURI).toBeUndefined();
    expect(bad.event.auditID).toBe('u1');
  });

  it("a cut inside auditID keeps its head only from a record as long as AKS's 16 KiB cut (a client's padded Audit-ID); a short broken one keeps none", () => {
    const long = `{"kind":"Event","auditID":"${'A'.repeat(20_000)}`.slice(0, AKS_LOG_CUT);
    expect(salvageAuditJson(long).event.auditID).toBe('A'.repeat(AKS_LOG_CUT - '{"kind":"Event","auditID":"'.length));
    expect(salvageAuditJson('{"kind":"Event","auditID":"cut-off').event.auditID).toBeUndefined();
  });

  it('malformed (not cut) JSON is invalid-audit-json, still salvaged when it has an auditID', () => {
    const out = run([auditRec('{"auditID":"d1","verb":"get",,"x":1}')]);
    expect(out.deadLetters[0]!.reason).toBe('invalid-audit-json');
    expect(out.AksAudit[0]).toMatchObject({ AuditId: 'd1', Verb: 'get', Truncated: true });
    const none = run([auditRec('{"verb":"get"')]);
    expect(none.AksAudit).toEqual([]);
    expect(none.deadLetters[0]!.reason).toBe('truncated-audit');
  });

  it('refuses audit events nested deeper than the sinks can serialize', () => {
    const deep = '{"auditID":"e1","stage":"ResponseComplete","requestObject":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '}';
    const out = run([auditRec(deep)]);
    expect(out.AksAudit).toEqual([]);
    expect(out.deadLetters[0]!.reason).toBe('too-deep');
    const cutDeep = run([auditRec(deep.slice(0, 20_000))]);
    expect(cutDeep.AksAudit[0]).toMatchObject({ AuditId: 'e1', RequestObject: null });
  });

  it('the depth check: exact at the bound, brackets inside strings never count, arrays and objects both nest', () => {
    const nest = (d: number, open = '{"a":', close = '}'): string => open.repeat(d) + '1' + close.repeat(d);
    const pad = (t: string): string => `${t}${' '.repeat(2100)}`; // past the short-text shortcut
    expect(jsonTextTooDeep(pad(nest(MAX_JSON_DEPTH)))).toBe(false);
    expect(jsonTextTooDeep(pad(nest(MAX_JSON_DEPTH + 1)))).toBe(true);
    expect(jsonTextTooDeep(pad(nest(MAX_JSON_DEPTH + 1, '[', ']')))).toBe(true);
    expect(jsonTextTooDeep(pad(nest(600, '{"a":[', ']}')))).toBe(true); // 1,200 levels, 600 of each bracket
    // Thousands of brackets, all inside strings (escaped quotes too): shallow, and the full scan runs.
    const inStrings = JSON.stringify({ a: '{['.repeat(3000), b: ['\\"{'.repeat(2000)] });
    expect(jsonTextTooDeep(inStrings)).toBe(false);
    // Many brackets spread over a wide, shallow document (over the bound in count, not in depth).
    expect(jsonTextTooDeep(JSON.stringify(Array.from({ length: 1500 }, (_, i) => ({ i, l: [i] }))))).toBe(false);
  });

  // Pathological 1 MB inputs to the salvage (and every other parser) are timed as a ratio to a
  // plain scan in test/perf-regex.test.ts, not against a wall-clock budget here.

  it('raw audit Events (webhook records) go through the same row builder', () => {
    const out = run([rawRecord({ category: 'k8s-audit-webhook', source: 'audit-event', log: auditEvent(), resourceId: '', cluster: 'lab' })]);
    const row = out.AksAudit[0] as AksAuditRow;
    expect(row).toMatchObject({ Category: 'k8s-audit-webhook', Cluster: 'lab', AuditId: 'aaaaaaaa-0000-0000-0000-000000000001' });
  });
});

describe('positionKey', () => {
  it('is partition/sequenceNumber/index for every record, however bodies and partitions interleave', () => {
    const at = (partitionId: string, sequenceNumber: number, index: number) =>
      positionKey({ ...rawRecord(), position: { source: 'hub', partitionId, sequenceNumber, offset: '0', index } });
    const cases: [string, number, number][] = [['0', 5, 0], ['0', 5, 1], ['1', 5, 1], ['0', 5, 2], ['0', 6, 0], ['1', 6, 0], ['0', 5, 3], ['10', 5, 0], ['1', 0, 5]];
    for (const [p, s, i] of cases) expect(at(p, s, i)).toBe(`${p}/${s}/${i}`);
  });
});
