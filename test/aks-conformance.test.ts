// Conformance against real AKS samples and reference lines in ../shared (read at test time,
// never copied into the repository). Skips cleanly when ../shared is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AksControlPlaneRow } from '../functions/contracts.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { ContinuationContext, klogLineToRow } from '../functions/normalize/controlPlane.js';
import { processEvents } from '../functions/pipeline.js';
import { input, rawRecord } from './support/records.js';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const AKS = `${SHARED}fixtures/aks/`;
const REFERENCE = `${SHARED}reference/kube-apiserver-example-lines.jsonl`;
const have = existsSync(AKS) && existsSync(REFERENCE);
const policy = defaultPolicy('aks');
const NOW = new Date('2025-06-01T00:00:00Z');
const run = (body: unknown) => processEvents([input(body)], { policy, now: NOW });

describe.skipIf(!have)('real AKS samples (../shared/fixtures/aks)', () => {
  it('sysdiglabs event.json: one body, 22 kube-audit records → 22 AksAudit rows, 0 dead letters', () => {
    const r = run(readFileSync(`${AKS}sysdiglabs_aks-audit-log/event.json`));
    expect(r.rows.AksAudit).toHaveLength(22);
    expect(r.rows.AksControlPlane).toHaveLength(0);
    expect(r.deadLetters).toEqual([]);
    expect(r.summary.records).toBe(22);
    for (const row of r.rows.AksAudit) {
      expect(row.Cluster).toBe('kubetest');
      expect(row.AuditId).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.TimeGenerated).toMatch(/^2020-05-05T\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(row.UserName).not.toBe('');
    }
  });

  it('every sample file processes without throwing', () => {
    const files = readdirSync(AKS, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && /\.(json|log)$/.test(d.name));
    expect(files.length).toBeGreaterThanOrEqual(11);
    for (const f of files) {
      const path = `${f.parentPath}/${f.name}`;
      const r = run(readFileSync(path));
      expect(r.summary.records, path).toBeGreaterThan(0);
      expect(() => JSON.stringify(r)).not.toThrow();
    }
  });

  it('BOM samples: a bare diagnostic record and a decoded audit Event', () => {
    const rec = readFileSync(`${AKS}sysdiglabs_aks-audit-log/sample_EventHubs_event.json`);
    expect([...rec.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const a = run(rec);
    expect(a.deadLetters).toEqual([]);
    expect(a.rows.AksAudit[0]).toMatchObject({ Cluster: 'kubeauditlogtestcluster', AuditId: '4e2a4193-cb3d-4ff7-bf37-32c392fbc23b', TimeGenerated: '2020-05-08T22:44:17.862312Z' });
    const ev = run(readFileSync(`${AKS}sysdiglabs_aks-audit-log/sample_KubeAuditLog_event.json`));
    expect(ev.deadLetters).toEqual([]);
    expect(ev.rows.AksAudit).toHaveLength(1);
    expect(ev.rows.AksAudit[0]!.Level).toBe('RequestResponse');
    expect(ev.rows.AksAudit[0]!.RequestObject).toBeTypeOf('object');
  });

  it('SumoLogic records: audit, audit-admin and every klog category', () => {
    const dir = `${AKS}SumoLogic_sumologic-documentation/`;
    const audit = run(readFileSync(`${dir}kubernetes.md__kube-audit.json`));
    expect(audit.rows.AksAudit[0]).toMatchObject({ Cluster: 'arc-cluster02', Verb: 'update', Resource: 'leases', AuthorizationDecision: 'allow' });
    const admin = run(readFileSync(`${dir}kubernetes.md__kube-audit-admin.json`));
    expect(admin.rows.AksAudit[0]).toMatchObject({ Category: 'kube-audit-admin', Cluster: 'hpaldevcluster', ResponseCode: 201, TimeGenerated: '2025-04-20T16:32:59.965028Z' });
    const api = run(readFileSync(`${dir}kubernetes.md__kube-apiserver.json`));
    expect(api.rows.AksControlPlane[0]).toMatchObject({
      Cluster: 'ag-aks-cluster', Level: 'INFO', Verb: 'PUT', ResponseCode: 200, LatencyMs: 9.05251, SourceIp: '172.31.1.1', TimeGenerated: '2019-06-24T20:14:59.855669Z',
    });
    const kcm = run(readFileSync(`${dir}kubernetes.md__kube-controller-manager.json`));
    expect(kcm.rows.AksControlPlane[0]).toMatchObject({ Severity: 'I', SourceFile: 'event.go', SourceLine: 221, Thread: 1, TimeGenerated: '2019-06-24T07:27:25.976386Z' });
    const sched = run(readFileSync(`${dir}kubernetes.md__kube-scheduler.json`));
    expect(sched.rows.AksControlPlane[0]).toMatchObject({ Level: 'WARNING', SourceFile: 'reflector.go' });
    const ca = run(readFileSync(`${dir}kubernetes.md__cluster-autoscaler.json`));
    expect(ca.rows.AksControlPlane[0]).toMatchObject({ Category: 'cluster-autoscaler', LogMessage: 'ScaleUpToNodeGroupMinSize: scale up not needed', TimeGenerated: '2025-04-20T16:36:52.392437Z' });
  });

  it('Elastic sample (audit log trimmed to {"kind":"Event"}) is a dead letter, not a row', () => {
    const r = run(readFileSync(`${AKS}elastic_integrations/test-platformlogs-kube.log`));
    expect(r.rows.AksAudit).toEqual([]);
    expect(r.deadLetters.map((d) => d.reason)).toEqual(['incomplete-audit']);
  });

  it('properties-only sample: not a record on its own; wrapped, \\/ escapes are undone', () => {
    const text = readFileSync(`${AKS}thiagowfx_thiagowfx.github.io/index.txt__kube-apiserver-properties.json`, 'utf8');
    const alone = run(text).deadLetters;
    expect(alone.map((d) => d.reason)).toEqual(['unknown-shape']);
    expect(alone[0]!.detail).toMatch(/properties object of a diagnostic record without the record around it/);
    const properties = JSON.parse(text) as Record<string, unknown>;
    const r = run({ records: [{ category: 'kube-apiserver', time: '2025-05-12T12:01:36.877Z', properties }] });
    expect(r.rows.AksControlPlane[0]).toMatchObject({ Level: 'ERROR', SourceFile: 'handler.go', SourceLine: 160, TimeGenerated: '2025-05-12T12:01:36.876768Z' });
    expect(r.rows.AksControlPlane[0]!.LogMessage).toContain('duplicated path /apis/reports.kyverno.io/v1/clusterephemeralreports');
  });
});

/** What each reference line carries, by its index in the file. */
const CARRIES: Record<number, Partial<AksControlPlaneRow>> = {
  0: { Verb: 'PUT', RequestUri: '/api/v1/namespaces/kube-system/endpoints/kube-scheduler?timeout=10s', LatencyMs: 9.05251, ResponseCode: 200, UserAgent: 'hyperkube/v1.12.8 (linux/amd64) kubernetes/a89f8c1/leader-election', SourceIp: '172.31.1.1' },
  1: { Level: 'ERROR', SourceFile: 'handler.go', SourceLine: 160 },
  2: { Level: 'INFO', SourceFile: 'static_autoscaler.go', LogMessage: 'No unschedulable pods' },
  3: { Verb: 'PUT', RequestUri: '/api/v1/namespaces/kube-system/endpoints/kube-scheduler', LatencyMs: 1.358954, ResponseCode: 200, UserAgent: 'hyperkube/v0.0.0 (linux/amd64) kubernetes/$Format/leader-election', SourceIp: '::1', Thread: 11483 },
  4: { Verb: 'POST', RequestUri: '/api/v1/namespaces/kube-system/pods', LatencyMs: 5.725588, ResponseCode: 500 },
  5: { Level: 'WARNING', SourceFile: 'admission.go', SourceLine: 256 },
  6: { Verb: 'GET', RequestUri: '/apis/batch/v1?timeout=32s', LatencyMs: 0.214666, UserAgent: 'kubernetes-provider/v0.0.0 (linux/arm64) kubernetes/$Format', AuditId: '948ef6b2-474d-45a7-ad5f-894ce93d05f7', SourceIp: '192.168.139.202', ResponseCode: 200 },
  7: { Verb: 'WATCH', RequestUri: '/api/v1/pods?watch=true', LatencyMs: 498000.60226, ResponseCode: 200, Severity: '' },
  8: { Level: 'ERROR', Fields: { msg: 'Unable to authenticate the request', err: '[invalid bearer token, service account token has expired]' } },
  9: { Level: 'ERROR', Thread: 6910, SourceFile: 'authentication.go', SourceLine: 53 },
  10: { SourceFile: 'log.go', LogMessage: 'http: TLS handshake error from 192.168.5.30:35864: EOF' },
  11: { Level: 'WARNING', SourceFile: 'dispatcher.go', SourceLine: 184 },
  12: { Level: 'ERROR', SourceFile: 'dispatcher.go', SourceLine: 192 },
  13: { Verb: 'GET', RequestUri: '/apis/template.openshift.io/v1/templateinstances?allowWatchBookmarks=true&resourceVersion=52489&timeout=6m49s&timeoutSeconds=409&watch=true', AuditId: 'b0a35b5f-17f7-44b4-bfa2-ff17525f9872', Thread: 19 },
  14: { Verb: 'GET', RequestUri: '/api/v1/namespaces/storage/pods/nextcloud-shca-6dd65d5ff5-pxbh6' },
  15: { RequestUri: '/api/v1/namespaces/kube-system/endpoints/kube-dns', LatencyMs: 576.659948 },
  16: { Severity: '', Level: 'INFO', Fields: { trace: '469531806', sinceStart: '576.307806ms', sinceLast: '573.33055ms', step: 'Object stored in database' } },
  17: { RequestUri: '/apis/kyverno.io/v1alpha1/namespaces/kyverno/reportchangerequests/rcr-mzrm5', UserAgent: 'kyverno/v0.0.0 (linux/amd64) kubernetes/$Format', AuditId: '799cccba-249c-4b0d-965f-b4762c5c089c', SourceIp: '10.244.0.16', LatencyMs: 929 },
  18: { Fields: { trace: '1658207756', step: 'Object deleted from database', duration: '903ms', at: '06:01:46.844' } },
  19: { Fields: { trace: '1658207756', sinceStart: '929.726503ms', sinceLast: '929.726503ms', step: 'END' } },
  20: { Level: 'ERROR', SourceFile: 'runtime.go', SourceLine: 78 },
  21: { Level: 'ERROR', Thread: 74789, Fields: { msg: 'EtcdMain goroutine check', err: '<' } },
  22: { Level: 'WARNING', Thread: 9, SourceFile: 'healthz.go' },
  23: { Level: 'ERROR', SourceFile: 'watch.go', SourceLine: 274 },
};

describe.skipIf(!have)('reference kube-apiserver lines (../shared/reference)', () => {
  const lines = have ? readFileSync(REFERENCE, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { line: string }).line) : [];
  it('has 24 lines and an expectation for each', () => {
    expect(lines).toHaveLength(24);
    expect(Object.keys(CARRIES)).toHaveLength(24);
  });
  it('every line parses with the fields it carries, as one batch in file order', () => {
    const ctx = new ContinuationContext();
    lines.forEach((line, i) => {
      const row = klogLineToRow(rawRecord({ log: line, time: '2024-06-01T00:00:00Z' }), line, ctx);
      expect(row, `line ${i}: ${line.slice(0, 80)}`).toMatchObject(CARRIES[i]!);
      // Every line with a klog header has its header parsed.
      if (/^[IWEF]\d{4} /.test(line)) {
        expect(row.Severity, `line ${i}`).toBe(line[0]);
        expect(row.Thread, `line ${i}`).not.toBeNull();
        expect(row.SourceLine, `line ${i}`).not.toBeNull();
        expect(row.TimeGenerated, `line ${i}`).toMatch(/^2024-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      }
    });
  });
  it('the same lines as AKS records through the whole pipeline', () => {
    const records = lines.map((log) => ({ category: 'kube-apiserver', time: '2024-06-01T00:00:00Z', resourceId: '/x/managedClusters/Ref', properties: { log: log + '\n', stream: 'stderr', pod: 'kube-apiserver-0' } }));
    const r = run({ records });
    expect(r.deadLetters).toEqual([]);
    expect(r.rows.AksControlPlane).toHaveLength(24);
    expect(r.rows.AksControlPlane.filter((x) => x.Verb !== '').length).toBe(7);
    expect(r.rows.AksControlPlane.filter((x) => x.RequestUri !== '').length).toBe(9);
  });
});
