// AKS control-plane diagnostics of a quiet cluster: kube-audit records from the control
// plane's own identities (leases, node status, discovery, configmap reads) and from its team's
// kubectl (reads, logs, a rollout restart), kube-apiserver access lines, and
// controller-manager/scheduler/autoscaler chatter — shaped exactly like the real records in
// ../shared/fixtures/aks. Scenarios are the attacks the detectors hunt.
import { ByteWriter, textOf, utf8 } from '../bytes.js';
import { clusterResourceId, diagnosticRecordBytes, klogHeader, klogLine, writeAuditEvent, writeHttplogMessage, type AuditEventFields, type HttplogLine } from '../encoders/aks.js';
import { attackerIp, externalIp } from '../names.js';
import { Rng, type Uuid } from '../prng.js';
import type { Format, LogTypeName, ResolvedRequest } from '../request.js';
import { DEFAULT_RATE, isoToUs, TimeFormat } from '../time.js';
import type { Encoder, GenEnv, LogTypeDef, ScenarioDef } from '../types.js';

export interface AksEvent {
  t: number;
  category: string;
  pod: string;
  containerID: string;
  stream: 'stdout' | 'stderr';
  /**
   * properties.log without the trailing newline audit records carry; for audit events the
   * Event itself, serialized by the encoder in the form its format needs (plain for raw,
   * escaped inside the record's JSON for jsonl/eventhub).
   */
  log: string | { audit: AuditEventFields } | HttplogLine;
  auditId: string | Uuid | null;
}

/** Records per Event Hub body in the eventhub format (fixed, so record N maps to body/index by arithmetic). */
export const RECORDS_PER_BODY = 50;
const K8S_VERSION = 'v1.29.7';
const K8S_COMMIT = 'kubernetes/4f2a6b0';

interface User {
  username: string;
  uid?: string;
  groups: string[];
}

interface AksEnv extends GenEnv {
  resourceId: string;
  apiservers: { pod: string; containerID: string }[];
  others: Record<string, { pod: string; containerID: string }>;
  nodes: AksNode[];
  controlPlaneIp: string;
  tf: TimeFormat;
  /** The team's office and VPN egress addresses (benign internet peers). */
  teamIps: string[];
  /** The web app in `default` the team works on (and an attack execs into). */
  web: WebApp;
  /**
   * Second stages of requests already started (a log stream or a watch completes later),
   * by time: the next benign event at or after `at` is the stage. Still due when the dataset
   * ends: dropped, as the request had not finished.
   */
  due: { at: number; make: (t: number) => AksEvent }[];
}

/** Deployment `web` as the apiserver returns it; a rollout restart moves it to a new ReplicaSet. */
interface WebApp {
  uid: string;
  /** creationTimestamp, µs. */
  created: number;
  generation: number;
  resourceVersion: number;
  /** pod-template-hash of the current ReplicaSet and its three pods. */
  hash: string;
  pods: string[];
}

/** Characters Kubernetes draws generated names from (rand.SafeEncodeString: no vowels, no 0, 1 or 3). */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function k8sName(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_ALPHABET[rng.int(NAME_ALPHABET.length)];
  return s;
}

/** The web deployment's pods under a fresh ReplicaSet (a rollout). */
function rollWeb(rng: Rng, web: Pick<WebApp, 'hash' | 'pods'>): void {
  web.hash = k8sName(rng, 10);
  web.pods = Array.from({ length: 3 }, () => `web-${web.hash}-${k8sName(rng, 5)}`);
}

/**
 * Streams in flight at once, at most: past it a new one is left running at the dataset's end
 * (its completion never written). A dataset packed into seconds (a huge rate) would otherwise
 * hold every watch it starts, minutes long each, until it ends.
 */
const MAX_DUE = 2048;

/** Queue `make` to run at the first benign event at or after `at` (due stays sorted by time; equal times keep their order). */
function later(env: AksEnv, at: number, make: (t: number) => AksEvent): void {
  const due = env.due;
  if (due.length >= MAX_DUE) return;
  let lo = 0;
  let hi = due.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (due[mid]!.at <= at) lo = mid + 1;
    else hi = mid;
  }
  due.splice(lo, 0, { at, make });
}

interface AuditSpec {
  level: 'Metadata' | 'Request' | 'RequestResponse';
  stage?: 'ResponseStarted' | 'ResponseComplete';
  verb: string;
  uri: string;
  user: User;
  ip: string;
  ua: string;
  objectRef?: Record<string, string>;
  code: number;
  status?: { status: string; message: string; reason: string };
  requestObject?: unknown;
  responseObject?: unknown;
  decision?: 'allow' | 'forbid';
  reason?: string;
  latencyUs: number;
  /**
   * The stages of one request (a long-running exec: ResponseStarted, then ResponseComplete)
   * are one request: they share its auditID and requestReceivedTimestamp. Given, these
   * replace the fresh id and t - latencyUs.
   */
  request?: { auditID: Uuid; receivedUs: number };
  /** The apiserver pod that serves it (the stages of one request come from one); else drawn. */
  api?: { pod: string; containerID: string };
}

const sa = (ns: string, name: string): User => ({ username: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] });
const node = (name: string): User => ({ username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });
const ua = (agent: string, suffix = ''): string => `${agent}/${K8S_VERSION} (linux/amd64) ${K8S_COMMIT}${suffix}`;

/** One audit.k8s.io/v1 Event (auditEventObject gives its shape; the encoder writes it). */
function auditEvent(rng: Rng, env: AksEnv, t: number, s: AuditSpec): AksEvent {
  const auditID = s.request?.auditID ?? rng.uuidWords();
  const audit: AuditEventFields = {
    level: s.level, auditID, stage: s.stage ?? 'ResponseComplete', requestURI: s.uri, verb: s.verb, user: s.user, sourceIP: s.ip, userAgent: s.ua,
    objectRef: s.objectRef, code: s.code, status: s.status, requestObject: s.requestObject, responseObject: s.responseObject,
    requestReceivedTimestamp: s.request?.receivedUs ?? t - s.latencyUs, stageTimestamp: t, decision: s.decision ?? 'allow', reason: s.reason ?? '',
  };
  const api = s.api ?? rng.pick(env.apiservers);
  return { t, category: 'kube-audit', pod: api.pod, containerID: api.containerID, stream: 'stdout', log: { audit }, auditId: auditID };
}

/**
 * A stream (a log follow, a watch): audited at ResponseStarted now and at ResponseComplete at
 * `endAt`, one request (auditID, received time, apiserver).
 */
function streamAudit(rng: Rng, env: AksEnv, t: number, spec: AuditSpec, endAt: number): AksEvent {
  const first = { ...spec, request: { auditID: rng.uuidWords(), receivedUs: t - spec.latencyUs }, api: rng.pick(env.apiservers) };
  later(env, endAt, (end) => auditEvent(rng, env, end, { ...first, stage: 'ResponseComplete' }));
  return auditEvent(rng, env, t, { ...first, stage: 'ResponseStarted' });
}

const lease = (ns: string, name: string): Record<string, string> => ({ resource: 'leases', namespace: ns, name, apiGroup: 'coordination.k8s.io', apiVersion: 'v1' });

type Make = (rng: Rng, env: AksEnv, t: number) => AksEvent;

// The identities and objects of benign traffic are built once (per module, or per cluster
// in the env): the encoder caches their JSON by identity.
const LEADERS = (['kube-controller-manager', 'kube-scheduler'] as const).map((name) => ({
  name, user: { username: `system:${name}`, groups: ['system:authenticated'] }, ua: ua(name, '/leader-election'), objectRef: lease('kube-system', name),
  uri: `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}?timeout=5s`,
}));
const CSI_LEASES = ['external-resizer-disk-csi-azure-com', 'external-attacher-leader-disk-csi-azure-com', 'external-resizer-file-csi-azure-com', 'snapshot-controller-leader'].map((name) => ({ name, objectRef: lease('kube-system', name), uri: `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}` }));
const AKS_SERVICE: User = { username: 'aksService', groups: ['system:masters', 'system:authenticated'] };
const AMA_LOGS = sa('kube-system', 'ama-logs');
const AMA_CONFIGMAP = { resource: 'configmaps', namespace: 'kube-system', name: 'container-azm-ms-agentconfig', apiVersion: 'v1' };
const AMA_NOT_FOUND = { status: 'Failure', message: 'configmaps "container-azm-ms-agentconfig" not found', reason: 'NotFound' };
const RQ_CONTROLLER = sa('kube-system', 'resourcequota-controller');
const RQ_UA = ua('kube-controller-manager', '/system:serviceaccount:kube-system:resourcequota-controller');
const DISCOVERY_URIS = ['metrics.k8s.io/v1beta1', 'coordination.k8s.io/v1', 'authorization.k8s.io/v1', 'node.k8s.io/v1', 'storage.k8s.io/v1'].map((group) => `/apis/${group}?timeout=32s`);
const ROOT_CA_WATCH = { resource: 'configmaps', namespace: 'kube-system', apiVersion: 'v1' };
const COREDNS = sa('kube-system', 'coredns');
const ENDPOINTSLICES = { resource: 'endpointslices', apiGroup: 'discovery.k8s.io', apiVersion: 'v1' };
const KUBELET_UA = ua('kubelet');

/** Deep-frozen: the encoder caches the JSON of frozen values by identity. */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
const NODE_CONDITION_ORDER = deepFreeze([{ type: 'MemoryPressure' }, { type: 'DiskPressure' }, { type: 'PIDPressure' }, { type: 'Ready' }]);

// ---- people ---------------------------------------------------------------------------
// The cluster's team, signed in through AKS-managed Entra ID (a user principal name, groups as
// the directory's object ids): two platform admins and the developer of the web app in
// `default`, each with kubectl from the team's office and VPN addresses. The attacks run
// under the developer's own account and the same kubectl: what sets them apart is what they
// ask for and where from, not who or with what.
const KUBECTL_UA = 'kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819';
const ADMINS_GROUP = 'b3f1c7e2-4a9d-4c55-9e1a-6d2f8c0b7a14';
const DEVELOPERS_GROUP = '8e0d5a61-2f3b-4b7e-a6c4-91d7e2f0c385';
const ADMINS: readonly User[] = ['priya.raman@contoso.com', 'jonas.berg@contoso.com'].map((username) => ({ username, groups: [ADMINS_GROUP, 'system:authenticated'] }));
const MALLORY: User = { username: 'mallory@contoso.com', groups: [DEVELOPERS_GROUP, 'system:authenticated'] };
const TEAM: readonly User[] = [...ADMINS, MALLORY];
/**
 * What RBAC says when it allows the team (the authorizer names the binding; only
 * system:masters gets ""). The developers' group is bound to cluster-admin too: the
 * over-broad grant the attacks under the developer's account rely on.
 */
const RBAC_REASON = new Map<User, string>([
  ...ADMINS.map((u) => [u, `RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "${ADMINS_GROUP}"`] as const),
  [MALLORY, `RBAC: allowed by ClusterRoleBinding "developers-admin" of ClusterRole "cluster-admin" to Group "${DEVELOPERS_GROUP}"`],
]);
/** The names `policies/demo.json` lists as the demo cluster's own people. */
export const AKS_TEAM_USERS: readonly string[] = TEAM.map((u) => u.username);

/** One kubectl request of a person of the team (`verb` as the audit Event names it). */
interface HumanRequest {
  verb: 'get' | 'list' | 'patch';
  uri: string;
  objectRef: Record<string, string>;
  level: AuditSpec['level'];
  requestObject?: unknown;
  responseObject?: unknown;
  /** A stream (pods/log): audited at ResponseStarted and ResponseComplete, no APF fields in its line. */
  longRunning?: boolean;
}
const DEFAULT_PODS = { resource: 'pods', namespace: 'default', apiVersion: 'v1' };
/** `kubectl get pods`: the team's most common request, and a developer's where an admin-only one was drawn. */
const LIST_DEFAULT_PODS: HumanRequest = { verb: 'list', uri: '/api/v1/namespaces/default/pods?limit=500', objectRef: DEFAULT_PODS, level: 'Request' };
const ALL_PODS = { resource: 'pods', apiVersion: 'v1' };
const NODES = { resource: 'nodes', apiVersion: 'v1' };
const WEB_DEPLOYMENT = { resource: 'deployments', namespace: 'default', name: 'web', apiGroup: 'apps', apiVersion: 'v1' };
const DEFAULT_EVENTS = { resource: 'events', namespace: 'default', apiVersion: 'v1' };
const WEB_CONFIG = { resource: 'configmaps', namespace: 'default', name: 'web-config', apiVersion: 'v1' };
const POD_METRICS = { resource: 'pods', namespace: 'default', apiGroup: 'metrics.k8s.io', apiVersion: 'v1beta1' };

/**
 * What the team does day to day, at the levels AKS's audit policy gives it (reads at
 * Request, events/configmaps at Metadata, writes at RequestResponse). Admins only: nodes,
 * pods of every namespace, a rollout restart.
 */
const HUMAN_REQUESTS: readonly (readonly [(rng: Rng, env: AksEnv, t: number, who: User) => HumanRequest, number])[] = [
  [() => LIST_DEFAULT_PODS, 4],
  [(rng, env) => {
    const pod = rng.pick(env.web.pods);
    return {
      verb: 'get', uri: `/api/v1/namespaces/default/pods/${pod}/log?container=web&tailLines=${rng.pick([50, 100, 200, 500])}`,
      objectRef: { resource: 'pods', namespace: 'default', name: pod, apiVersion: 'v1', subresource: 'log' }, level: 'Request', longRunning: true,
    };
  }, 3],
  [() => ({ verb: 'get', uri: '/apis/apps/v1/namespaces/default/deployments/web', objectRef: WEB_DEPLOYMENT, level: 'Request' }), 2],
  [() => ({ verb: 'list', uri: '/api/v1/namespaces/default/events?limit=500', objectRef: DEFAULT_EVENTS, level: 'Metadata' }), 1],
  [() => ({ verb: 'get', uri: '/api/v1/namespaces/default/configmaps/web-config', objectRef: WEB_CONFIG, level: 'Metadata' }), 1],
  [() => ({ verb: 'list', uri: '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods', objectRef: POD_METRICS, level: 'Request' }), 1],
  [(_rng, _env, _t, who) => (who === MALLORY ? LIST_DEFAULT_PODS : { verb: 'list', uri: '/api/v1/nodes?limit=500', objectRef: NODES, level: 'Request' }), 1],
  [(_rng, _env, _t, who) => (who === MALLORY ? LIST_DEFAULT_PODS : { verb: 'list', uri: '/api/v1/pods?limit=500', objectRef: ALL_PODS, level: 'Request' }), 1],
  // A rollout restart, a few times a day: the deployment moves to a new ReplicaSet.
  [(rng, env, t, who) => (who === MALLORY ? LIST_DEFAULT_PODS : rolloutRestart(rng, env, t)), 0.01],
];

/**
 * `kubectl rollout restart deployment/web`: kubectl stamps restartedAt before it sends the
 * patch; the apiserver answers the whole Deployment, one generation on.
 */
function rolloutRestart(rng: Rng, env: AksEnv, t: number): HumanRequest {
  const web = env.web;
  const restartedAt = new Date(Math.floor((t - 100_000) / 1_000_000) * 1000).toISOString().slice(0, 19) + 'Z';
  const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } };
  web.generation++;
  web.resourceVersion += rng.range(40, 4000);
  rollWeb(rng, web);
  const labels = { app: 'web' };
  const responseObject = {
    kind: 'Deployment', apiVersion: 'apps/v1',
    metadata: {
      name: 'web', namespace: 'default', uid: web.uid, resourceVersion: String(web.resourceVersion), generation: web.generation,
      creationTimestamp: env.tf.micro(web.created).slice(0, 19) + 'Z', labels, annotations: { 'deployment.kubernetes.io/revision': String(web.generation - 1) },
    },
    spec: {
      replicas: 3, selector: { matchLabels: labels },
      template: {
        metadata: { creationTimestamp: null, labels, annotations: patch.spec.template.metadata.annotations },
        spec: { containers: [{ name: 'web', image: 'contosoacr.azurecr.io/web:1.14.2', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', securityContext: {}, schedulerName: 'default-scheduler' },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
    },
    status: { observedGeneration: web.generation - 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 },
  };
  return { verb: 'patch', uri: '/apis/apps/v1/namespaces/default/deployments/web?fieldManager=kubectl-rollout', objectRef: WEB_DEPLOYMENT, level: 'RequestResponse', requestObject: patch, responseObject };
}

function humanRequest(rng: Rng, env: AksEnv, t: number): { who: User; ip: string; req: HumanRequest } {
  const who = rng.pick(TEAM);
  return { who, ip: rng.pick(env.teamIps), req: rng.weighted(HUMAN_REQUESTS)(rng, env, t, who) };
}

/**
 * A team member's request as audited: one ResponseComplete event, or for a stream
 * ResponseStarted now and ResponseComplete when it ends (same auditID and received time).
 */
function humanAudit(rng: Rng, env: AksEnv, t: number): AksEvent {
  const { who, ip, req } = humanRequest(rng, env, t);
  const spec: AuditSpec = { level: req.level, verb: req.verb, uri: req.uri, user: who, ip, ua: KUBECTL_UA, objectRef: req.objectRef, code: 200, requestObject: req.requestObject, responseObject: req.responseObject, reason: RBAC_REASON.get(who), latencyUs: rng.range(1500, 40000) };
  return req.longRunning ? streamAudit(rng, env, t, spec, t + rng.range(20_000, 900_000)) : auditEvent(rng, env, t, spec);
}

/** A kubelet's watch of kube-root-ca.crt (its node's), as audited. */
const kubeletWatch = (rng: Rng, n: AksNode): AuditSpec => ({
  level: 'Metadata', verb: 'watch', uri: `/api/v1/namespaces/kube-system/configmaps?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dkube-root-ca.crt&resourceVersion=${rng.range(100000, 9999999)}&timeout=${rng.range(5, 9)}m${rng.range(0, 59)}s&timeoutSeconds=${rng.range(300, 600)}&watch=true`,
  user: n.user, ip: n.ip, ua: KUBELET_UA, objectRef: ROOT_CA_WATCH, code: 200, latencyUs: rng.range(500, 3000),
});
/** How long a watch streams (its timeoutSeconds' range), µs. */
const WATCH_US = [300_000_000, 540_000_000] as const;
const watchLengthUs = (rng: Rng): number => rng.range(...WATCH_US);
const WATCH_WEIGHT = 2;

const BENIGN_AUDIT: readonly (readonly [Make, number])[] = [
  [(rng, env, t) => {
    const l = rng.pick(LEADERS);
    return auditEvent(rng, env, t, { level: 'Metadata', verb: 'update', uri: l.uri, user: l.user, ip: env.controlPlaneIp, ua: l.ua, objectRef: l.objectRef, code: 200, latencyUs: rng.range(1500, 9000) });
  }, 4],
  [(rng, env, t) => {
    const n = rng.pick(env.nodes);
    return auditEvent(rng, env, t, { level: 'Metadata', verb: 'update', uri: n.leaseUri, user: n.user, ip: n.ip, ua: KUBELET_UA, objectRef: n.lease, code: 200, latencyUs: rng.range(1500, 7000) });
  }, 5],
  [(rng, env, t) => {
    const n = rng.pick(env.nodes);
    return auditEvent(rng, env, t, {
      level: 'Request', verb: 'patch', uri: n.statusUri, user: n.user, ip: n.ip, ua: KUBELET_UA,
      objectRef: n.status, code: 200, latencyUs: rng.range(3000, 15000),
      requestObject: { status: { $setElementOrder_conditions: NODE_CONDITION_ORDER, conditions: [{ lastHeartbeatTime: env.tf.micro(t).slice(0, 19) + 'Z', type: 'Ready' }] } },
    });
  }, 2],
  [(rng, env, t) => {
    const l = rng.pick(CSI_LEASES);
    return auditEvent(rng, env, t, { level: 'Metadata', verb: 'update', uri: l.uri, user: AKS_SERVICE, ip: env.controlPlaneIp, ua: 'csi-resizer/v0.0.0 (linux/amd64) kubernetes/$Format', objectRef: l.objectRef, code: 200, latencyUs: rng.range(2000, 9000) });
  }, 3],
  [(rng, env, t) => {
    const n = rng.pick(env.nodes);
    return auditEvent(rng, env, t, { level: 'Metadata', verb: 'get', uri: '/api/v1/namespaces/kube-system/configmaps/container-azm-ms-agentconfig', user: AMA_LOGS, ip: n.ip, ua: 'ama-logs/1.0', objectRef: AMA_CONFIGMAP, code: 404, status: AMA_NOT_FOUND, latencyUs: rng.range(800, 3000) });
  }, 1],
  [(rng, env, t) => {
    return auditEvent(rng, env, t, { level: 'Metadata', verb: 'get', uri: rng.pick(DISCOVERY_URIS), user: RQ_CONTROLLER, ip: env.controlPlaneIp, ua: RQ_UA, code: 200, latencyUs: rng.range(300, 2000), reason: 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"' });
  }, 2],
  [(rng, env, t) => {
    const n = rng.pick(env.nodes);
    // A watch is audited when it starts streaming and again when it ends, minutes later.
    return streamAudit(rng, env, t, kubeletWatch(rng, n), t + watchLengthUs(rng));
  }, WATCH_WEIGHT],
  [(rng, env, t) => auditEvent(rng, env, t, { level: 'Request', verb: 'list', uri: '/apis/discovery.k8s.io/v1/endpointslices?limit=500&resourceVersion=0', user: COREDNS, ip: rng.pick(env.nodes).ip, ua: 'coredns/v0.0.0 (linux/amd64) kubernetes/$Format', objectRef: ENDPOINTSLICES, code: 200, latencyUs: rng.range(1000, 5000) }), 1],
  [humanAudit, 0.6],
];

function apiserverLine(rng: Rng, env: AksEnv, t: number, f: { verb: string; uri: string; ua: string; ip: string; resp: number; auditId?: string; longRunning?: boolean | undefined }): AksEvent {
  const api = rng.pick(env.apiservers);
  const latencyUs = rng.range(200, 9000);
  const auditId = f.auditId ?? rng.uuidWords();
  const httplog = { verb: f.verb, uri: f.uri, latency: `${(latencyUs / 1000).toFixed(3)}ms`, userAgent: f.ua, auditId, srcIp: f.ip, srcPort: rng.range(32768, 60999), resp: f.resp, ...(f.longRunning ? { longRunning: true } : {}) };
  return { t, category: 'kube-apiserver', pod: api.pod, containerID: api.containerID, stream: 'stderr', log: { head: klogHeader('I', env.tf.klog(t), 1, 'httplog.go', 132), httplog }, auditId };
}

const BENIGN_APISERVER: readonly (readonly [Make, number])[] = [
  [(rng, env, t) => {
    const l = rng.pick(LEADERS);
    return apiserverLine(rng, env, t, { verb: 'PUT', uri: l.uri, ua: l.ua, ip: env.controlPlaneIp, resp: 200 });
  }, 4],
  [(rng, env, t) => {
    const n = rng.pick(env.nodes);
    return apiserverLine(rng, env, t, { verb: 'PUT', uri: n.leaseUri, ua: KUBELET_UA, ip: n.ip, resp: 200 });
  }, 4],
  [(rng, env, t) => {
    const n = rng.pick(env.nodes);
    return apiserverLine(rng, env, t, { verb: 'PATCH', uri: n.statusUri, ua: KUBELET_UA, ip: n.ip, resp: 200 });
  }, 2],
  [(rng, env, t) => apiserverLine(rng, env, t, { verb: 'GET', uri: '/apis/metrics.k8s.io/v1beta1?timeout=32s', ua: RQ_UA, ip: env.controlPlaneIp, resp: 200 }), 1],
  [(rng, env, t) => {
    const { ip, req } = humanRequest(rng, env, t);
    return apiserverLine(rng, env, t, { verb: req.verb.toUpperCase(), uri: req.uri, ua: KUBECTL_UA, ip, resp: 200, longRunning: req.longRunning });
  }, 0.4],
];

const OTHER_LINES: readonly (readonly [Make, number])[] = [
  [(rng, env, t) => {
    const o = env.others['kube-controller-manager']!;
    const rs = `coredns-${k8sName(rng, 9)}`;
    return { t, category: 'kube-controller-manager', pod: o.pod, containerID: o.containerID, stream: 'stderr', log: klogLine('I', env.tf.klog(t), 1, 'event.go', 389, `"Event occurred" object="kube-system/${rs}" fieldPath="" kind="ReplicaSet" apiVersion="apps/v1" type="Normal" reason="SuccessfulCreate" message="Created pod: ${rs}-${k8sName(rng, 5)}"`), auditId: null };
  }, 1],
  [(rng, env, t) => {
    const o = env.others['kube-scheduler']!;
    return { t, category: 'kube-scheduler', pod: o.pod, containerID: o.containerID, stream: 'stderr', log: klogLine('I', env.tf.klog(t), 1, 'schedule_one.go', 286, `"Successfully bound pod to node" pod="default/report-${Math.floor(t / 60_000_000)}-${k8sName(rng, 5)}" node="${rng.pick(env.nodes).name}" evaluatedNodes=${env.nodes.length} feasibleNodes=${env.nodes.length}`), auditId: null };
  }, 1],
  [(rng, env, t) => {
    const o = env.others['cluster-autoscaler']!;
    return { t, category: 'cluster-autoscaler', pod: o.pod, containerID: o.containerID, stream: 'stderr', log: klogLine('I', env.tf.klog(t), 1, 'static_autoscaler.go', 598, `No unschedulable pods (loop ${rng.range(1, 1_000_000)})`), auditId: null };
  }, 1],
];

// ---- scenarios -------------------------------------------------------------------------

const CI_RUNNER = sa('default', 'ci-runner');

function podSpec(name: string, ns: string, container: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Pod', apiVersion: 'v1', metadata: { name, namespace: ns, creationTimestamp: null },
    spec: { containers: [{ name: 'main', image: 'docker.io/library/alpine:3.19', command: ['sleep', 'infinity'], resources: {}, ...container }], restartPolicy: 'Always', ...extra },
    status: {},
  };
}

function podCreate(rng: Rng, env: AksEnv, t: number, user: User, ip: string, name: string, pod: Record<string, unknown>): AksEvent {
  return auditEvent(rng, env, t, {
    level: 'RequestResponse', verb: 'create', uri: '/api/v1/namespaces/default/pods?fieldManager=kubectl-run', user, ip, ua: KUBECTL_UA,
    objectRef: { resource: 'pods', namespace: 'default', name, apiVersion: 'v1' }, code: 201, requestObject: pod, reason: RBAC_REASON.get(user),
    responseObject: { ...pod, metadata: { ...(pod.metadata as object), uid: rng.uuid(), resourceVersion: String(rng.range(1e6, 9e6)) } }, latencyUs: rng.range(5000, 20000),
  });
}

type Step = (t: number) => AksEvent;

function auditScenarios(): ScenarioDef<AksEvent>[] {
  return [
    {
      name: 'privileged-pod', technique: 'T1611', tactic: 'Privilege Escalation',
      description: 'A user outside the platform team creates a privileged pod (container escape to the node)',
      steps: (rng, env) => {
        const ip = attackerIp(rng, env);
        return [(t) => podCreate(rng, env as AksEnv, t, MALLORY, ip, 'debug-tools', podSpec('debug-tools', 'default', { securityContext: { privileged: true } }))];
      },
    },
    {
      name: 'hostpath-mount', technique: 'T1611', tactic: 'Privilege Escalation',
      description: 'A pod mounting the node root filesystem and the container runtime socket through hostPath volumes',
      steps: (rng, env) => {
        const ip = attackerIp(rng, env);
        const spec = podSpec('node-shell', 'default', { volumeMounts: [{ name: 'host', mountPath: '/host' }, { name: 'cri', mountPath: '/run/containerd/containerd.sock' }] }, {
          volumes: [{ name: 'host', hostPath: { path: '/', type: '' } }, { name: 'cri', hostPath: { path: '/run/containerd/containerd.sock', type: 'Socket' } }],
        });
        return [(t) => podCreate(rng, env as AksEnv, t, MALLORY, ip, 'node-shell', spec)];
      },
    },
    {
      name: 'exec-into-pod', technique: 'T1609', tactic: 'Execution',
      description: 'kubectl exec of an interactive shell in a running workload pod (ResponseStarted + ResponseComplete records)',
      steps: (rng, env) => {
        const e = env as AksEnv;
        const ip = attackerIp(rng, env);
        // One request, two stages: ResponseStarted when the stream is upgraded (101), after
        // the connection's setup latency; ResponseComplete when the session ends, a later
        // slot of the plan. Both carry the request's id, received time and apiserver; the pod
        // is one the web app runs when the session starts (a restart may have rolled them).
        const auditID = rng.uuidWords();
        let first: Pick<AuditSpec, 'uri' | 'objectRef' | 'request' | 'api'> | undefined;
        const stage = (s: 'ResponseStarted' | 'ResponseComplete', t: number): AksEvent => {
          if (!first) {
            const pod = rng.pick(e.web.pods);
            first = {
              uri: `/api/v1/namespaces/default/pods/${pod}/exec?command=%2Fbin%2Fsh&command=-c&command=cat+%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&container=web&stdin=true&stdout=true&tty=true`,
              objectRef: { resource: 'pods', namespace: 'default', name: pod, apiVersion: 'v1', subresource: 'exec' },
              request: { auditID, receivedUs: t - rng.range(20000, 60000) }, api: rng.pick(e.apiservers),
            };
          }
          const { uri, objectRef, request, api } = first;
          return auditEvent(rng, e, t, { level: 'RequestResponse', stage: s, verb: 'create', uri, user: MALLORY, ip, ua: KUBECTL_UA, objectRef, code: 101, reason: RBAC_REASON.get(MALLORY), latencyUs: t - request!.receivedUs, request, api });
        };
        return [(t) => stage('ResponseStarted', t), (t) => stage('ResponseComplete', t)];
      },
    },
    {
      name: 'cluster-admin-binding', technique: 'T1098', tactic: 'Persistence, Privilege Escalation',
      description: 'A ClusterRoleBinding grants cluster-admin to a workload service account',
      steps: (rng, env) => {
        const ip = attackerIp(rng, env);
        const binding = { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'ci-runner-admin', creationTimestamp: null }, subjects: [{ kind: 'ServiceAccount', name: 'ci-runner', namespace: 'default' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } };
        return [(t) => auditEvent(rng, env as AksEnv, t, {
          level: 'RequestResponse', verb: 'create', uri: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create&fieldValidation=Strict', user: MALLORY, ip, ua: KUBECTL_UA,
          objectRef: { resource: 'clusterrolebindings', name: 'ci-runner-admin', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' }, code: 201, requestObject: binding, responseObject: binding, reason: RBAC_REASON.get(MALLORY), latencyUs: rng.range(4000, 12000),
        })];
      },
    },
    {
      name: 'secret-enumeration', technique: 'T1552.007', tactic: 'Credential Access',
      description: 'A workload service account lists secrets cluster-wide, then reads secrets namespace by namespace (some refused)',
      steps: (rng, env) => {
        const e = env as AksEnv;
        const ip = attackerIp(rng, env);
        const steps: Step[] = [(t) => auditEvent(rng, e, t, { level: 'Metadata', verb: 'list', uri: '/api/v1/secrets?limit=500', user: CI_RUNNER, ip, ua: KUBECTL_UA, objectRef: { resource: 'secrets', apiVersion: 'v1' }, code: 200, latencyUs: rng.range(8000, 30000), reason: 'RBAC: allowed by ClusterRoleBinding "ci-runner-admin" of ClusterRole "cluster-admin" to ServiceAccount "ci-runner/default"' })];
        const targets = [['payments', 'db-credentials', true], ['payments', 'stripe-api-key', true], ['kube-system', 'azure-cloud-provider', false], ['monitoring', 'grafana-admin', true], ['default', 'registry-pull', true], ['kube-system', 'bootstrap-token-abcdef', false]] as const;
        for (const [ns, name, ok] of targets) {
          steps.push((t) => auditEvent(rng, e, t, {
            level: 'Metadata', verb: 'get', uri: `/api/v1/namespaces/${ns}/secrets/${name}`, user: CI_RUNNER, ip, ua: KUBECTL_UA,
            objectRef: { resource: 'secrets', namespace: ns, name, apiVersion: 'v1' }, code: ok ? 200 : 403, decision: ok ? 'allow' : 'forbid',
            ...(ok ? {} : { status: { status: 'Failure', message: `secrets "${name}" is forbidden: User "${CI_RUNNER.username}" cannot get resource "secrets" in API group "" in the namespace "${ns}"`, reason: 'Forbidden' } }),
            latencyUs: rng.range(800, 4000),
          }));
        }
        return steps;
      },
    },
    {
      name: 'anonymous-access', technique: 'T1078.001', tactic: 'Initial Access',
      description: 'Unauthenticated requests from the internet probe the API; an over-broad binding lets system:anonymous list pods',
      steps: (rng, env) => {
        const e = env as AksEnv;
        const ip = attackerIp(rng, env);
        const anon: User = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
        const probes = [['/api/v1/namespaces/kube-system/secrets', 'secrets', 'kube-system', false], ['/api/v1/nodes', 'nodes', '', false], ['/apis/rbac.authorization.k8s.io/v1/clusterroles', 'clusterroles', '', false], ['/api/v1/pods', 'pods', '', true], ['/api/v1/namespaces/default/pods', 'pods', 'default', true]] as const;
        return probes.map(([uri, res, ns, ok]) => (t: number) =>
          auditEvent(rng, e, t, {
            // AKS's audit policy logs secrets (and configmaps) at Metadata only.
            level: res === 'secrets' ? 'Metadata' : 'Request', verb: 'list', uri, user: anon, ip, ua: 'curl/8.5.0',
            objectRef: { resource: res, ...(ns ? { namespace: ns } : {}), ...(res === 'clusterroles' ? { apiGroup: 'rbac.authorization.k8s.io' } : {}), apiVersion: 'v1' },
            code: ok ? 200 : 403, decision: ok ? 'allow' : 'forbid',
            reason: ok ? 'RBAC: allowed by ClusterRoleBinding "anonymous-view" of ClusterRole "view" to User "system:anonymous"' : '',
            ...(ok ? {} : { status: { status: 'Failure', message: `${res} is forbidden: User "system:anonymous" cannot list resource "${res}"`, reason: 'Forbidden' } }),
            latencyUs: rng.range(500, 3000),
          }),
        );
      },
    },
  ];
}

function apiserverScenarios(): ScenarioDef<AksEvent>[] {
  return [
    {
      name: 'exec-into-pod', technique: 'T1609', tactic: 'Execution',
      description: 'kube-apiserver access line of a kubectl exec into a workload pod',
      steps: (rng, env) => {
        const ip = attackerIp(rng, env);
        return [(t) => apiserverLine(rng, env as AksEnv, t, { verb: 'POST', uri: `/api/v1/namespaces/default/pods/${rng.pick((env as AksEnv).web.pods)}/exec?command=%2Fbin%2Fsh&container=web&stdin=true&stdout=true&tty=true`, ua: KUBECTL_UA, ip, resp: 101, longRunning: true })];
      },
    },
    {
      name: 'secret-enumeration', technique: 'T1552.007', tactic: 'Credential Access',
      description: 'kubectl lists and reads secrets across namespaces',
      steps: (rng, env) => {
        const ip = attackerIp(rng, env);
        return ['/api/v1/secrets?limit=500', '/api/v1/namespaces/payments/secrets/db-credentials', '/api/v1/namespaces/monitoring/secrets/grafana-admin', '/api/v1/namespaces/default/secrets/registry-pull'].map(
          (uri, i) => (t: number) => apiserverLine(rng, env as AksEnv, t, { verb: i === 0 ? 'LIST' : 'GET', uri, ua: KUBECTL_UA, ip, resp: 200 }),
        );
      },
    },
    {
      name: 'anonymous-access', technique: 'T1078.001', tactic: 'Initial Access',
      description: 'A burst of refused unauthenticated requests from one internet address',
      steps: (rng, env) => {
        const ip = attackerIp(rng, env);
        const uris = ['/api/v1/namespaces/kube-system/secrets', '/api/v1/nodes', '/api/v1/pods', '/apis/rbac.authorization.k8s.io/v1/clusterroles', '/api/v1/namespaces/default/configmaps', '/apis/apps/v1/deployments'];
        return Array.from({ length: 15 }, (_, i) => (t: number) => apiserverLine(rng, env as AksEnv, t, { verb: 'LIST', uri: uris[i % uris.length]!, ua: 'curl/8.5.0', ip, resp: 403 }));
      },
    },
  ];
}

interface AksNode {
  name: string;
  ip: string;
  user: User;
  /** objectRef of its kube-node-lease lease */
  lease: Record<string, string>;
  /** objectRef of its status subresource */
  status: Record<string, string>;
  leaseUri: string;
  statusUri: string;
}

const aksNode = (name: string, ip: string): AksNode => ({
  name, ip, user: node(name), lease: lease('kube-node-lease', name), status: { resource: 'nodes', name, apiVersion: 'v1', subresource: 'status' },
  leaseUri: `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}?timeout=10s`, statusUri: `/api/v1/nodes/${name}/status?timeout=10s`,
});

/** Build the cluster (names, pods, nodes) from the env stream. */
function clusterEnv(rng: Rng, req: ResolvedRequest): AksEnv {
  const sub = rng.uuid().toUpperCase();
  const name = `aks-${rng.pick(['prod', 'shop', 'payments', 'platform'])}-${rng.range(1, 9)}`;
  const pod = (base: string): { pod: string; containerID: string } => ({ pod: `${base}-${k8sName(rng, 10)}-${k8sName(rng, 5)}`, containerID: rng.hex(64) });
  const pool = `aks-nodepool1-${rng.range(10_000_000, 99_999_999)}-vmss`;
  const env: AksEnv = {
    req, rng, tf: new TimeFormat(), teamIps: [], due: [],
    web: { uid: '', created: 0, generation: 0, resourceVersion: 0, hash: '', pods: [] },
    resourceId: clusterResourceId(sub, `rg-${name}`, name),
    apiservers: [pod('kube-apiserver'), pod('kube-apiserver')],
    others: { 'kube-controller-manager': pod('kube-controller-manager'), 'kube-scheduler': pod('kube-scheduler'), 'cluster-autoscaler': pod('cluster-autoscaler') },
    nodes: Array.from({ length: 3 }, (_, i) => aksNode(`${pool}00000${i}`, `10.224.0.${4 + i}`)),
    controlPlaneIp: `172.31.${rng.range(0, 63)}.${rng.range(2, 254)}`,
  };
  env.teamIps = Array.from({ length: 3 }, () => externalIp(rng, env));
  // Deployed weeks before the data starts, restarted now and then since.
  const startUs = isoToUs(req.start);
  env.web = { uid: rng.uuid(), created: startUs - rng.range(7, 90) * 86_400_000_000, generation: rng.range(4, 60), resourceVersion: rng.range(1_000_000, 9_000_000), hash: '', pods: [] };
  rollWeb(rng, env.web);
  runningWatches(rng, env, startUs);
  return env;
}

/**
 * The kubelets' watches already streaming when the data starts, as many as the dataset's
 * pace keeps open (watches started per second × how long one lasts): their completions fall
 * in its first minutes. Without them a short dataset held watch starts and no completion.
 */
function runningWatches(rng: Rng, env: AksEnv, startUs: number): void {
  const req = env.req;
  const share = req.logType === 'aks-audit' ? 1 : req.logType === 'aks-diagnostics' ? DIAGNOSTICS_AUDIT_SHARE / 100 : 0;
  if (share === 0) return;
  const perSec = req.rate ?? (req.end ? req.count / Math.max(1, (isoToUs(req.end) - startUs) / 1e6) : DEFAULT_RATE);
  const total = BENIGN_AUDIT.reduce((a, [, w]) => a + w, 0);
  const meanLengthSec = (WATCH_US[0] + WATCH_US[1]) / 2 / 1e6;
  const open = Math.min(MAX_DUE / 4, Math.round(perSec * share * (WATCH_WEIGHT / total) * meanLengthSec));
  for (let i = 0; i < open; i++) {
    const n = rng.pick(env.nodes);
    const spec = { ...kubeletWatch(rng, n), stage: 'ResponseComplete' as const, api: rng.pick(env.apiservers) };
    const length = watchLengthUs(rng);
    const received = startUs - rng.range(0, length - 1);
    spec.request = { auditID: rng.uuidWords(), receivedUs: received };
    later(env, received + length, (end) => auditEvent(rng, env, end, spec));
  }
}

const BODY_OPEN = utf8('{"records":[');
const BODY_CLOSE = utf8(']}\n');

function aksEncoder(format: Format, resourceId: string, tf: TimeFormat): Encoder<AksEvent> {
  const writeRecord = diagnosticRecordBytes(resourceId, tf);
  const record = (w: ByteWriter, e: AksEvent): void => {
    const audit = e.category === 'kube-audit' || e.category === 'kube-audit-admin';
    // Azure Monitor stamps `time` a little after the stage timestamp, with 7 digits. An Event
    // ({audit}) is written with its trailing newline by the record writer.
    const log = typeof e.log !== 'string' ? e.log : audit ? e.log + '\n' : e.log;
    writeRecord(w, e.category, e.t + 180, e.pod, e.containerID, log, e.stream);
  };
  let write: (e: AksEvent, id: number, w: ByteWriter) => void;
  let tail = (): string => '';
  switch (format) {
    case 'raw':
      write = (e, _id, w) => {
        if (typeof e.log === 'string') w.str(e.log);
        else if ('audit' in e.log) writeAuditEvent(w, e.log.audit);
        else {
          w.str(e.log.head);
          writeHttplogMessage(w, e.log.httplog);
        }
        w.byte(0x0a);
      };
      break;
    case 'jsonl':
      write = (e, _id, w) => {
        record(w, e);
        w.byte(0x0a);
      };
      break;
    case 'eventhub': {
      // A body `{"records":[r1,r2,…]}\n` is written as it fills: the opening with the first
      // record, a comma before each next one, the closing with the last.
      let inBody = 0;
      write = (e, _id, w) => {
        if (inBody === 0) w.bytes(BODY_OPEN);
        else w.byte(0x2c); // ,
        record(w, e);
        if (++inBody < RECORDS_PER_BODY) return;
        inBody = 0;
        w.bytes(BODY_CLOSE);
      };
      tail = () => (inBody > 0 ? ((inBody = 0), ']}\n') : '');
      break;
    }
    default:
      throw new Error(`format ${format} is not available for AKS log types`);
  }
  return {
    contentType: format === 'raw' ? 'text/plain; charset=utf-8' : 'application/x-ndjson',
    extension: format === 'raw' ? 'log' : format === 'jsonl' ? 'jsonl' : 'eventhub.jsonl',
    head: () => '',
    write,
    event: (e, id) => textOf((w) => write(e, id, w)),
    tail,
  };
}

function aksType(name: LogTypeName, description: string, mix: readonly (readonly [Make, number])[], scenarios: ScenarioDef<AksEvent>[]): LogTypeDef<AksEvent> {
  return {
    name, description, table: null, formats: ['eventhub', 'jsonl', 'raw'], defaultFormat: 'eventhub', scenarios,
    env: clusterEnv,
    benign: (rng, env, t) => {
      const e = env as AksEnv;
      // A request's second stage, when its time has come, takes this slot.
      if (e.due.length > 0 && e.due[0]!.at <= t) return e.due.shift()!.make(t);
      return rng.weighted(mix)(rng, e, t);
    },
    records: () => 1,
    labelKeys: (e) => (e.auditId ? { auditId: String(e.auditId) } : {}),
    // The cluster identity is a pure function of the seed: rebuild it rather than share state.
    encoder: (format, req, tf) => aksEncoder(format, clusterEnv(new Rng(req.seed, 'env'), req).resourceId, tf),
  };
}

/** Percent of aks-diagnostics records that are kube-audit. */
const DIAGNOSTICS_AUDIT_SHARE = 70;

const mixOf = (...parts: (readonly [readonly (readonly [Make, number])[], number])[]): (readonly [Make, number])[] =>
  parts.flatMap(([table, share]) => {
    const total = table.reduce((a, [, w]) => a + w, 0);
    return table.map(([m, w]) => [m, (w / total) * share] as const);
  });

export const aksAudit = aksType('aks-audit', 'AKS kube-audit diagnostic records (audit.k8s.io/v1 events) of a quiet cluster and its team, as Event Hub bodies', BENIGN_AUDIT, auditScenarios());
export const aksApiserver = aksType('aks-apiserver', 'AKS kube-apiserver diagnostic records (structured httplog access lines)', BENIGN_APISERVER, apiserverScenarios());
export const aksDiagnostics = aksType(
  'aks-diagnostics',
  'Mixed AKS diagnostic categories on one hub: kube-audit, kube-apiserver, kube-controller-manager, kube-scheduler, cluster-autoscaler',
  mixOf([BENIGN_AUDIT, DIAGNOSTICS_AUDIT_SHARE], [BENIGN_APISERVER, 20], [OTHER_LINES, 10]),
  auditScenarios(),
);
