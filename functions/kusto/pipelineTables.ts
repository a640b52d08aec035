import { columns, jsonPath, type KustoType, type RowOf } from './columns.js';

// Column names follow the Log Analytics AKSAudit / AKSControlPlane tables so KQL written
// against Container Insights carries over; the flattened helpers after them save every
// query from re-parsing dynamic objects.

/**
 * A column the normalizer copies from the audit Event at `event` (keys / array indexes).
 * Landing does not write it by name: the line carries the Event's own JSON under `Event`
 * and the mapping reads `$.Event.<path>` (one serialization of those bytes: the source's).
 */
const copied = <const N extends string, const T extends KustoType>(name: N, type: T, doc: string, event: readonly string[]) =>
  ({ name, type, doc, event, path: jsonPath('$.Event', event) }) as const;

/** Taken from the Event but rewritten (canonical µs time), so landed by name. */
const rewritten = <const N extends string>(name: N, doc: string, event: readonly string[]) => ({ name, type: 'datetime', doc, event }) as const;

export const AksAuditColumns = columns([
  { name: 'TimeGenerated', type: 'datetime', doc: 'stageTimestamp (µs precision), else requestReceivedTimestamp, else the record time' },
  { name: 'Category', type: 'string', doc: 'kube-audit or kube-audit-admin (webhook events: k8s-audit-webhook)' },
  copied('Level', 'string', 'Audit level: Metadata, Request, RequestResponse', ['level']),
  copied('AuditId', 'string', 'auditID of the request', ['auditID']),
  copied('Stage', 'string', 'RequestReceived, ResponseStarted, ResponseComplete, Panic', ['stage']),
  copied('RequestUri', 'string', 'requestURI as sent by the client', ['requestURI']),
  copied('Verb', 'string', 'Kubernetes verb (get, list, create, ...)', ['verb']),
  copied('User', 'dynamic', 'user object (username, uid, groups, extra)', ['user']),
  copied('ImpersonatedUser', 'dynamic', 'impersonatedUser object when present', ['impersonatedUser']),
  copied('SourceIps', 'dynamic', 'sourceIPs array', ['sourceIPs']),
  copied('UserAgent', 'string', 'userAgent (client supplied, untrusted)', ['userAgent']),
  copied('ObjectRef', 'dynamic', 'objectRef object', ['objectRef']),
  copied('ResponseStatus', 'dynamic', 'responseStatus object', ['responseStatus']),
  copied('RequestObject', 'dynamic', 'requestObject, or the string skipped-too-big-size-object', ['requestObject']),
  copied('ResponseObject', 'dynamic', 'responseObject, or the string skipped-too-big-size-object', ['responseObject']),
  rewritten('RequestReceivedTime', 'requestReceivedTimestamp', ['requestReceivedTimestamp']),
  rewritten('StageReceivedTime', 'stageTimestamp', ['stageTimestamp']),
  copied('Annotations', 'dynamic', 'annotations map (authorization decision/reason, PSA, ...)', ['annotations']),
  { name: 'PodName', type: 'string', doc: 'kube-apiserver pod that emitted the event' },
  { name: 'ResourceId', type: 'string', doc: 'Azure resource id of the cluster (as sent, upper-cased by Azure Monitor)' },
  { name: 'Cluster', type: 'string', doc: 'cluster name, lower-cased, from resourceId' },
  copied('UserName', 'string', 'user.username', ['user', 'username']),
  copied('UserGroups', 'dynamic', 'user.groups', ['user', 'groups']),
  copied('ImpersonatedUserName', 'string', 'impersonatedUser.username', ['impersonatedUser', 'username']),
  copied('Resource', 'string', 'objectRef.resource', ['objectRef', 'resource']),
  copied('Subresource', 'string', 'objectRef.subresource', ['objectRef', 'subresource']),
  copied('Namespace', 'string', 'objectRef.namespace', ['objectRef', 'namespace']),
  copied('Name', 'string', 'objectRef.name', ['objectRef', 'name']),
  copied('ApiGroup', 'string', 'objectRef.apiGroup', ['objectRef', 'apiGroup']),
  copied('ApiVersion', 'string', 'objectRef.apiVersion', ['objectRef', 'apiVersion']),
  copied('ResponseCode', 'int', 'responseStatus.code', ['responseStatus', 'code']),
  copied('AuthorizationDecision', 'string', 'annotation authorization.k8s.io/decision', ['annotations', 'authorization.k8s.io/decision']),
  copied('AuthorizationReason', 'string', 'annotation authorization.k8s.io/reason', ['annotations', 'authorization.k8s.io/reason']),
  copied('SourceIp', 'string', 'first entry of sourceIPs', ['sourceIPs', '0']),
  { name: 'Truncated', type: 'bool', doc: 'true when the event was salvaged from a log cut at 16 KiB, or came without its request/response objects (annotation audit.k8s.io/truncated)' },
  { name: 'Position', type: 'string', doc: 'partition/sequenceNumber/index of the source record (idempotency key)' },
] as const);

/**
 * What tells apart two audit rows that share an auditID: kube-apiserver takes a client's
 * `Audit-ID` header as it is, so the ID alone does not identify a request. Pipeline dedupe,
 * landing dedupe, k8s-audit detection ids (normalize/audit.ts auditIdentity) and the
 * `AksAuditUnique` view key all use these beside AuditId.
 */
export const AUDIT_IDENTITY_COLUMNS = ['Stage', 'Cluster', 'RequestReceivedTime', 'Verb', 'RequestUri', 'UserName'] as const;

export const AksControlPlaneColumns = columns([
  { name: 'TimeGenerated', type: 'datetime', doc: 'klog header time (year from the record time), else the record time' },
  { name: 'Category', type: 'string', doc: 'diagnostic category (kube-apiserver, kube-scheduler, guard, ...)' },
  { name: 'Level', type: 'string', doc: 'INFO, WARNING, ERROR, FATAL from the klog severity' },
  { name: 'Message', type: 'string', doc: 'the log line (continuation lines kept)' },
  { name: 'PodName', type: 'string', doc: 'emitting pod' },
  { name: 'Stream', type: 'string', doc: 'stdout or stderr' },
  { name: 'ResourceId', type: 'string', doc: 'Azure resource id of the cluster' },
  { name: 'Cluster', type: 'string', doc: 'cluster name, lower-cased' },
  { name: 'Severity', type: 'string', doc: 'klog severity letter I, W, E, F' },
  { name: 'Thread', type: 'long', doc: 'klog thread id' },
  { name: 'SourceFile', type: 'string', doc: 'klog file' },
  { name: 'SourceLine', type: 'int', doc: 'klog line number' },
  { name: 'LogMessage', type: 'string', doc: 'message text after the klog header' },
  { name: 'Verb', type: 'string', doc: 'HTTP method / verb of an apiserver request line' },
  { name: 'RequestUri', type: 'string', doc: 'request URI of an apiserver request line' },
  { name: 'LatencyMs', type: 'real', doc: 'request latency in milliseconds' },
  { name: 'UserAgent', type: 'string', doc: 'user agent of an apiserver request line' },
  { name: 'AuditId', type: 'string', doc: 'audit ID of an apiserver request line (1.19+)' },
  { name: 'SourceIp', type: 'string', doc: 'client IP of an apiserver request line' },
  { name: 'ResponseCode', type: 'int', doc: 'HTTP status of an apiserver request line' },
  { name: 'Fields', type: 'dynamic', doc: 'key=value pairs of structured klog lines' },
  { name: 'Position', type: 'string', doc: 'partition/sequenceNumber/index of the source record' },
] as const);

export const DetectionsColumns = columns([
  { name: 'TimeGenerated', type: 'datetime', doc: 'event time of the (last) event that fired' },
  { name: 'DetectionId', type: 'string', doc: 'stable id: hash of rule id and the evidence key (dedupe on redelivery)' },
  { name: 'RuleId', type: 'string', doc: 'stable rule identifier' },
  { name: 'Rule', type: 'string', doc: 'rule name (Falco rule name for the k8s-audit pack)' },
  { name: 'Priority', type: 'string', doc: 'EMERGENCY … DEBUG, Falco priority names' },
  { name: 'Source', type: 'string', doc: 'k8s-audit, apiserver, window, falco, kubearmor' },
  { name: 'Cluster', type: 'string', doc: 'cluster name' },
  { name: 'Namespace', type: 'string', doc: 'namespace of the object' },
  { name: 'User', type: 'string', doc: 'acting user' },
  { name: 'Resource', type: 'string', doc: 'resource kind' },
  { name: 'Name', type: 'string', doc: 'object name' },
  { name: 'Verb', type: 'string', doc: 'verb' },
  { name: 'Operation', type: 'string', doc: 'Process, File, Network, Capabilities (runtime alerts)' },
  { name: 'Action', type: 'string', doc: 'Allow, Audit, Block (runtime alerts)' },
  { name: 'Output', type: 'string', doc: 'human-readable line with the key fields' },
  { name: 'Evidence', type: 'dynamic', doc: 'fields that made the rule fire' },
  { name: 'AuditIds', type: 'dynamic', doc: 'audit IDs involved' },
  { name: 'Tags', type: 'dynamic', doc: 'rule tags, MITRE ATT&CK technique ids' },
] as const);

export type AksAuditRow = RowOf<typeof AksAuditColumns>;
export type AksControlPlaneRow = RowOf<typeof AksControlPlaneColumns>;
export type Detection = RowOf<typeof DetectionsColumns>;
