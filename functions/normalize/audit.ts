// kube-audit / kube-audit-admin: one audit.k8s.io/v1 Event → one AksAudit row.
// The row is filled from a declarative table (column ← path, kind) built once at load;
// the hot loop walks it without allocating closures.
import type { AksAuditRow, RawRecord } from '../contracts.js';
import { canonicalTime } from './time.js';

type Kind = 'string' | 'int' | 'datetime' | 'dynamic';

/** One column filled from a path inside the audit Event. */
export interface AuditField {
  readonly column: keyof AksAuditRow;
  readonly path: readonly string[];
  readonly kind: Kind;
}

const f = (column: keyof AksAuditRow, path: string, kind: Kind): AuditField => ({
  column,
  // Dotted paths; annotation keys contain dots, so they use '|' as separator instead.
  path: path.includes('|') ? path.split('|') : path.split('.'),
  kind,
});

/** Columns taken from the Event, in table order. Everything else comes from the record. */
export const AUDIT_FIELDS: readonly AuditField[] = [
  f('Level', 'level', 'string'),
  f('AuditId', 'auditID', 'string'),
  f('Stage', 'stage', 'string'),
  f('RequestUri', 'requestURI', 'string'),
  f('Verb', 'verb', 'string'),
  f('User', 'user', 'dynamic'),
  f('ImpersonatedUser', 'impersonatedUser', 'dynamic'),
  f('SourceIps', 'sourceIPs', 'dynamic'),
  f('UserAgent', 'userAgent', 'string'),
  f('ObjectRef', 'objectRef', 'dynamic'),
  f('ResponseStatus', 'responseStatus', 'dynamic'),
  f('RequestObject', 'requestObject', 'dynamic'),
  f('ResponseObject', 'responseObject', 'dynamic'),
  f('RequestReceivedTime', 'requestReceivedTimestamp', 'datetime'),
  f('StageReceivedTime', 'stageTimestamp', 'datetime'),
  f('Annotations', 'annotations', 'dynamic'),
  f('UserName', 'user.username', 'string'),
  f('UserGroups', 'user.groups', 'dynamic'),
  f('ImpersonatedUserName', 'impersonatedUser.username', 'string'),
  f('Resource', 'objectRef.resource', 'string'),
  f('Subresource', 'objectRef.subresource', 'string'),
  f('Namespace', 'objectRef.namespace', 'string'),
  f('Name', 'objectRef.name', 'string'),
  f('ApiGroup', 'objectRef.apiGroup', 'string'),
  f('ApiVersion', 'objectRef.apiVersion', 'string'),
  f('ResponseCode', 'responseStatus.code', 'int'),
  f('AuthorizationDecision', 'annotations|authorization.k8s.io/decision', 'string'),
  f('AuthorizationReason', 'annotations|authorization.k8s.io/reason', 'string'),
  f('SourceIp', 'sourceIPs.0', 'string'),
];

/** Value at `path` (object keys or array indexes), undefined when any step is missing. */
export function pick(root: unknown, path: readonly string[]): unknown {
  let cur: unknown = root;
  for (let i = 0; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[path[i]!];
  }
  return cur;
}

/** Coerce a picked value to the column kind; wrong types become the empty value, never a throw. */
export function coerce(v: unknown, kind: Kind): unknown {
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
    case 'int':
      if (typeof v === 'number') return Number.isInteger(v) ? v : null;
      if (typeof v === 'string' && v.length > 0 && v.length < 16) {
        const n = Number(v);
        return Number.isInteger(n) ? n : null;
      }
      return null;
    case 'datetime':
      return canonicalTime(v);
    case 'dynamic':
      return v === undefined ? null : v;
  }
}

/** `partition/sequenceNumber/index`: the record's place in the hub (idempotency key). */
export function positionKey(rec: RawRecord): string {
  const p = rec.position;
  return `${p.partitionId}/${p.sequenceNumber}/${p.index}`;
}

/**
 * One audit Event (already parsed) → one AksAudit row. Missing or wrong-typed fields become
 * '' / null; TimeGenerated is stageTimestamp (µs), else requestReceivedTimestamp, else the
 * record time. Used by the Event Hub path, webhooks and the Falco conformance suite.
 */
export function auditEventToRow(event: Record<string, unknown>, rec: RawRecord): AksAuditRow {
  // Literal in AksAuditColumns order: one hidden class for every row, columns print in table order.
  const row: Record<string, unknown> = {
    TimeGenerated: null, Category: rec.category, Level: '', AuditId: '', Stage: '', RequestUri: '', Verb: '',
    User: null, ImpersonatedUser: null, SourceIps: null, UserAgent: '', ObjectRef: null, ResponseStatus: null,
    RequestObject: null, ResponseObject: null, RequestReceivedTime: null, StageReceivedTime: null, Annotations: null,
    PodName: rec.pod, ResourceId: rec.resourceId, Cluster: rec.cluster, UserName: '', UserGroups: null,
    ImpersonatedUserName: '', Resource: '', Subresource: '', Namespace: '', Name: '', ApiGroup: '', ApiVersion: '',
    ResponseCode: null, AuthorizationDecision: '', AuthorizationReason: '', SourceIp: '', Truncated: false,
    Position: positionKey(rec),
  };
  for (let i = 0; i < AUDIT_FIELDS.length; i++) {
    const fd = AUDIT_FIELDS[i]!;
    row[fd.column] = coerce(pick(event, fd.path), fd.kind);
  }
  row.TimeGenerated = row.StageReceivedTime ?? row.RequestReceivedTime ?? canonicalTime(rec.time);
  return row as unknown as AksAuditRow;
}
