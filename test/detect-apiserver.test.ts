// kube-apiserver rules over AksControlPlane rows: real access-line formats through the
// normalizer, plus hand-built rows for the burst rule. Each rule fires and has a near miss.
import { describe, expect, it } from 'vitest';
import type { AksControlPlaneRow, RawRecord } from '../functions/contracts.js';
import { defaultPolicy, detect, loadPolicy, type Policy } from '../functions/detect/index.js';
import { klogLineToRow } from '../functions/normalize/index.js';
import { cpRow } from './fixtures/detect/events.js';

const rec: RawRecord = { category: 'kube-apiserver', time: '2025-04-20T16:36:52Z', resourceId: '', cluster: 'c1', pod: 'kube-apiserver-0', stream: 'stderr', log: '', source: 'diagnostic', position: { source: 'test', partitionId: '0', sequenceNumber: 0, offset: '0', index: 0 } };
const line = (l: string): AksControlPlaneRow => klogLineToRow(rec, l, undefined, new Date('2025-06-15T00:00:00Z'));
const httplog = (verb: string, uri: string, ua: string, code: number, ip = '10.1.2.3') =>
  line(`I0420 16:36:52.419239       1 httplog.go:132] "HTTP" verb="${verb}" URI="${uri}" latency="214.666µs" userAgent="${ua}" audit-ID="a-${uri.length}" srcIP="${ip}:35542" resp=${code}`);
const run = (rows: AksControlPlaneRow[], p: Policy = defaultPolicy('aks')) => detect({ AksAudit: [], AksControlPlane: rows }, p, new Date(0));
const rules = (rows: AksControlPlaneRow[], p?: Policy) => run(rows, p).map((d) => d.Rule);

describe('apiserver rules', () => {
  it('Anonymous API Request: a line attributing a request to system:anonymous', () => {
    const hit = line('I0420 16:36:52.419239       1 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/secrets" latency="1ms" userAgent="curl/8" srcIP="203.0.113.9:1" resp=403 addedInfo="RBAC: user \\"system:anonymous\\" cannot list resource \\"secrets\\""');
    expect(rules([hit])).toContain('Anonymous API Request');
    expect(rules([httplog('GET', '/api/v1/namespaces', 'kubectl/v1.31', 200)])).not.toContain('Anonymous API Request');
  });

  it('Anonymous API Request: a user agent, URI or audit ID that spells system:anonymous attributes nothing (the client chose them)', () => {
    expect(rules([httplog('GET', '/api/v1/namespaces/default/pods', 'system:anonymous', 200)])).toEqual([]);
    expect(rules([httplog('GET', '/api/v1/namespaces/default/configmaps/system:anonymous', 'kubectl/v1.31', 404)])).toEqual([]);
    expect(rules([httplog('GET', '/api/v1/namespaces/default/pods', 'x \\"system:anonymous\\" addedInfo=\\"user \\"system:anonymous\\"', 200)])).toEqual([]);
    expect(rules([line('I0420 16:36:52.419239       1 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/pods" latency="1ms" userAgent="curl/8" audit-ID="system:anonymous" srcIP="203.0.113.9:1" resp=200')])).toEqual([]);
    expect(rules([line('I0624 20:14:59.855669       1 wrap.go:47] GET /api/v1/namespaces/system:anonymous/pods: (9.05ms) 200 [system:anonymous 172.31.1.1:48110]')])).toEqual([]);
    // Lines whose text the client fills: a trace's headers, an access line's agent, a timed-out request's URI.
    for (const l of [
      String.raw`I0420 16:36:52.419239       1 trace.go:236] Trace[1]: "List" accept:application/json,protocol:HTTP/2.0,user-agent:system:anonymous URI="",audit-id:x,client:10.0.0.1 (20-Apr-2025 16:36:51.000) (total time: 1000ms):`,
      String.raw`I0624 20:14:59.855669       1 wrap.go:47] GET /api/v1/pods: (9.05ms) 200 [system:anonymous URI="" 172.31.1.1:48110]`,
      String.raw`E0420 16:36:52.419239       1 timeout.go:142] post-timeout activity - time-elapsed: 3ms, GET "/api/v1/namespaces/default/configmaps/system:anonymous" result: <nil>`,
      // An object named system:anonymous in the Status an authenticated user was refused with.
      String.raw`I0420 16:36:52.419239       1 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/namespaces/default/pods/system:anonymous" latency="1ms" userAgent="curl/8" srcIP="203.0.113.9:1" resp=403 addedInfo="logging error output: \"pods \\\"system:anonymous\\\" is forbidden: User \\\"alice\\\" cannot get resource \\\"pods\\\"\""`,
      // A name that spells the attribution: quoted one level deeper than the server's words.
      String.raw`I0420 16:36:52.419239       1 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/namespaces/default/pods/x" latency="1ms" userAgent="curl/8" srcIP="203.0.113.9:1" resp=403 addedInfo="logging error output: \"pods \\\"x\\\\\\\" is forbidden: User \\\\\\\"system:anonymous\\\\\\\"\\\" is forbidden: User \\\"alice\\\" cannot get resource \\\"pods\\\"\""`,
    ])
      expect(rules([line(l)]), l).toEqual([]);
    // The server's own attribution, in a logged Status one level down, counts.
    expect(rules([line(String.raw`I0420 16:36:52.419239       1 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/secrets" latency="1ms" userAgent="curl/8" srcIP="203.0.113.9:1" resp=403 addedInfo="logging error output: \"secrets is forbidden: User \\\"system:anonymous\\\" cannot list resource \\\"secrets\\\"\""`)])).toEqual(['Anonymous API Request']);
    // The server's own attribution still counts when the client text also says it.
    const both = line('I0420 16:36:52.419239       1 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/secrets" latency="1ms" userAgent="system:anonymous" srcIP="203.0.113.9:1" resp=403 addedInfo="RBAC: user \\"system:anonymous\\" cannot list resource \\"secrets\\""');
    expect(rules([both])).toEqual(['Anonymous API Request']);
  });

  it('Pod Exec/Attach/Port-forward Request on every access-line generation', () => {
    expect(rules([httplog('POST', '/api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true', 'kubectl/v1.31', 101)])).toEqual(['Pod Exec/Attach/Port-forward Request']);
    expect(rules([line('I0624 20:14:59.855669       1 wrap.go:47] GET /api/v1/namespaces/default/pods/web/portforward: (9.05ms) 101 [kubectl/v1.12.8 (linux/amd64) kubernetes/a89f8c1 172.31.1.1:48110]')])).toEqual(['Pod Exec/Attach/Port-forward Request']);
    expect(rules([httplog('GET', '/api/v1/namespaces/default/pods/web-0/log?container=app', 'kubectl/v1.31', 200)])).toEqual([]);
  });

  it('Secret Read by Unexpected User Agent: curl reading a secret, not the kubelet', () => {
    const d = run([httplog('GET', '/api/v1/namespaces/prod/secrets/db', 'curl/8.0', 200)]);
    expect(d.map((x) => x.Rule)).toEqual(['Secret Read by Unexpected User Agent']);
    expect(d[0]!.Output).toContain('agent=curl/8.0');
    expect(d[0]!.Tags).toContain('T1552.007');
    expect(d[0]!.AuditIds).toEqual(['a-34']);
    expect(rules([httplog('GET', '/api/v1/namespaces/prod/secrets/db', 'kubelet/v1.31.1 (linux/amd64) kubernetes/abc', 200)])).toEqual([]);
    expect(rules([httplog('DELETE', '/api/v1/namespaces/prod/secrets/db', 'curl/8.0', 200)])).toEqual([]);
  });

  it('detections name the object as the k8s-audit pack does: namespace, resource kind, name (the URI stays in the evidence)', () => {
    const [exec] = run([httplog('POST', '/api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true', 'kubectl/v1.31', 101)]);
    expect([exec!.Namespace, exec!.Resource, exec!.Name, exec!.Verb]).toEqual(['default', 'pods', 'web-0', 'POST']);
    expect((exec!.Evidence as Record<string, unknown>)['cp.uri']).toBe('/api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true');
    const [list] = run([httplog('LIST', '/api/v1/secrets?limit=500', 'curl/8.0', 200)]);
    expect([list!.Namespace, list!.Resource, list!.Name]).toEqual(['', 'secrets', '']);
    // A line with no URI (an RBAC denial message) names no object.
    const [anon] = run([line('E0420 16:36:52.419239       1 authorization.go:1] "forbidden" user="system:anonymous" reason="RBAC: user \\"system:anonymous\\" cannot list resource \\"secrets\\""')]);
    expect(anon?.Rule).toBe('Anonymous API Request');
    expect([anon!.Namespace, anon!.Resource, anon!.Name]).toEqual(['', '', '']);
  });

  it('the URI is read as the apiserver routes it: the resource by place, the path decoded', () => {
    const read = (uri: string, verb = 'GET') => rules([httplog(verb, uri, 'curl/8.0', 200)]);
    // A namespace, an object or a resource in it named "secrets" is no secret read.
    for (const uri of ['/api/v1/namespaces/secrets/pods', '/api/v1/namespaces/secrets', '/api/v1/namespaces/default/configmaps/secrets', '/apis/apps/v1/namespaces/secrets/deployments?limit=500'])
      expect(read(uri, 'LIST'), uri).toEqual([]);
    for (const uri of ['/api/v1/namespaces/prod/secrets/db', '/api/v1/secrets?watch=true', '/api/v1/watch/namespaces/prod/secrets', '/api/v1/namespaces/prod/%73ecrets/db', '/api/v1/namespaces/prod/secrets%2Fdb'])
      expect(read(uri), uri).toEqual(['Secret Read by Unexpected User Agent']);
    // A configmap named exec in a namespace named pods is no exec.
    expect(rules([httplog('GET', '/api/v1/namespaces/pods/configmaps/exec', 'kubectl/v1.31', 200)])).toEqual([]);
    expect(rules([httplog('POST', '/api/v1/namespaces/default/pods/web-0/%65xec?command=id', 'curl/8.0', 101)])).toEqual(['Pod Exec/Attach/Port-forward Request']);
  });

  it('the same line at the same hub position in two clusters gives two detections, a redelivery one', () => {
    const secretRead = (cluster: string) => klogLineToRow({ ...rec, cluster }, `I0420 16:36:52.419239       1 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/namespaces/prod/secrets/db" latency="1ms" userAgent="curl/8.0" audit-ID="same" srcIP="10.1.2.3:1" resp=200`, undefined, new Date('2025-06-15T00:00:00Z'));
    const ids = (rows: AksControlPlaneRow[]) => run(rows).map((d) => d.DetectionId);
    expect(new Set(ids([secretRead('c1'), secretRead('c2')])).size).toBe(2);
    expect(ids([secretRead('c1')])).toEqual(ids([secretRead('c1')]));
  });

  it('trusted source IPs are never reported', () => {
    const p = loadPolicy({ apiserver: { trustedSourceIps: { append: ['10.1.2.3'] } } });
    expect(rules([httplog('GET', '/api/v1/namespaces/prod/secrets/db', 'curl/8.0', 200)], p)).toEqual([]);
  });

  it('trusted networks: a CIDR covers its addresses, IPv6 matches however it is spelt, one address outside still fires', () => {
    const p = loadPolicy({ apiserver: { trustedSourceIps: ['10.224.0.0/16', 'fd00::1'] } });
    const read = (ip: string) => rules([httplog('GET', '/api/v1/namespaces/prod/secrets/db', 'curl/8.0', 200, ip)], p);
    for (const ip of ['10.224.0.5', '10.224.255.255', '[fd00:0::1]', '[FD00::1]', '[::ffff:10.224.3.4]']) expect(read(ip), ip).toEqual([]);
    for (const ip of ['10.225.0.1', '10.1.2.3', '[fd00::2]']) expect(read(ip), ip).toEqual(['Secret Read by Unexpected User Agent']);
  });

  describe('Burst of 401/403 From One Source', () => {
    const at = (s: number, ip: string, code: number) => cpRow({ TimeGenerated: new Date(Date.UTC(2025, 3, 20, 16, 0, s)).toISOString().replace('Z', '000Z'), SourceIp: ip, ResponseCode: code, Verb: 'GET', RequestUri: '/api/v1/secrets', AuditId: `id-${ip}-${s}` });
    const p = loadPolicy({ apiserver: { authFailureThreshold: 5, authFailureWindowSeconds: 10 } });

    it('fires once per distinct burst, per source', () => {
      const rows = [
        ...[0, 1, 2, 3, 4, 5, 6].map((s) => at(s, '198.51.100.7', s % 2 ? 401 : 403)), // burst 1 (7 failures)
        ...[30, 31, 32, 33, 34].map((s) => at(s, '198.51.100.7', 401)), // burst 2
        ...[0, 20, 40, 60, 80].map((s) => at(s, '198.51.100.8', 401)), // spread out: no burst
        ...[0, 1, 2, 3, 4].map((s) => at(s, '198.51.100.9', 200)), // successes: no burst
      ];
      const d = run(rows, p).filter((x) => x.Rule === 'Burst of 401/403 From One Source');
      expect(d).toHaveLength(2);
      expect(d.every((x) => (x.Evidence as { sourceIp: string }).sourceIp === '198.51.100.7')).toBe(true);
      expect(d.map((x) => (x.Evidence as { count: number }).count)).toEqual([5, 5]);
      expect(new Set(d.map((x) => x.DetectionId)).size).toBe(2);
      expect(d[0]!.AuditIds).toHaveLength(5);
    });

    it('a source inside a trusted network makes no burst; one outside it still does', () => {
      const trusted = loadPolicy({ apiserver: { authFailureThreshold: 5, authFailureWindowSeconds: 10, trustedSourceIps: ['198.51.100.0/30'] } });
      const burst = (ip: string) => run([0, 1, 2, 3, 4].map((s) => at(s, ip, 401)), trusted).map((x) => x.Rule);
      expect(burst('198.51.100.2')).toEqual([]);
      expect(burst('198.51.100.7')).toEqual(['Burst of 401/403 From One Source']);
    });

    it('four failures in the window is a near miss', () => {
      expect(run([0, 1, 2, 3].map((s) => at(s, '198.51.100.7', 401)), p)).toEqual([]);
    });
  });
});
