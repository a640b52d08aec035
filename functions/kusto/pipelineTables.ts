import { columns, type RowOf } from './columns.js';

// Column names follow the Log Analytics AKSAudit / AKSControlPlane tables so KQL written
// against Container Insights carries over; the flattened helpers after them save every
// query from re-parsing dynamic objects.

export const AksAuditColumns = columns([
  { name: 'TimeGenerated', type: 'datetime', doc: 'stageTimestamp (µs precision), falling back to the record time' },
  { name: 'Category', type: 'string', doc: 'kube-audit or kube-audit-admin (webhook events: k8s-audit-webhook)' },
  { name: 'Level', type: 'string', doc: 'Audit level: Metadata, Request, RequestResponse' },
  { name: 'AuditId', type: 'string', doc: 'auditID of the request' },
  { name: 'Stage', type: 'string', doc: 'RequestReceived, ResponseStarted, ResponseComplete, Panic' },
  { name: 'RequestUri', type: 'string', doc: 'requestURI as sent by the client' },
  { name: 'Verb', type: 'string', doc: 'Kubernetes verb (get, list, create, ...)' },
  { name: 'User', type: 'dynamic', doc: 'user object (username, uid, groups, extra)' },
  { name: 'ImpersonatedUser', type: 'dynamic', doc: 'impersonatedUser object when present' },
  { name: 'SourceIps', type: 'dynamic', doc: 'sourceIPs array' },
  { name: 'UserAgent', type: 'string', doc: 'userAgent (client supplied, untrusted)' },
  { name: 'ObjectRef', type: 'dynamic', doc: 'objectRef object' },
  { name: 'ResponseStatus', type: 'dynamic', doc: 'responseStatus object' },
  { name: 'RequestObject', type: 'dynamic', doc: 'requestObject, or the string skipped-too-big-size-object' },
  { name: 'ResponseObject', type: 'dynamic', doc: 'responseObject, or the string skipped-too-big-size-object' },
  { name: 'RequestReceivedTime', type: 'datetime', doc: 'requestReceivedTimestamp' },
  { name: 'StageReceivedTime', type: 'datetime', doc: 'stageTimestamp' },
  { name: 'Annotations', type: 'dynamic', doc: 'annotations map (authorization decision/reason, PSA, ...)' },
  { name: 'PodName', type: 'string', doc: 'kube-apiserver pod that emitted the event' },
  { name: 'ResourceId', type: 'string', doc: 'Azure resource id of the cluster (as sent, upper-cased by Azure Monitor)' },
  { name: 'Cluster', type: 'string', doc: 'cluster name, lower-cased, from resourceId' },
  { name: 'UserName', type: 'string', doc: 'user.username' },
  { name: 'UserGroups', type: 'dynamic', doc: 'user.groups' },
  { name: 'ImpersonatedUserName', type: 'string', doc: 'impersonatedUser.username' },
  { name: 'Resource', type: 'string', doc: 'objectRef.resource' },
  { name: 'Subresource', type: 'string', doc: 'objectRef.subresource' },
  { name: 'Namespace', type: 'string', doc: 'objectRef.namespace' },
  { name: 'Name', type: 'string', doc: 'objectRef.name' },
  { name: 'ApiGroup', type: 'string', doc: 'objectRef.apiGroup' },
  { name: 'ApiVersion', type: 'string', doc: 'objectRef.apiVersion' },
  { name: 'ResponseCode', type: 'int', doc: 'responseStatus.code' },
  { name: 'AuthorizationDecision', type: 'string', doc: 'annotation authorization.k8s.io/decision' },
  { name: 'AuthorizationReason', type: 'string', doc: 'annotation authorization.k8s.io/reason' },
  { name: 'SourceIp', type: 'string', doc: 'first entry of sourceIPs' },
  { name: 'Truncated', type: 'bool', doc: 'true when the event was salvaged from a log cut at 16 KiB' },
  { name: 'Position', type: 'string', doc: 'partition/sequenceNumber/index of the source record (idempotency key)' },
] as const);

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
