// One firing event and one near miss per k8s-audit rule (all 48), with hand-written events.
// Near misses change exactly one thing the rule depends on.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultPolicy, detect, extendPolicy, K8S_AUDIT_RULES, loadPolicy, type Policy } from '../functions/detect/index.js';
import { imageRepository } from '../functions/detect/fields.js';
import { auditEvent, podObject, row, type EventSpec } from './fixtures/detect/events.js';
import { diagRecord } from './support/records.js';
import { processEvents } from '../functions/pipeline.js';

const falco = defaultPolicy('falco');
const fire = (rule: string, spec: EventSpec, policy: Policy = falco) =>
  detect({ AksAudit: [row(spec)], AksControlPlane: [] }, policy, new Date(0)).filter((d) => d.Rule === rule);

const role = (rules: unknown[]) => ({ kind: 'ClusterRole', metadata: { name: 'r' }, rules });
const created = (resource: string, namespace?: string) => ({ verb: 'create', resource, namespace, name: 'x', code: 201 });
const deleted = (resource: string, namespace?: string) => ({ verb: 'delete', resource, namespace, name: 'x', code: 200 });
const admin = extendPolicy(falco, { switches: { fullAdminRule: true } });
const nodes = extendPolicy(falco, { switches: { restrictNodes: true }, lists: { allowedNodes: ['aks-pool-0'] } });
const restricted = extendPolicy(falco, { switches: { restrictPodImages: true }, lists: { allowedPodImages: ['myacr.azurecr.io/web'] } });
const allEvents = extendPolicy(falco, { switches: { allEvents: true } });

interface Row { rule: string; fire: EventSpec; miss: EventSpec; policy?: Policy }

const activityPairs: [string, string, string | undefined][] = [
  ['Deployment', 'deployments', 'default'], ['Service', 'services', 'default'], ['ConfigMap', 'configmaps', 'default'],
  ['Namespace', 'namespaces', undefined], ['Serviceaccount', 'serviceaccounts', 'default'], ['Role', 'roles', 'default'],
  ['ClusterRole', 'clusterroles', undefined], ['RoleBinding', 'rolebindings', 'default'], ['ClusterRoleBinding', 'clusterrolebindings', undefined],
  ['Secret', 'secrets', 'default'],
];

const TABLE: Row[] = [
  { rule: 'Disallowed K8s User', fire: { user: 'mallory', verb: 'get', resource: 'pods', code: 200 }, miss: { user: 'kubernetes-admin', verb: 'get', resource: 'pods', code: 200 } },
  { rule: 'Create Disallowed Pod', policy: restricted, fire: { ...created('pods', 'default'), requestObject: podObject({ images: ['myacr.azurecr.io/web:1', 'evil/miner:latest'] }) }, miss: { ...created('pods', 'default'), requestObject: podObject({ images: ['myacr.azurecr.io/web:1@sha256:abc'] }) } },
  { rule: 'Create Privileged Pod', fire: { ...created('pods', 'default'), requestObject: podObject({ images: ['nginx'], initContainers: [{ image: 'busybox', privileged: true }] }) }, miss: { ...created('pods', 'default'), requestObject: podObject({ images: ['mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.31'], privileged: [true] }) } },
  { rule: 'Create Sensitive Mount Pod', fire: { ...created('pods', 'default'), requestObject: podObject({ hostPaths: ['/tmp', '/etc'] }) }, miss: { ...created('pods', 'default'), requestObject: podObject({ hostPaths: ['/etc/ssl'] }) } },
  { rule: 'Create HostNetwork Pod', fire: { ...created('pods', 'default'), requestObject: podObject({ hostNetwork: true }) }, miss: { ...created('pods', 'default'), requestObject: podObject({ hostNetwork: false }) } },
  { rule: 'Create HostPid Pod', fire: { ...created('pods', 'default'), requestObject: podObject({ hostPID: true }) }, miss: { ...created('pods', 'default'), stage: 'ResponseStarted', requestObject: podObject({ hostPID: true }) } },
  { rule: 'Create HostIPC Pod', fire: { ...created('pods', 'default'), requestObject: podObject({ hostIPC: true }) }, miss: { ...created('pods', 'default'), verb: 'update', requestObject: podObject({ hostIPC: true }) } },
  { rule: 'Create NodePort Service', fire: { ...created('services', 'default'), requestObject: { spec: { type: 'NodePort', ports: [{ port: 80 }] } } }, miss: { ...created('services', 'default'), requestObject: { spec: { type: 'LoadBalancer' } } } },
  { rule: 'Create/Modify Configmap With Private Credentials', fire: { ...created('configmaps', 'default'), verb: 'patch', requestObject: { metadata: { name: 'x' }, data: { db: 'password=hunter2' } } }, miss: { ...created('configmaps', 'default'), requestObject: { metadata: { name: 'x' }, data: { db: 'host=db' } } } },
  { rule: 'Anonymous Request Allowed', fire: { user: 'system:anonymous', verb: 'get', resource: 'pods', uri: '/api/v1/pods', code: 200 }, miss: { user: 'system:anonymous', verb: 'get', uri: '/readyz?verbose', code: 200 } },
  { rule: 'Attach/Exec Pod', fire: { verb: 'get', stage: 'ResponseStarted', resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web-0', code: 101, uri: '/api/v1/namespaces/default/pods/web-0/exec?command=sh&command=-c&command=id&stdout=true' }, miss: { verb: 'get', stage: 'ResponseComplete', resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web-0', code: 101 } },
  { rule: 'port-forward', fire: { verb: 'create', stage: 'ResponseStarted', resource: 'pods', subresource: 'portforward', namespace: 'default', name: 'db-0', code: 101 }, miss: { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'default', name: 'db-0', code: 200 } },
  { rule: 'EphemeralContainers Created', fire: { verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'web-0', code: 200, requestObject: { kind: 'Pod', spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox' }] } } }, miss: { verb: 'get', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'web-0', code: 200 } },
  { rule: 'Create Disallowed Namespace', fire: { ...created('namespaces'), name: 'crypto' }, miss: { ...created('namespaces'), name: 'default' } },
  { rule: 'Pod Created in Kube Namespace', fire: { ...created('pods', 'kube-system'), requestObject: podObject({ images: ['nginx'] }) }, miss: { ...created('pods', 'kube-system'), requestObject: podObject({ images: ['registry.k8s.io/kube-apiserver:v1.31.0'] }) } },
  { rule: 'Service Account Created in Kube Namespace', fire: { ...created('serviceaccounts', 'kube-public'), name: 'backdoor' }, miss: { ...created('serviceaccounts', 'kube-system'), name: 'coredns' } },
  { rule: 'System ClusterRole Modified/Deleted', fire: { verb: 'update', resource: 'clusterroles', name: 'system:node', code: 200 }, miss: { verb: 'update', resource: 'clusterroles', name: 'system:coredns', code: 200 } },
  { rule: 'Attach to cluster-admin Role', fire: { ...created('clusterrolebindings'), requestObject: { roleRef: { name: 'cluster-admin' }, subjects: [{ name: 'eve' }] } }, miss: { ...created('clusterrolebindings'), requestObject: { roleRef: { name: 'view' }, subjects: [{ name: 'eve' }] } } },
  { rule: 'ClusterRole With Wildcard Created', fire: { ...created('roles', 'default'), requestObject: role([{ resources: ['pods'], verbs: ['*'] }]) }, miss: { ...created('roles', 'default'), requestObject: role([{ resources: ['pods'], verbs: ['get'] }]) } },
  { rule: 'ClusterRole With Write Privileges Created', fire: { ...created('clusterroles'), requestObject: role([{ resources: ['pods'], verbs: ['get'] }, { resources: ['secrets'], verbs: ['deletecollection'] }]) }, miss: { ...created('clusterroles'), requestObject: role([{ resources: ['pods'], verbs: ['get', 'list', 'watch'] }]) } },
  { rule: 'ClusterRole With Pod Exec Created', fire: { ...created('clusterroles'), requestObject: role([{ resources: ['pods', 'pods/exec'], verbs: ['get'] }]) }, miss: { ...created('clusterroles'), requestObject: role([{ resources: ['pods/log'], verbs: ['get'] }]) } },
  ...activityPairs.flatMap(([label, res, ns]): Row[] => [
    { rule: `K8s ${label} Created`, fire: created(res, ns), miss: { ...created(res, ns), code: 409 } },
    { rule: `K8s ${label} Deleted`, fire: deleted(res, ns), miss: { ...deleted(res, ns), stage: 'RequestReceived' } },
  ]),
  { rule: 'K8s Secret Get Successfully', fire: { verb: 'get', resource: 'secrets', namespace: 'prod', name: 'db', code: 200 }, miss: { verb: 'list', resource: 'secrets', namespace: 'prod', code: 200 } },
  { rule: 'K8s Secret Get Unsuccessfully Tried', fire: { verb: 'get', resource: 'secrets', namespace: 'prod', name: 'db', code: 403, decision: 'forbid' }, miss: { verb: 'get', resource: 'secrets', namespace: 'prod', name: 'db', code: 200 } },
  { rule: 'All K8s Audit Events', policy: allEvents, fire: { verb: 'get', resource: 'pods', code: 200 }, miss: { verb: 'get', resource: 'pods', code: 200, stage: 'ResponseStarted' } },
  { rule: 'Full K8s Administrative Access', policy: admin, fire: { user: 'kubernetes-admin', verb: 'get', resource: 'pods', code: 200 }, miss: { user: 'system:admin', verb: 'get', resource: 'pods', code: 200 } },
  { rule: 'Ingress Object without TLS Certificate Created', fire: { ...created('ingresses', 'web'), apiGroup: 'networking.k8s.io', requestObject: { spec: { rules: [{ host: 'a.example' }] } } }, miss: { ...created('ingresses', 'web'), requestObject: { spec: { tls: [{ hosts: ['a.example'], secretName: 'tls' }] } } } },
  { rule: 'Untrusted Node Successfully Joined the Cluster', policy: nodes, fire: { ...created('nodes'), name: 'rogue-node' }, miss: { ...created('nodes'), name: 'aks-pool-0' } },
  { rule: 'Untrusted Node Unsuccessfully Tried to Join the Cluster', policy: nodes, fire: { ...created('nodes'), name: 'rogue-node', code: 403, reason: 'Forbidden' }, miss: { ...created('nodes'), name: 'rogue-node', code: 201 } },
];

describe('k8s-audit rules: fires / near miss', () => {
  it('the table covers all 48 rules of the pack', () => {
    expect(K8S_AUDIT_RULES).toHaveLength(48);
    expect(new Set(TABLE.map((r) => r.rule))).toEqual(new Set(K8S_AUDIT_RULES.map((r) => r.name)));
  });

  it.each(TABLE.map((r) => [r.rule, r] as const))('%s', (_n, r) => {
    const hits = fire(r.rule, r.fire, r.policy);
    expect(hits).toHaveLength(1);
    const d = hits[0]!;
    const def = K8S_AUDIT_RULES.find((x) => x.name === r.rule)!;
    expect(d.Priority).toBe(def.priority);
    expect(d.Tags).toEqual(def.tags);
    expect(d.Output).not.toBe('');
    expect(d.DetectionId).toMatch(/^[0-9a-f]{40}$/);
    expect(fire(r.rule, r.miss, r.policy)).toEqual([]);
  });
});

describe('k8s-audit semantics', () => {
  it('extracts the image repository up to the first ":" then the first "@"', () => {
    expect(imageRepository('nginx:1.27')).toBe('nginx');
    expect(imageRepository('mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.31@sha256:ab')).toBe('mcr.microsoft.com/oss/kubernetes/kube-proxy');
    expect(imageRepository('repo/app@sha256:ab')).toBe('repo/app');
  });

  it('`in` over containers needs every image trusted: one untrusted container fires', () => {
    const obj = podObject({ images: ['mcr.microsoft.com/oss/kubernetes/kube-proxy:v1', 'nginx'], privileged: [true, false] });
    expect(fire('Create Privileged Pod', { ...created('pods', 'default'), requestObject: obj })).toHaveLength(1);
  });

  it('the configmap-credentials detection names the configmap but never copies its data', () => {
    const d = fire('Create/Modify Configmap With Private Credentials', { ...created('configmaps', 'default'), name: 'db-config', verb: 'patch', requestObject: { metadata: { name: 'db-config' }, data: { db: 'password=hunter2' } } });
    expect(d).toHaveLength(1);
    expect(d[0]!.Output).toContain('configmap=db-config');
    expect(JSON.stringify(d[0])).not.toContain('hunter2');
  });

  it('ka.req.configmap.name is objectRef.name as in Falco: a merge patch (no metadata in its body) is named, and an exception on the name suppresses it', () => {
    const patch = { verb: 'patch', resource: 'configmaps', namespace: 'kube-system', name: 'coredns-custom', code: 200, requestObject: { data: { 'x.override': 'password hunter2' } } };
    const d = fire('Create/Modify Configmap With Private Credentials', patch);
    expect(d.map((x) => x.Output)).toEqual([expect.stringContaining('configmap=coredns-custom')]);
    const excepted = extendPolicy(falco, { exceptions: { 'Create/Modify Configmap With Private Credentials': [{ 'ka.req.configmap.name': ['coredns-custom'] }] } });
    expect(detect({ AksAudit: [row(patch)], AksControlPlane: [] }, excepted, new Date(0)).filter((x) => x.Rule === 'Create/Modify Configmap With Private Credentials')).toEqual([]);
  });

  it('a refused or dry-run request still fires (as in Falco) but says so: the output notes it, the evidence holds the code and URI', () => {
    const pod = { ...created('pods', 'default'), requestObject: podObject({ privileged: [true] }) };
    const [done] = fire('Create Privileged Pod', pod);
    expect(done!.Output).not.toMatch(/\[not done|\[dry run/);
    expect(done!.Evidence).toMatchObject({ 'ka.response.code': '201', 'ka.uri': '/api/v1/namespaces/default/pods/x' });
    const [refused] = fire('Create Privileged Pod', { ...pod, code: 403, reason: 'Forbidden' });
    expect(refused!.Output).toMatch(/\) \[not done: 403 Forbidden\]$/);
    expect(refused!.Evidence).toMatchObject({ 'ka.response.code': '403' });
    const [dry] = fire('Create Privileged Pod', { ...pod, uri: '/api/v1/namespaces/default/pods?dryRun=All&fieldManager=kubectl-client-side-apply' });
    expect(dry!.Output).toMatch(/ \[dry run: nothing persisted\]$/);
    expect(dry!.Evidence).toMatchObject({ 'ka.uri': '/api/v1/namespaces/default/pods?dryRun=All&fieldManager=kubectl-client-side-apply' });
    // A parameter that only ends in dryRun, or a dryRun inside another one's value, is no dry run (a persisted create).
    for (const uri of ['/api/v1/namespaces/default/pods?notdryRun=All', '/api/v1/namespaces/default/pods?x=?dryRun=All', '/api/v1/namespaces/default/pods?fieldManager=a?dryRun=All'])
      expect(fire('Create Privileged Pod', { ...pod, uri })[0]!.Output, uri).not.toContain('[dry run');
  });

  it('matches sensitive host paths exactly, not by prefix', () => {
    expect(fire('Create Sensitive Mount Pod', { ...created('pods', 'default'), requestObject: podObject({ hostPaths: ['/procfs', '/var/lib/kubelet/pods'] }) })).toEqual([]);
    expect(fire('Create Sensitive Mount Pod', { ...created('pods', 'default'), requestObject: podObject({ hostPaths: ['/var/lib/kubelet/pki'] }) })).toHaveLength(1);
  });

  it('reads a host path as the node mounts it: /etc/, //etc and /var/../etc are /etc (an exact match let them pass)', () => {
    for (const path of ['/etc/', '//etc', '/var/../etc', '/etc/./', '//', '/proc//'])
      expect(fire('Create Sensitive Mount Pod', { ...created('pods', 'default'), requestObject: podObject({ hostPaths: [path] }) }), path).toHaveLength(1);
    expect(fire('Create Sensitive Mount Pod', { ...created('pods', 'default'), requestObject: podObject({ hostPaths: ['/etc/ssl/'] }) })).toEqual([]);
    expect(fire('Create Sensitive Mount Pod', { ...created('pods', 'default'), requestObject: podObject({ hostPaths: ['/etc/'] }) })[0]!.Output).toContain('hostpaths=/etc)');
  });

  it('an event without auditID yields no fields and fires nothing', () => {
    const policy = extendPolicy(falco, { switches: { allEvents: true } });
    expect(detect({ AksAudit: [row({ user: 'mallory', auditID: '' })], AksControlPlane: [] }, policy, new Date(0))).toEqual([]);
  });

  it('exec over WebSocket (get on pods/exec at ResponseStarted) is caught under the aks profile', () => {
    const d = detect({ AksAudit: [row({ verb: 'get', stage: 'ResponseStarted', resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web-0', code: 101, user: 'masterclient', uri: '/api/v1/namespaces/default/pods/web-0/exec?command=%2Fbin%2Fsh&stdin=true' })], AksControlPlane: [] }, defaultPolicy('aks'), new Date(0));
    expect(d.map((x) => x.Rule)).toEqual(['Attach/Exec Pod']);
    expect(d[0]!.Output).toContain('command=/bin/sh');
    expect(d[0]!.Tags).toContain('T1609');
  });

  it('skipped-too-big-size-object request bodies yield no request fields (and no crash)', () => {
    expect(fire('Create Privileged Pod', { ...created('pods', 'default'), requestObject: 'skipped-too-big-size-object' })).toEqual([]);
  });

  it('port-forward has no stage gate: each stage of the request is reported', () => {
    const spec = { verb: 'get', resource: 'pods', subresource: 'portforward', namespace: 'default', name: 'db-0', code: 101, auditID: 'pf-1' } as const;
    const rows = ['RequestReceived', 'ResponseStarted', 'ResponseComplete'].map((stage, i) => row({ ...spec, stage }, i));
    const d = detect({ AksAudit: rows, AksControlPlane: [] }, falco, new Date(0)).filter((x) => x.Rule === 'port-forward');
    expect(d).toHaveLength(3);
    expect(new Set(d.map((x) => x.DetectionId)).size).toBe(3);
  });
});

describe('trusted-image lists and init containers', () => {
  const aks = defaultPolicy('aks');
  // A pod that borrows a trusted main image for an untrusted privileged init container.
  const borrowed = (o: Parameters<typeof podObject>[0]): EventSpec => ({ ...created('pods', 'kube-system'), requestObject: podObject(o) });
  const trustedMain = 'mcr.microsoft.com/oss/calico/node:v3.28';
  const cases: [rule: string, spec: EventSpec][] = [
    ['Create Privileged Pod', borrowed({ images: [trustedMain], privileged: [true], initContainers: [{ image: 'evil/busybox:1', privileged: true }] })],
    ['Create Sensitive Mount Pod', borrowed({ images: [trustedMain], hostPaths: ['/'], initContainers: [{ image: 'evil/busybox:1' }] })],
    ['Create HostNetwork Pod', borrowed({ images: [trustedMain], hostNetwork: true, initContainers: [{ image: 'evil/busybox:1' }] })],
    ['Pod Created in Kube Namespace', borrowed({ images: [trustedMain], initContainers: [{ image: 'evil/busybox:1' }] })],
  ];

  it.each(cases)('%s: under aks an untrusted init container is not vouched for by a trusted main image', (rule, spec) => {
    const hits = fire(rule, spec, aks);
    expect(hits).toHaveLength(1);
    // The analyst sees the image that made it fire.
    expect(hits[0]!.Output).toContain('init_images=evil/busybox:1');
    expect(hits[0]!.Evidence).toMatchObject({ 'ka.req.pod.initContainers.image': ['evil/busybox:1'] });
  });

  it.each(cases)("%s: switched off (Falco's spec.containers-only check), the main image vouches for the pod", (rule, spec) => {
    expect(fire(rule, spec, extendPolicy(aks, { switches: { imageListsCoverInitContainers: false } }))).toEqual([]);
  });

  it("trusted init containers stay quiet under aks (calico-node's install-cni and flexvol-driver)", () => {
    const calico = borrowed({
      images: [trustedMain],
      privileged: [true],
      hostNetwork: true,
      initContainers: [{ image: 'mcr.microsoft.com/oss/calico/cni:v3.28', privileged: true }, { image: 'mcr.microsoft.com/oss/calico/pod2daemon-flexvol:v3.28', privileged: true }],
    });
    const d = detect({ AksAudit: [row(calico)], AksControlPlane: [] }, aks, new Date(0));
    expect(d.map((x) => x.Rule).filter((r) => cases.some(([rule]) => rule === r))).toEqual([]);
    expect(d.map((x) => x.Rule)).toEqual(['Disallowed K8s User']);
    // The same pod with one init image off the list fires.
    const tampered = borrowed({ images: [trustedMain], privileged: [true], initContainers: [{ image: 'mcr.microsoft.com/oss/calico/cni:v3.28', privileged: true }, { image: 'evil/busybox:1', privileged: true }] });
    expect(fire('Create Privileged Pod', tampered, aks)).toHaveLength(1);
  });

  it('is a switch: the aks profile turns it on, a policy can turn it off', () => {
    expect(aks.switches.imageListsCoverInitContainers).toBe(true);
    expect(falco.switches.imageListsCoverInitContainers).toBe(false);
    const falcoMain = borrowed({ images: ['docker.io/calico/node:v3'], privileged: [true], initContainers: [{ image: 'evil/busybox:1', privileged: true }] });
    expect(fire('Create Privileged Pod', falcoMain, falco)).toEqual([]);
    expect(fire('Create Privileged Pod', falcoMain, extendPolicy(falco, { switches: { imageListsCoverInitContainers: true } }))).toHaveLength(1);
  });
});

describe('lists.systemImages: platform add-on images vouch only in lists.systemNamespaces', () => {
  const aks = defaultPolicy('aks');
  // A host-escape pod on a public add-on image (Container Insights ships a shell).
  const escape = (namespace: string): EventSpec => ({
    ...created('pods', namespace),
    requestObject: podObject({ images: ['mcr.microsoft.com/azuremonitor/containerinsights/ciprod:3.1.24'], privileged: [true], hostNetwork: true, hostPID: true, hostPaths: ['/'] }),
  });
  const rules = ['Create Privileged Pod', 'Create Sensitive Mount Pod', 'Create HostNetwork Pod', 'Create HostPid Pod'];
  const fired = (spec: EventSpec, policy: Policy) => detect({ AksAudit: [row(spec)], AksControlPlane: [] }, policy, new Date(0)).map((d) => d.Rule).filter((r) => rules.includes(r) || r === 'Pod Created in Kube Namespace');

  it('outside the system namespaces the add-on image is untrusted: every host-escape rule fires (it fired none)', () => {
    expect(fired(escape('default'), aks).sort()).toEqual([...rules].sort());
  });

  it('where the add-on runs it stays trusted', () => {
    expect(fired(escape('kube-system'), aks)).toEqual([]);
    expect(fired({ ...created('pods', 'calico-system'), requestObject: podObject({ images: ['mcr.microsoft.com/oss/calico/node:v3.28'], privileged: [true], hostNetwork: true }) }, aks)).toEqual([]);
  });

  it("Falco's own lists still vouch everywhere, and the falco profile scopes nothing", () => {
    const falcoImage = { ...created('pods', 'falco'), requestObject: podObject({ images: ['docker.io/falcosecurity/falco:0.39'], privileged: [true] }) };
    expect(fired(falcoImage, aks)).toEqual([]);
    expect(falco.lists.systemImages).toEqual([]);
    expect(fired(escape('default'), falco).sort()).toEqual([...rules].sort());
  });

  it("the add-ons' current (oss/v2) images are on the lists: AKS's kube-proxy and coredns pods stay quiet", () => {
    const proxy = { ...created('pods', 'kube-system'), user: 'system:serviceaccount:kube-system:daemon-set-controller', requestObject: podObject({ images: ['mcr.microsoft.com/oss/v2/kubernetes/kube-proxy:v1.31.1-2'], privileged: [true], hostNetwork: true }) };
    const dns = { ...created('pods', 'kube-system'), user: 'system:serviceaccount:kube-system:replicaset-controller', requestObject: podObject({ images: ['mcr.microsoft.com/oss/v2/kubernetes/coredns:v1.13.1-2'] }) };
    expect(fired(proxy, aks)).toEqual([]);
    expect(fired(dns, aks)).toEqual([]);
  });
});

describe("KubeSift's audit rules (switches.kubesiftRules: on in aks, off in falco)", () => {
  const aks = defaultPolicy('aks');
  const rules = (spec: EventSpec, policy: Policy) => detect({ AksAudit: [row(spec)], AksControlPlane: [] }, policy, new Date(0)).map((d) => d.Rule);
  const TOKEN = 'Service Account Token Requested in Kube Namespace';
  const token = (user: string, over: Partial<EventSpec> = {}): EventSpec => ({ user, verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'kube-system', name: 'clusterrole-aggregation-controller', code: 201, ...over });

  it('a token minted for a kube-system account by a non-node caller fires under aks (it fired nothing there)', () => {
    const hits = detect({ AksAudit: [row(token('system:serviceaccount:ci:deployer'))], AksControlPlane: [] }, aks, new Date(0));
    expect(hits.map((d) => d.Rule)).toEqual([TOKEN]);
    expect(hits[0]!.Output).toContain('serviceaccount=clusterrole-aggregation-controller');
    expect(hits[0]!.Output).toContain('sourceip=10.0.0.7');
    expect(hits[0]!.Tags).toContain('T1528');
  });

  it("the kubelet's, the controller manager's and AKS's own requests, failed requests and other namespaces stay quiet", () => {
    expect(rules(token('system:node:aks-nodepool1-12345678-vmss000000'), aks)).toEqual([]);
    expect(rules(token('system:kube-controller-manager'), aks)).toEqual([]);
    expect(rules(token('aksService'), aks)).toEqual([]);
    expect(rules(token('system:serviceaccount:ci:deployer', { code: 403 }), aks)).not.toContain(TOKEN);
    expect(rules(token('system:serviceaccount:ci:deployer', { namespace: 'prod' }), aks)).toEqual([]);
  });

  it("is not part of the falco profile (Falco's own service account rules fire there instead)", () => {
    expect(rules(token('system:serviceaccount:ci:deployer'), falco)).not.toContain(TOKEN);
    expect(rules(token('system:serviceaccount:ci:deployer'), extendPolicy(falco, { switches: { kubesiftRules: true } }))).toContain(TOKEN);
    expect(rules(token('system:serviceaccount:ci:deployer'), extendPolicy(aks, { rules: { kubesift_sa_token_kube_namespace: { enabled: false } } }))).toEqual([]);
  });

  const UNINSPECTED = 'Pod Created With an Uninspected Spec';
  it('a pod create whose record AKS cut at 16 KiB fires (padding hid a privileged pod from every pod rule)', () => {
    const pod = podObject({ images: ['evil/miner:1'], privileged: [true], hostPID: true, hostPaths: ['/'] });
    (pod.metadata as Record<string, unknown>).annotations = { pad: 'x'.repeat(17_000) };
    const text = JSON.stringify(auditEvent({ ...created('pods', 'default'), requestObject: pod }));
    const events = [{ body: JSON.stringify({ records: [diagRecord('kube-audit', text.slice(0, 16_384))] }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 1, offset: '0' } }];
    const result = processEvents(events, { policy: aks, now: new Date(0) });
    expect(result.rows.AksAudit.map((r) => r.Truncated)).toEqual([true]);
    const hits = result.detections.filter((d) => d.Rule === UNINSPECTED);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.Output).toContain('why=truncated');
    // Whole, the same pod fires the pod rules and not this one.
    const whole = rules({ ...created('pods', 'default'), requestObject: pod }, aks);
    expect(whole).toContain('Create Privileged Pod');
    expect(whole).not.toContain(UNINSPECTED);
  });

  it('a privileged ephemeral container added to a running pod (kubectl debug --profile=sysadmin) fires, as a merge patch or a JSON patch', () => {
    const PRIV = 'Privileged Ephemeral Container Added';
    const debug = (requestObject: unknown, over: Partial<EventSpec> = {}): EventSpec => ({ verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'web-0', code: 200, requestObject, ...over });
    const container = (privileged: boolean) => ({ name: 'debugger-x7k2p', image: 'busybox:1.36', securityContext: { privileged } });
    const merge = debug({ spec: { ephemeralContainers: [container(true)] } });
    const hits = detect({ AksAudit: [row(merge)], AksControlPlane: [] }, aks, new Date(0));
    expect(hits.map((d) => d.Rule)).toEqual(expect.arrayContaining(['EphemeralContainers Created', PRIV]));
    expect(hits.find((d) => d.Rule === PRIV)!.Output).toContain('ephemeral_container_name=debugger-x7k2p ephemeral_container_image=busybox:1.36');
    const jsonPatch = debug([{ op: 'add', path: '/spec/ephemeralContainers/-', value: container(true) }]);
    const jp = detect({ AksAudit: [row(jsonPatch)], AksControlPlane: [] }, aks, new Date(0));
    expect(jp.map((d) => d.Rule)).toContain(PRIV);
    // Falco's own rule now names the container of a JSON patch too (it printed <NA>).
    expect(jp.find((d) => d.Rule === 'EphemeralContainers Created')!.Output).toContain('ephemeral_container_name=debugger-x7k2p');
    // The container named is the one the request adds: a Pod's last (the newest), an EphemeralContainers list's first.
    const named = (requestObject: unknown) =>
      detect({ AksAudit: [row(debug(requestObject))], AksControlPlane: [] }, aks, new Date(0)).find((d) => d.Rule === 'EphemeralContainers Created')!.Output;
    expect(named({ kind: 'Pod', spec: { ephemeralContainers: [{ name: 'older', image: 'a' }, { name: 'newest', image: 'b' }] } })).toContain('ephemeral_container_name=newest ephemeral_container_image=b');
    expect(named({ kind: 'EphemeralContainers', ephemeralContainers: [{ name: 'first', image: 'a' }, { name: 'second', image: 'b' }] })).toContain('ephemeral_container_name=first ephemeral_container_image=a');
    // A JSON patch that adds the container, then makes it privileged in a later op, or copies one in.
    const plain = { name: 'dbg', image: 'busybox' };
    for (const ops of [
      [{ op: 'add', path: '/spec/ephemeralContainers/-', value: plain }, { op: 'add', path: '/spec/ephemeralContainers/0/securityContext', value: { privileged: true } }],
      [{ op: 'add', path: '/spec/ephemeralContainers/-', value: plain }, { op: 'add', path: '/spec/ephemeralContainers/0/securityContext/privileged', value: true }],
      [{ op: 'copy', from: '/spec/containers/0', path: '/spec/ephemeralContainers/-' }],
    ])
      expect(detect({ AksAudit: [row(debug(ops))], AksControlPlane: [] }, aks, new Date(0)).map((d) => d.Rule), JSON.stringify(ops)).toContain(PRIV);
    // What the pod has after the request (a RequestResponse event's Pod) counts too, however the body was written.
    const after = row(debug({ spec: { ephemeralContainers: [container(false)] } }));
    (after as { ResponseObject: unknown }).ResponseObject = { kind: 'Pod', spec: { ephemeralContainers: [container(true)] } };
    expect(detect({ AksAudit: [after], AksControlPlane: [] }, aks, new Date(0)).map((d) => d.Rule)).toContain(PRIV);
    // Near misses: not privileged, refused, another path of a JSON patch, Falco's pack alone.
    for (const [why, spec, policy] of [
      ['not privileged', debug({ spec: { ephemeralContainers: [container(false)] } }), aks],
      ['refused', debug({ spec: { ephemeralContainers: [container(true)] } }, { code: 403 }), aks],
      ['other path', debug([{ op: 'add', path: '/spec/containers/-', value: container(true) }]), aks],
      ['falco profile', merge, falco],
    ] as const)
      expect(detect({ AksAudit: [row(spec)], AksControlPlane: [] }, policy, new Date(0)).map((d) => d.Rule), why).not.toContain(PRIV);
  });

  const CUT = 'Request Cut Before It Could Be Inspected';
  it('a record cut inside a 16 KiB request URI fires (verb, user and object went with the cut: no other rule could match)', () => {
    const cutRecord = (spec: EventSpec) => {
      const text = JSON.stringify(auditEvent(spec));
      return { body: JSON.stringify({ records: [diagRecord('kube-audit', text.slice(0, 16_384))] }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 1, offset: '0' } };
    };
    const exec = { user: 'mallory', verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web', code: 101, uri: `/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=${'x'.repeat(17_000)}` };
    const result = processEvents([cutRecord(exec)], { policy: aks, now: new Date(0) });
    expect(result.detections.map((d) => d.Rule)).toEqual([CUT]);
    expect(result.detections[0]!.Output).toContain('uri=/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=xxx');
    expect(result.rows.AksAudit[0]).toMatchObject({ Truncated: true, RequestUri: expect.stringMatching(/^\/api\/v1\/namespaces\/default\/pods\/web\/exec\?/) });
    // Not "Disallowed K8s User" for a user the cut took (it printed user=<NA>).
    expect(processEvents([cutRecord(exec)], { policy: extendPolicy(aks, { switches: { allEvents: true } }), now: new Date(0) }).detections.map((d) => d.Rule)).not.toContain('Disallowed K8s User');
    // Cut later (inside the request object), the verb and user survive: the usual rules, not this one.
    const pod = podObject({ privileged: [true] });
    (pod.metadata as Record<string, unknown>).annotations = { pad: 'x'.repeat(17_000) };
    const later = processEvents([cutRecord({ ...created('pods', 'default'), stage: 'ResponseComplete', requestObject: pod })], { policy: aks, now: new Date(0) });
    expect(later.detections.map((d) => d.Rule)).toContain(UNINSPECTED);
    expect(later.detections.map((d) => d.Rule)).not.toContain(CUT);
    // Falco's pack alone (the falco profile) has no such rule.
    expect(processEvents([cutRecord(exec)], { policy: falco, now: new Date(0) }).detections.map((d) => d.Rule)).not.toContain(CUT);
    // A client's 17 KB Audit-ID header: the cut takes the stage too; still a row and this detection (it was a dead letter alone).
    const padded = processEvents([cutRecord({ ...exec, uri: '/api/v1/namespaces/default/pods/web/exec?command=sh', auditID: 'A'.repeat(17_000) })], { policy: aks, now: new Date(0) });
    expect(padded.rows.AksAudit.map((r) => [r.Truncated, r.AuditId.length > 16_000, r.Stage])).toEqual([[true, true, '']]);
    expect(padded.detections.map((d) => d.Rule)).toEqual([CUT]);
  });

  it('so does a request object AKS replaced; a Metadata-level event (no request object at all) does not', () => {
    expect(rules({ ...created('pods', 'default'), requestObject: 'skipped-too-big-size-object' }, aks)).toContain(UNINSPECTED);
    expect(rules(created('pods', 'default'), aks)).not.toContain(UNINSPECTED);
    expect(rules({ ...created('pods', 'default'), requestObject: 'skipped-too-big-size-object' }, falco)).not.toContain(UNINSPECTED);
  });
});

describe("KubeSift's rule: secrets listed across all namespaces (Falco's secret rules watch get only)", () => {
  const aks = defaultPolicy('aks');
  const LISTED = 'Secrets Listed Across All Namespaces';
  const listed = (over: Partial<EventSpec> = {}): EventSpec => ({ user: 'system:serviceaccount:default:ci-runner', verb: 'list', resource: 'secrets', uri: '/api/v1/secrets?limit=500', code: 200, ...over });
  const rules = (spec: EventSpec, policy: Policy = aks) => detect({ AksAudit: [row(spec)], AksControlPlane: [] }, policy, new Date(0)).filter((d) => d.Rule === LISTED);

  it('a list or watch of every namespace\'s secrets fires, with who, how and from where', () => {
    const [hit, ...more] = rules(listed());
    expect(more).toEqual([]);
    expect(hit).toMatchObject({ RuleId: 'kubesift_secrets_listed_all_namespaces', Priority: 'WARNING', User: 'system:serviceaccount:default:ci-runner', Resource: 'secrets' });
    expect(hit!.Output).toBe("Secrets Listed Across All Namespaces: Every namespace's secrets listed (user=system:serviceaccount:default:ci-runner verb=list uri=/api/v1/secrets?limit=500 sourceip=10.0.0.7 useragent=" + String((hit!.Evidence as Record<string, unknown>)['ka.useragent']) + ' resp=200)');
    expect(hit!.Tags).toContain('T1552.007');
    expect(rules(listed({ verb: 'watch', uri: '/api/v1/secrets?watch=true' }))).toHaveLength(1);
  });

  it('one namespace, a refused list, a get, the controller manager, the API server, AKS and a listed controller stay quiet; off in falco', () => {
    expect(rules(listed({ namespace: 'payments', uri: '/api/v1/namespaces/payments/secrets' }))).toEqual([]);
    expect(rules(listed({ code: 403, decision: 'forbid' }))).toEqual([]);
    expect(rules(listed({ verb: 'get', name: 'db' }))).toEqual([]);
    for (const user of ['system:kube-controller-manager', 'system:apiserver', 'aksService']) expect(rules(listed({ user }))).toEqual([]);
    const certManager = 'system:serviceaccount:cert-manager:cert-manager';
    expect(rules(listed({ user: certManager }))).toHaveLength(1);
    expect(rules(listed({ user: certManager }), extendPolicy(aks, { lists: { secretListers: [...aks.lists.secretListers, certManager] } }))).toEqual([]);
    expect(rules(listed(), falco)).toEqual([]);
  });
});

describe("KubeSift's rule: requests made while impersonating (Falco's pack has none)", () => {
  const aks = defaultPolicy('aks');
  const IMP = 'Request Made While Impersonating Another User';
  const asAdmin = (over: Partial<EventSpec> = {}): EventSpec => ({ user: 'dev@contoso.com', verb: 'get', resource: 'secrets', namespace: 'kube-system', name: 'x', code: 200, impersonate: { username: 'system:admin', groups: ['system:masters'] }, ...over });
  const hits = (spec: EventSpec, policy: Policy = aks) => detect({ AksAudit: [row(spec)], AksControlPlane: [] }, policy, new Date(0)).filter((d) => d.Rule === IMP);

  it('a successful request made as another user fires, naming both', () => {
    const [hit, ...more] = hits(asAdmin());
    expect(more).toEqual([]);
    expect(hit).toMatchObject({ RuleId: 'kubesift_impersonation', Priority: 'NOTICE', User: 'dev@contoso.com' });
    expect(hit!.Output).toContain('(user=dev@contoso.com impersonated=system:admin verb=get uri=/api/v1/namespaces/kube-system/secrets/x sourceip=10.0.0.7 ');
    expect(hit!.Tags).toContain('T1078');
  });

  it('no impersonation, a refused one, a listed impersonator, and the falco profile stay quiet', () => {
    expect(hits(asAdmin({ impersonate: undefined }))).toEqual([]);
    expect(hits(asAdmin({ code: 403, decision: 'forbid' }))).toEqual([]);
    expect(hits(asAdmin(), extendPolicy(aks, { lists: { impersonators: ['dev@contoso.com'] } }))).toEqual([]);
    expect(hits(asAdmin(), falco)).toEqual([]);
  });
});

describe('what a created role or binding grants is in its output (as Falco prints it)', () => {
  const binding = { roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'ServiceAccount', name: 'ci-runner', namespace: 'ci' }, { kind: 'User', name: 'eve' }] };
  it.each([
    ['K8s RoleBinding Created', 'rolebindings', 'default'],
    ['K8s ClusterRoleBinding Created', 'clusterrolebindings', undefined],
  ] as const)('%s: subjects and role', (rule, res, ns) => {
    const d = fire(rule, { ...created(res, ns), requestObject: binding });
    expect(d).toHaveLength(1);
    // Kind and namespace too: which account, and whether a subject is a group (Falco prints the subjects whole).
    expect(d[0]!.Output).toContain('subjects=ServiceAccount:ci/ci-runner,User:eve role=edit resp=201');
  });

  it.each([
    ['K8s Role Created', 'roles', 'default'],
    ['K8s ClusterRole Created', 'clusterroles', undefined],
  ] as const)('%s: rules', (rule, res, ns) => {
    const d = fire(rule, { ...created(res, ns), requestObject: role([{ resources: ['pods'], verbs: ['get'] }]) });
    expect(d[0]!.Output).toContain('rules=[{"resources":["pods"],"verbs":["get"]}] resp=201');
  });

  it('cluster-admin granted to a group names the group as one', () => {
    const d = fire('Attach to cluster-admin Role', { ...created('clusterrolebindings'), requestObject: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'attacker-ns' }, { kind: 'Group', name: 'system:authenticated' }] } });
    expect(d[0]!.Output).toContain('subjects=ServiceAccount:attacker-ns/default,Group:system:authenticated)');
  });

  it("every detection's evidence says who from where: client address, agent, groups, impersonated user", () => {
    const spec: EventSpec = { ...created('pods', 'kube-system'), subresource: 'exec', requestObject: undefined, groups: ['system:masters', 'system:authenticated'] };
    const d = fire('Attach/Exec Pod', { ...spec, stage: 'ResponseStarted' });
    expect(d).toHaveLength(1);
    expect(d[0]!.Evidence).toMatchObject({ 'ka.sourceip': '10.0.0.7', 'ka.useragent': 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc', 'ka.user.groups': ['system:masters', 'system:authenticated'] });
  });

  it('deletions print no request body fields', () => {
    expect(fire('K8s RoleBinding Deleted', deleted('rolebindings', 'default'))[0]!.Output).not.toContain('subjects=');
  });
});

describe('policy controls', () => {
  const spec: EventSpec = { ...created('pods', 'default'), requestObject: podObject({ hostNetwork: true }) };

  it('disables a rule by id or by name, and overrides its priority', () => {
    expect(fire('Create HostNetwork Pod', spec, loadPolicy({ rules: { k8s_hostnetwork_pod: { enabled: false } } }, 'falco'))).toEqual([]);
    expect(fire('Create HostNetwork Pod', spec, loadPolicy({ rules: { 'Create HostNetwork Pod': { enabled: false } } }, 'falco'))).toEqual([]);
    expect(fire('Create HostNetwork Pod', spec, loadPolicy({ rules: { k8s_hostnetwork_pod: { priority: 'CRITICAL' } } }, 'falco'))[0]!.Priority).toBe('CRITICAL');
  });

  it('applies exceptions (every field of an item must match)', () => {
    const p = loadPolicy({ exceptions: { k8s_hostnetwork_pod: [{ 'ka.target.namespace': ['default'], 'ka.user.name': ['alice'] }] } }, 'falco');
    expect(fire('Create HostNetwork Pod', spec, p)).toEqual([]);
    expect(fire('Create HostNetwork Pod', { ...spec, user: 'bob' }, p)).toHaveLength(1);
  });

  it('rejects bad policies with errors naming the field', () => {
    expect(() => loadPolicy({ lists: { allowedUser: ['x'] } })).toThrow(/lists: Unrecognized key: "allowedUser"/);
    expect(() => loadPolicy({ switches: { activityRules: 'no' } })).toThrow(/switches\.activityRules/);
    expect(() => loadPolicy({ rules: { 'No Such Rule': { enabled: false } } })).toThrow(/rules\.No Such Rule: unknown rule/);
    expect(() => loadPolicy({ exceptions: { k8s_hostnetwork_pod: [{ 'ka.nope': ['x'] }] } })).toThrow(/exceptions\.k8s_hostnetwork_pod\.0/);
    expect(() => loadPolicy({ windows: [{ id: 'x', kind: 'keyword', keyword: 'a', windowSeconds: 0, threshold: 1 }] })).toThrow(/windows\.0\.windowSeconds/);
    // Baselines are built per scored bin: a look-back is bounded.
    expect(() => loadPolicy({ windows: [{ id: 'r', kind: 'rate', table: 'AksControlPlane', binSeconds: 60, baselineBins: 1e9, factor: 2, minCount: 1 }] })).toThrow(/windows\.0\.baselineBins/);
    expect(() => loadPolicy({ windows: [{ id: 'z', kind: 'zscore', table: 'AksAudit', binSeconds: 60, minBins: 10_001, threshold: 3 }] })).toThrow(/windows\.0\.minBins/);
    expect(() => loadPolicy([1, 2])).toThrow(/must be a JSON object/);
  });

  it('rejects values that would match nothing: a misspelt stage (it silenced almost every rule), no stage, an upper-case verb, an address that is not one', () => {
    expect(() => loadPolicy({ auditStages: ['ResponseComplet'] })).toThrow(/auditStages\.0: Invalid option: expected one of "RequestReceived"\|"ResponseStarted"\|"ResponseComplete"\|"Panic"/);
    expect(() => loadPolicy({ auditStages: [] })).toThrow(/auditStages: at least one stage/);
    expect(() => loadPolicy({ auditStages: { remove: ['ResponseComplete'] } })).toThrow(/auditStages: at least one stage/);
    expect(() => loadPolicy({ lists: { writableVerbs: { append: ['CREATE'] } } })).toThrow(/lists\.writableVerbs\.5: a Kubernetes verb: lower case/);
    expect(() => loadPolicy({ apiserver: { trustedSourceIps: { append: ['not-an-ip'] } } })).toThrow(/apiserver\.trustedSourceIps\.0: an IP address/);
    for (const bad of ['10.0.0.0/33', 'fd00::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.1:443', '10.0.0.0/8/8'])
      expect(() => loadPolicy({ apiserver: { trustedSourceIps: [bad] } }), bad).toThrow(/apiserver\.trustedSourceIps\.0: an IP address or CIDR network/);
    // The windows overlay's forms, and how to turn one off, in the message (it said "Invalid input").
    expect(() => loadPolicy({ windows: { remove: ['apiserver_silence'] } })).toThrow(/windows: an array .* or \{"append": \[\.\.\.\]\}; to turn one off: "rules": \{"window\.<id>": \{"enabled": false\}\}/);
    // What is right still loads.
    expect(loadPolicy({ auditStages: ['ResponseStarted', 'ResponseComplete'], lists: { writableVerbs: { append: ['*', 'escalate'] } }, apiserver: { trustedSourceIps: ['::1', '10.0.0.1', '10.224.0.0/16', 'fd00::/8'] } }).auditStages).toEqual(['ResponseStarted', 'ResponseComplete']);
  });

  it('stacked overlays merge rule settings field by field; an overlay cannot switch the profile', () => {
    const off = loadPolicy({ rules: { k8s_attach_exec_pod: { enabled: false } } });
    const later = extendPolicy(off, { rules: { k8s_attach_exec_pod: { priority: 'CRITICAL' } } });
    // The later {priority} used to replace the setting whole and re-enable the rule.
    expect(later.rules.k8s_attach_exec_pod).toEqual({ enabled: false, priority: 'CRITICAL' });
    expect(() => extendPolicy(loadPolicy({}), { profile: 'falco' })).toThrow(/profile: an overlay cannot switch the profile \(aks\)/);
    expect(extendPolicy(loadPolicy({}), { profile: 'aks' }).profile).toBe('aks');
  });

  it('a rule named by id in one overlay and by name in another is one rule: the later setting wins', () => {
    const configmap = { user: 'mallory', verb: 'create', resource: 'configmaps', namespace: 'prod', name: 'c', code: 201 };
    const off = loadPolicy({ rules: { k8s_configmap_created: { enabled: false } } }, 'falco');
    expect(fire('K8s ConfigMap Created', configmap, off)).toEqual([]);
    // Re-enabled by its Falco name: it stayed off (any enabled:false among the two keys won).
    expect(fire('K8s ConfigMap Created', configmap, extendPolicy(off, { rules: { 'K8s ConfigMap Created': { enabled: true } } }))).toHaveLength(1);
    // A priority by id after one by name: the name's stayed (it was read first).
    const critical = loadPolicy({ rules: { 'K8s Secret Get Successfully': { priority: 'CRITICAL' } } }, 'falco');
    const notice = extendPolicy(critical, { rules: { k8s_secret_get_success: { priority: 'NOTICE' } } });
    expect(fire('K8s Secret Get Successfully', { user: 'mallory', verb: 'get', resource: 'secrets', namespace: 'prod', name: 'db', code: 200 }, notice).map((d) => d.Priority)).toEqual(['NOTICE']);
    // The apiserver pack the same way (it let the id win).
    const api = extendPolicy(loadPolicy({ rules: { 'Secret Read by Unexpected User Agent': { enabled: false } } }), { rules: { apiserver_secret_read_unexpected_agent: { enabled: true } } });
    expect(api.rules).toMatchObject({ apiserver_secret_read_unexpected_agent: { enabled: true } });
    expect(Object.keys(api.rules)).toEqual(['apiserver_secret_read_unexpected_agent']);
    // Exceptions under either key add up.
    const exc = extendPolicy(loadPolicy({ exceptions: { 'Attach/Exec Pod': [{ 'ka.user.name': ['alice'] }] } }), { exceptions: { k8s_attach_exec_pod: [{ 'ka.user.name': ['bob'] }] } });
    expect(exc.exceptions).toEqual({ k8s_attach_exec_pod: [{ 'ka.user.name': ['alice'] }, { 'ka.user.name': ['bob'] }] });
  });

  it('a window rule key must name a window detector of the policy', () => {
    expect(() => loadPolicy({ rules: { 'window.apiserver_silense': { enabled: false } } })).toThrow(/rules\.window\.apiserver_silense: no window detector apiserver_silense \(known: .*apiserver_silence/);
    expect(loadPolicy({ rules: { 'window.apiserver_silence': { enabled: false } } }).rules).toEqual({ 'window.apiserver_silence': { enabled: false } });
    // One appended in the same overlay is known.
    const kw = { id: 'boom', kind: 'keyword', keyword: 'boom', windowSeconds: 10, threshold: 2 };
    expect(loadPolicy({ windows: { append: [kw] }, rules: { 'window.boom': { priority: 'ERROR' } } }).rules['window.boom']).toEqual({ priority: 'ERROR' });
  });

  it('an exception must use the fields of the pack that owns its rule, and only rules that read exceptions take them', () => {
    // Each was accepted and then made every batch's detection throw (cross-pack field) or was ignored.
    expect(() => loadPolicy({ exceptions: { 'Attach/Exec Pod': [{ 'cp.sourceip': ['10.0.0.7'] }] } })).toThrow(/exceptions\.Attach\/Exec Pod\.0\.cp\.sourceip: this rule reads ka\.\* fields only/);
    expect(() => loadPolicy({ exceptions: { apiserver_exec_attach_portforward: [{ 'ka.user.name': ['alice'] }] } })).toThrow(/exceptions\.apiserver_exec_attach_portforward\.0\.ka\.user\.name: this rule reads cp\.\* fields only/);
    expect(() => loadPolicy({ exceptions: { apiserver_auth_failure_burst: [{ 'cp.sourceip': ['10.0.0.7'] }] } })).toThrow(/exceptions\.apiserver_auth_failure_burst: this rule takes no exceptions/);
    expect(() => loadPolicy({ exceptions: { 'window.repeated_message': [{ 'cp.sourceip': ['10.0.0.7'] }] } })).toThrow(/exceptions\.window\.repeated_message: this rule takes no exceptions/);
    expect(() => extendPolicy(loadPolicy({}), { exceptions: { 'Attach/Exec Pod': [{ 'cp.verb': ['GET'] }] } })).toThrow(/this rule reads ka\.\* fields only/);
    // What works keeps working, and detection runs.
    const ok = loadPolicy({ exceptions: { 'Attach/Exec Pod': [{ 'ka.user.name': ['alice'] }], apiserver_exec_attach_portforward: [{ 'cp.sourceip': ['10.0.0.7'] }] } });
    expect(() => detect({ AksAudit: [], AksControlPlane: [] }, ok, new Date(0))).not.toThrow();
  });

  it('list overlays replace, append and remove', () => {
    expect(loadPolicy({ lists: { allowedNamespaces: ['only'] } }, 'falco').lists.allowedNamespaces).toEqual(['only']);
    expect(loadPolicy({ lists: { allowedNamespaces: { append: ['foo'], remove: ['default'] } } }, 'falco').lists.allowedNamespaces).toEqual(['kube-system', 'kube-public', 'foo']);
  });

  it('the shipped example policy loads', () => {
    const p = loadPolicy(JSON.parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../policies/example.json'), 'utf8')));
    expect(p.lists.allowedNamespaces).toContain('prod');
    expect(p.windows.map((w) => w.id)).toContain('scheduler_failures');
  });

  it('the profile named in the file wins over the default', () => {
    expect(loadPolicy({ profile: 'falco' }, 'aks').profile).toBe('falco');
    expect(loadPolicy({}, 'falco').lists.allowedUsers).not.toContain('aksService');
    expect(loadPolicy({}).lists.allowedUsers).toContain('aksService');
  });
});

const yamlPath = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/reference/falco_k8s_audit_rules.yaml');
describe.skipIf(!existsSync(yamlPath))('parity with the published Falco rules file', () => {
  it('has the same 48 rule names with the same priorities', () => {
    const doc = parse(readFileSync(yamlPath, 'utf8')) as { rule?: string; priority?: string }[];
    const published = Object.fromEntries(doc.filter((x) => x.rule).map((x) => [x.rule!, x.priority!]));
    expect(Object.fromEntries(K8S_AUDIT_RULES.map((r) => [r.name, r.priority]))).toEqual(published);
  });

  it('the falco profile lists equal the published lists', () => {
    const doc = parse(readFileSync(yamlPath, 'utf8')) as { list?: string; items?: string[] }[];
    const lists = Object.fromEntries(doc.filter((x) => x.list).map((x) => [x.list!, x.items ?? []]));
    const f = falco.lists;
    expect(f.privilegedImages).toEqual(lists.k8s_audit_privileged_images);
    expect(f.sensitiveMountImages).toEqual(lists.k8s_audit_sensitive_mount_images);
    expect(f.hostNetworkImages).toEqual(lists.k8s_audit_hostnetwork_images);
    expect(f.knownServiceAccounts).toEqual(lists.known_sa_list);
    expect(f.allowedNamespaces).toEqual(lists.allowed_namespaces);
    expect(f.fullAdminUsers).toEqual(lists.full_admin_k8s_users);
    expect(f.kubeNamespaceImages).toEqual(lists.allowed_kube_namespace_image_list!.filter((x) => x !== 'k8s_image_list'));
    const users = [...lists.allowed_k8s_users!.flatMap((u) => (u === 'vertical_pod_autoscaler_users' ? lists.vertical_pod_autoscaler_users! : [u])), ...lists.eks_allowed_k8s_users!];
    expect(f.allowedUsers).toEqual(users);
  });
});

describe('switches.objectRulesSkipSubresources: a request to a subresource creates or deletes no object', () => {
  const aks = defaultPolicy('aks');
  const kubelet = 'system:node:aks-nodepool1-12345678-vmss000000';
  // The kubelet asks for a token for every pod it runs (serviceaccounts/token, verb create).
  const tokenRequest = { user: kubelet, verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'kube-system', name: 'eraser-controller-manager', code: 201 };
  const cases: [string, EventSpec, Policy][] = [
    ['Service Account Created in Kube Namespace', tokenRequest, falco],
    ['K8s Serviceaccount Created', tokenRequest, falco],
    ['K8s Service Created', { user: 'masterclient', verb: 'create', resource: 'services', subresource: 'proxy', namespace: 'prod', name: 'web', code: 200 }, falco],
    ['K8s Namespace Deleted', { user: 'masterclient', verb: 'delete', resource: 'namespaces', subresource: 'status', name: 'prod', code: 200 }, falco],
    ['Create Disallowed Namespace', { user: 'masterclient', verb: 'create', resource: 'namespaces', subresource: 'finalize', name: 'evil', code: 201 }, falco],
    ['Untrusted Node Successfully Joined the Cluster', { user: 'masterclient', verb: 'create', resource: 'nodes', subresource: 'proxy', name: 'rogue', code: 200 }, nodes],
  ];
  const on = (p: Policy) => extendPolicy(p, { switches: { objectRulesSkipSubresources: true } });

  it.each(cases)('%s: fires under Falco semantics, quiet with the switch on', (rule, spec, policy) => {
    expect(fire(rule, spec, policy)).toHaveLength(1);
    expect(fire(rule, spec, on(policy))).toEqual([]);
    // The object itself still fires with the switch on.
    const { subresource: _s, ...object } = spec;
    expect(fire(rule, object, on(policy))).toHaveLength(1);
  });

  it('is on in the aks profile, off in falco', () => {
    expect(aks.switches.objectRulesSkipSubresources).toBe(true);
    expect(falco.switches.objectRulesSkipSubresources).toBe(false);
    expect(detect({ AksAudit: [row(tokenRequest)], AksControlPlane: [] }, aks, new Date(0))).toEqual([]);
  });
});
