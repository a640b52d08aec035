// kube-audit / kube-audit-admin: one audit.k8s.io/v1 Event → one AksAudit row.
// The column table (kusto/pipelineTables.ts: each column's Event path and type) is the
// specification, and auditRowFromTable() implements it literally. auditEventToRow() is the
// same function specialized by hand into straight-line code: the table walk costs ~3 µs a
// row in keyed property reads and writes, the specialized form ~0.4 µs. Both are held equal
// by test/normalize-audit-table.test.ts on generated and deliberately ill-typed events.
import { AUDIT_EVENT, TRUNCATED_ANNOTATION, type AksAuditRow, type RawRecord } from '../contracts.js';
import { AksAuditColumns } from '../kusto/pipelineTables.js';
import { intern } from '../envelope/intern.js';
import { canonicalTime } from './time.js';
import { columnText } from '../envelope/json.js';
import { int32 } from './int32.js';

type Kind = 'string' | 'int' | 'datetime' | 'dynamic';

/** One column filled from a path inside the audit Event. */
export interface AuditField {
  readonly column: keyof AksAuditRow;
  readonly path: readonly string[];
  readonly kind: Kind;
}

const KINDS: readonly string[] = ['string', 'int', 'datetime', 'dynamic'] satisfies Kind[];

/** Columns taken from the Event, in table order. Everything else comes from the record. */
export const AUDIT_FIELDS: readonly AuditField[] = AksAuditColumns.flatMap((c): AuditField[] => {
  if (!('event' in c)) return [];
  if (!KINDS.includes(c.type)) throw new Error(`AksAudit.${c.name}: no ${c.type} coercion for Event fields`);
  return [{ column: c.name, path: c.event, kind: c.type as Kind }];
});

/** Value at `path` (object keys or array indexes), undefined when any step is missing. */
export function pick(root: unknown, path: readonly string[]): unknown {
  let cur: unknown = root;
  for (let i = 0; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[path[i]!];
  }
  return cur;
}

/**
 * Coerce a picked value to the column kind the way ADX stores it, never a throw. ADX reads
 * these columns from the landed Event itself (land/ndjson.ts), so the row detectors see must
 * hold what the table will: a string column keeps any other JSON value as its JSON text
 * (`verb: ["get"]` is '["get"]', not ''), and an int column takes a 32-bit integer or its
 * decimal text and stores null for anything else (a float included).
 */
export function coerce(v: unknown, kind: Kind): unknown {
  switch (kind) {
    case 'string':
      return columnText(v);
    case 'int':
      return int32(v);
    case 'datetime':
      return canonicalTime(v);
    case 'dynamic':
      return v === undefined ? null : v;
  }
}

/**
 * The row's AUDIT_IDENTITY_COLUMNS (kusto/pipelineTables.ts), written out: dedupe calls it per
 * row. The first IDENTITY_EXACT (stage, cluster) must match exactly; the rest may be missing
 * from a truncated salvage.
 */
export function auditIdentity(r: AksAuditRow): string[] {
  return [r.Stage, r.Cluster, r.RequestReceivedTime ?? '', r.Verb, r.RequestUri, r.UserName];
}
export const IDENTITY_EXACT = 2;
/** Where auditIdentity holds the request URI. */
export const IDENTITY_URI = 4;

/** `partition/sequenceNumber/index`: the record's place in the hub (idempotency key). */
export function positionKey(rec: RawRecord): string {
  const p = rec.position;
  return `${p.partitionId}/${p.sequenceNumber}/${p.index}`;
}

/**
 * One audit Event (already parsed) → one AksAudit row, read from the column table. The
 * reference implementation of auditEventToRow (same arguments, same result).
 */
export function auditRowFromTable(event: Record<string, unknown>, rec: RawRecord, json?: string): AksAuditRow {
  // Literal in AksAuditColumns order: one hidden class for every row, columns print in table order.
  const row: Record<string | symbol, unknown> = {
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
  row[AUDIT_EVENT] = json ?? event;
  return row as unknown as AksAuditRow;
}

/**
 * What an object must carry to be an audit.k8s.io Event (the API marks these fields
 * required; the apiserver always writes them): checked in order, the first failing one named.
 * The webhook route answers with it and the normalizer dead-letters on it, so what one
 * refuses the other never lands.
 */
const nonEmptyString = { ok: (v: unknown) => typeof v === 'string' && v !== '', want: 'a non-empty string', reason: 'incomplete-audit' };
export const AUDIT_EVENT_REQUIRED: readonly { field: string; ok: (v: unknown) => boolean; want: string; reason: string }[] = [
  { field: 'kind', ok: (v) => v === undefined || v === 'Event', want: '"Event" (or absent)', reason: 'invalid-audit-event' },
  { field: 'auditID', ...nonEmptyString },
  { field: 'stage', ...nonEmptyString },
  { field: 'verb', ...nonEmptyString },
  { field: 'requestURI', ok: (v) => typeof v === 'string', want: 'a string', reason: 'incomplete-audit' },
];

export interface AuditEventProblem {
  field: string;
  message: string;
  /** The dead letter's reason. */
  reason: string;
}

/** The first required field an audit Event lacks or has in the wrong type; undefined for a usable Event. */
export function auditEventProblem(event: Record<string, unknown>): AuditEventProblem | undefined {
  // Every audit record passes here: the usual answer without the table's keyed reads (~5× faster;
  // test/normalize-audit.test.ts holds it to the table).
  const { kind, auditID, stage, verb, requestURI } = event;
  if ((kind === undefined || kind === 'Event') && typeof auditID === 'string' && auditID !== '' && typeof stage === 'string' && stage !== '' && typeof verb === 'string' && verb !== '' && typeof requestURI === 'string') return undefined;
  for (const r of AUDIT_EVENT_REQUIRED) {
    const v = event[r.field];
    if (!r.ok(v)) return { field: r.field, reason: r.reason, message: `${valueKind(v)}, expected ${r.want}` };
  }
  return undefined;
}

/** What a refused value is, without its content (the message reaches logs). */
const valueKind = (v: unknown): string =>
  v === undefined ? 'missing' : v === null ? 'null' : v === '' ? 'empty' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? 'another string' : `a ${typeof v}`;

// coerce() per kind, as plain functions for the specialized builder.
const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined);
const str = columnText;
const int = int32;
const dyn = (v: unknown): unknown => (v === undefined ? null : v);

/**
 * One audit Event (already parsed) → one AksAudit row. Missing fields become '' / null and
 * wrong-typed ones what ADX stores for them (coerce); TimeGenerated is stageTimestamp (µs),
 * else requestReceivedTimestamp, else the record time. `json`, the Event's text when it can
 * be landed as it is (envelope/json.ts oneLineJson), rides along for landing; without it
 * landing serializes `event`. Used by the Event Hub path, webhooks and the Falco
 * conformance suite.
 */
export function auditEventToRow(event: Record<string, unknown>, rec: RawRecord, json?: string): AksAuditRow {
  const e = event;
  const user = obj(e.user);
  const imp = obj(e.impersonatedUser);
  const ref = obj(e.objectRef);
  const ips = obj(e.sourceIPs);
  const ann = obj(e.annotations);
  const received = canonicalTime(e.requestReceivedTimestamp);
  const stage = canonicalTime(e.stageTimestamp);
  const row: AksAuditRow = {
    // Level, Stage and UserAgent repeat across rows: shared copies (envelope/intern.ts).
    TimeGenerated: stage ?? received ?? canonicalTime(rec.time), Category: rec.category, Level: intern(str(e.level)),
    AuditId: str(e.auditID), Stage: intern(str(e.stage)), RequestUri: str(e.requestURI), Verb: str(e.verb),
    User: dyn(e.user), ImpersonatedUser: dyn(e.impersonatedUser), SourceIps: dyn(e.sourceIPs), UserAgent: intern(str(e.userAgent)),
    ObjectRef: dyn(e.objectRef), ResponseStatus: dyn(e.responseStatus), RequestObject: dyn(e.requestObject),
    ResponseObject: dyn(e.responseObject), RequestReceivedTime: received, StageReceivedTime: stage, Annotations: dyn(e.annotations),
    PodName: rec.pod, ResourceId: rec.resourceId, Cluster: rec.cluster, UserName: str(user?.username), UserGroups: dyn(user?.groups),
    ImpersonatedUserName: str(imp?.username), Resource: str(ref?.resource), Subresource: str(ref?.subresource),
    Namespace: str(ref?.namespace), Name: str(ref?.name), ApiGroup: str(ref?.apiGroup), ApiVersion: str(ref?.apiVersion),
    ResponseCode: int(obj(e.responseStatus)?.code), AuthorizationDecision: str(ann?.['authorization.k8s.io/decision']),
    AuthorizationReason: str(ann?.['authorization.k8s.io/reason']), SourceIp: str(ips?.[0]),
    // kube-apiserver's truncating audit backend (and the webhook route, for an event over one
    // hub message) drops the request and response objects and says so here.
    Truncated: ann?.[TRUNCATED_ANNOTATION] === 'true',
    Position: positionKey(rec),
  };
  (row as unknown as Record<symbol, unknown>)[AUDIT_EVENT] = json ?? e;
  return row;
}
