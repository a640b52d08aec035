// AKS diagnostic records exactly as Azure Monitor diagnostic settings stream them to Event
// Hubs (see ../shared/fixtures/aks): one body = {"records":[...]}; each record carries
// category, operationName, properties {pod, log, stream, containerID}, the upper-cased
// resourceId and `time` with 7 fractional digits. Audit categories hold one audit.k8s.io/v1
// Event as JSON text ending in "\n" (stdout); other categories one klog line (stderr).
import { ByteWriter, escapeBytes, FragmentCache, textOf, utf8 } from '../bytes.js';
import type { Uuid } from '../prng.js';
import { TimeFormat } from '../time.js';

export const OPERATION_NAME = 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read';

export interface DiagnosticRecord {
  category: string;
  operationName: string;
  properties: { pod: string; log: string; stream: string; containerID: string };
  resourceId: string;
  time: string;
}

/** Azure resource id of a managed cluster, upper-cased as Azure Monitor sends it. */
export function clusterResourceId(subscription: string, resourceGroup: string, cluster: string): string {
  return `/SUBSCRIPTIONS/${subscription}/RESOURCEGROUPS/${resourceGroup}/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/${cluster}`.toUpperCase();
}

export function diagnosticRecord(category: string, resourceId: string, time7: string, pod: string, containerID: string, log: string, stream: 'stdout' | 'stderr'): DiagnosticRecord {
  return { category, operationName: OPERATION_NAME, properties: { pod, log, stream, containerID }, resourceId, time: time7 };
}

/**
 * JSON text of `v`, equal to `JSON.stringify(v)` for JSON data (strings, finite numbers,
 * booleans, null, arrays, plain objects; anything else goes through JSON.stringify itself;
 * undefined when JSON.stringify would leave the value out). With `nested` the text comes
 * out as it reads inside a JSON string literal (every `"` and backslash escaped) — what
 * JSON.stringify of the text would put between its quotes — in the same single pass, so an
 * audit Event is written once for a diagnostic record instead of serialized, then escaped.
 */
function jsonValue(v: unknown, nested: boolean): string | undefined {
  switch (typeof v) {
    case 'string':
      return jsonStringIn(v, nested);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (!Object.isFrozen(v)) return objectJson(v, nested);
      const cache = FROZEN_JSON[nested ? 1 : 0];
      let text = cache.get(v);
      if (text === undefined) {
        text = objectJson(v, nested);
        if (text !== undefined) cache.set(v, text);
      }
      return text;
    }
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return viaStringify(v, nested);
  }
}

/**
 * JSON text of frozen objects and arrays by identity, per form: the generator deep-freezes the
 * constants it shares between Events (so a frozen value is taken as immutable all the way down).
 */
const FROZEN_JSON = [new WeakMap<object, string>(), new WeakMap<object, string>()] as const;

/** jsonValue of a non-null object or array. */
function objectJson(v: object, nested: boolean): string | undefined {
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + (jsonValue(v[i], nested) ?? 'null');
    return out + ']';
  }
  if (Object.getPrototypeOf(v) !== Object.prototype || typeof (v as { toJSON?: unknown }).toJSON === 'function') return viaStringify(v, nested);
  const o = v as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const k of Object.keys(o)) {
    const x = jsonValue(o[k], nested);
    if (x === undefined) continue;
    out += (first ? '' : ',') + jsonStringIn(k, nested) + ':' + x;
    first = false;
  }
  return out + '}';
}

function viaStringify(v: unknown, nested: boolean): string | undefined {
  const text = JSON.stringify(v) as string | undefined;
  return text === undefined || !nested ? text : escapeInString(text);
}

/** `"` → `\\"`, `\\` → `\\\\`: JSON text (which holds no control characters or lone surrogates) as JSON.stringify writes it inside a string. */
function escapeInString(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 92) {
      out += text.slice(from, i) + '\\' + text[i];
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * What goes between the quotes of jsonStringIn(s, nested): `s` itself (no copy) when
 * nothing needs escaping, so the constant text around it can carry the quotes.
 */
function bodyIn(s: string, nested: boolean): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) {
      const j = JSON.stringify(s);
      return nested ? escapeInString(j.slice(1, -1)) : j.slice(1, -1);
    }
  }
  return s;
}

function jsonStringIn(s: string, nested: boolean): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // control characters, '"', backslash and surrogates (a lone one is escaped) go the long way
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return nested ? escapeInString(JSON.stringify(s)) : JSON.stringify(s);
  }
  return nested ? `\\"${s}\\"` : `"${s}"`;
}

/** JSON string literal, as JSON.stringify writes it. */
export const jsonString = (s: string): string => jsonStringIn(s, false);

/** An audit timestamp: its text, or microseconds since the epoch (TimeFormat.micro writes them). */
export type AuditTime = string | number;

/**
 * Format the numeric audit timestamps (a TimeFormat only caches; any instance gives the same
 * text). One per field: a long request (a watch: minutes) puts them in different seconds, and
 * a shared one would re-format both seconds' text on every such Event.
 */
const RECEIVED_TIME = new TimeFormat();
const STAGE_TIME = new TimeFormat();

const timeText = (t: AuditTime): string => (typeof t === 'number' ? STAGE_TIME.micro(t) : t);

/** The fields of one audit.k8s.io/v1 Event as the generator fills them. */
export interface AuditEventFields {
  level: string;
  /** Text, or the Uuid it is drawn as (written without building its text). */
  auditID: string | Uuid;
  stage: string;
  requestURI: string;
  verb: string;
  /** {username, groups, ...}; treated as immutable (its JSON is cached by identity). */
  user: object;
  sourceIP: string;
  userAgent: string;
  /** Written when present; treated as immutable (its JSON is cached by identity). */
  objectRef?: object | undefined;
  code: number;
  /** responseStatus fields besides metadata and code (status, message, reason). */
  status?: object | undefined;
  /** Written unless the level is Metadata. */
  requestObject?: unknown;
  /** Written at level RequestResponse. */
  responseObject?: unknown;
  requestReceivedTimestamp: AuditTime;
  stageTimestamp: AuditTime;
  decision: string;
  reason: string;
}

/** The Event object, keys in the apiserver's order: the specification auditEventJson is held to. */
export function auditEventObject(a: AuditEventFields): Record<string, unknown> {
  const ev: Record<string, unknown> = {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: a.level, auditID: String(a.auditID), stage: a.stage, requestURI: a.requestURI, verb: a.verb,
    user: a.user, sourceIPs: [a.sourceIP], userAgent: a.userAgent,
  };
  if (a.objectRef) ev.objectRef = a.objectRef;
  ev.responseStatus = a.status ? { metadata: {}, ...a.status, code: a.code } : { metadata: {}, code: a.code };
  if (a.requestObject !== undefined && a.level !== 'Metadata') ev.requestObject = a.requestObject;
  if (a.responseObject !== undefined && a.level === 'RequestResponse') ev.responseObject = a.responseObject;
  ev.requestReceivedTimestamp = timeText(a.requestReceivedTimestamp);
  ev.stageTimestamp = timeText(a.stageTimestamp);
  ev.annotations = { 'authorization.k8s.io/decision': a.decision, 'authorization.k8s.io/reason': a.reason };
  return ev;
}

/** Constant pieces of the Event text in both forms ([plain, nested]), each string value's quotes included. */
const AUDIT_TEXT = ([false, true] as const).map((nested) => {
  const q = nested ? '\\"' : '"';
  const k = (name: string, open = true): string => jsonStringIn(name, nested) + ':' + (open ? q : '');
  return {
    head: '{' + k('kind') + 'Event' + q + ',' + k('apiVersion') + 'audit.k8s.io/v1' + q + ',' + k('level'),
    auditID: q + ',' + k('auditID'),
    stage: q + ',' + k('stage'),
    requestURI: q + ',' + k('requestURI'),
    verb: q + ',' + k('verb'),
    user: q + ',' + k('user', false),
    sourceIPs: ',' + k('sourceIPs', false) + '[' + q,
    userAgent: q + '],' + k('userAgent'),
    objectRef: q + ',' + k('objectRef', false),
    noObjectRef: q,
    responseStatusKey: ',' + k('responseStatus', false),
    responseStatus: ',' + k('responseStatus', false) + '{' + k('metadata', false) + '{},' + k('code', false),
    requestObject: ',' + k('requestObject', false),
    responseObject: ',' + k('responseObject', false),
    received: ',' + k('requestReceivedTimestamp'),
    stageTimestamp: q + ',' + k('stageTimestamp'),
    decision: q + ',' + k('annotations', false) + '{' + k('authorization.k8s.io/decision'),
    reason: q + ',' + k('authorization.k8s.io/reason'),
    end: q + '}}',
  };
});

/** AUDIT_TEXT as bytes, for the writer. */
const AUDIT_BYTES = AUDIT_TEXT.map((t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, utf8(v)])) as Record<keyof typeof t, Uint8Array>);

/** What bodyIn escapes: control characters, '"' and backslash (surrogates are non-ASCII bytes). */
const JSON_NEEDS = escapeBytes((c) => c < 32 || c === 34 || c === 92);

/** bodyIn in each form ([plain, nested]). */
const BODY = [(s: string): string => bodyIn(s, false), (s: string): string => bodyIn(s, true)] as const;

/**
 * The constant text around the fields drawn from small sets, joined with their encoded
 * values so each run of them is one copy: the opening up to the auditID per level, the stage
 * up to the URI, and the annotations per decision and reason — by form ([plain, nested]).
 */
const PIECES = AUDIT_TEXT.map((T, n) => {
  const body = BODY[n]!;
  return {
    head: new FragmentCache((level) => T.head + body(level) + T.auditID),
    stage: new FragmentCache((stage) => T.stage + body(stage) + T.requestURI),
    closing: new Map<string, FragmentCache>(),
    closingOf(decision: string): FragmentCache {
      let c = this.closing.get(decision);
      if (c === undefined) {
        c = new FragmentCache((reason) => T.decision + body(decision) + T.reason + body(reason) + T.end);
        if (this.closing.size < 64) this.closing.set(decision, c);
      }
      return c;
    },
  };
});

/** The text from the verb to the objectRef of one (verb, user, sourceIP, userAgent, objectRef). */
interface Middle {
  verb: string;
  sourceIP: string;
  userAgent: string;
  objectRef: object | undefined;
  bytes: Uint8Array;
}

/** Middles per user object (by identity, treated as immutable like the objectRefs), a few per user, by form. */
const MIDDLES = [new WeakMap<object, Middle[]>(), new WeakMap<object, Middle[]>()] as const;

/** The verb through the objectRef: constant for the Events of one identity doing one thing. */
function middleBytes(a: AuditEventFields, nested: boolean): Uint8Array {
  const cache = MIDDLES[nested ? 1 : 0];
  let list = cache.get(a.user);
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      if (m.verb === a.verb && m.sourceIP === a.sourceIP && m.userAgent === a.userAgent && m.objectRef === a.objectRef) return m.bytes;
    }
  } else cache.set(a.user, (list = []));
  const T = AUDIT_TEXT[nested ? 1 : 0]!;
  const text =
    T.verb + bodyIn(a.verb, nested) + T.user + (jsonValue(a.user, nested) as string) + T.sourceIPs + bodyIn(a.sourceIP, nested) + T.userAgent + bodyIn(a.userAgent, nested) +
    (a.objectRef ? T.objectRef + (jsonValue(a.objectRef, nested) as string) : T.noObjectRef);
  const bytes = utf8(text);
  if (list.length < 16) list.push({ verb: a.verb, sourceIP: a.sourceIP, userAgent: a.userAgent, objectRef: a.objectRef, bytes });
  return bytes;
}

/** `responseStatus` without status fields, up to its closing brace, per code and form. */
const STATUS_BY_CODE = [new Map<number, Uint8Array>(), new Map<number, Uint8Array>()] as const;

function statusBytes(code: number, nested: boolean): Uint8Array {
  const cache = STATUS_BY_CODE[nested ? 1 : 0];
  let b = cache.get(code);
  if (b === undefined) {
    b = utf8(AUDIT_TEXT[nested ? 1 : 0]!.responseStatus + (jsonValue(code, nested) as string) + '}');
    if (cache.size < 256) cache.set(code, b);
  }
  return b;
}

/**
 * Writes the JSON text of `auditEventObject(a)` (nested: as it reads inside a JSON string,
 * see jsonValue) from constant pieces: equal to `JSON.stringify(auditEventObject(a))`, which
 * test/generate-fastpaths checks field by field. Fields from small sets come from a cache of
 * their encoded bytes; the per-line ones (auditID, URI, timestamps) are encoded in place.
 */
export function writeAuditEvent(w: ByteWriter, a: AuditEventFields, nested = false): void {
  const n = nested ? 1 : 0;
  const T = AUDIT_BYTES[n]!;
  const P = PIECES[n]!;
  const E = BODY[n];
  w.bytes(P.head.get(a.level));
  // A Uuid's text (hex digits and dashes) needs no escaping.
  if (typeof a.auditID === 'string') w.escaped(a.auditID, E, JSON_NEEDS);
  else a.auditID.write(w);
  w.bytes(P.stage.get(a.stage));
  w.escaped(a.requestURI, E, JSON_NEEDS);
  w.bytes(middleBytes(a, nested));
  // With status fields the object is built as the specification builds it (spread order,
  // integer-like keys first) and written by the generic writer; they are rare.
  if (a.status) {
    w.bytes(T.responseStatusKey);
    w.str(jsonValue({ metadata: {}, ...a.status, code: a.code }, nested) as string);
  } else w.bytes(statusBytes(a.code, nested));
  if (a.requestObject !== undefined && a.level !== 'Metadata') {
    const x = jsonValue(a.requestObject, nested);
    if (x !== undefined) {
      w.bytes(T.requestObject);
      w.str(x);
    }
  }
  if (a.responseObject !== undefined && a.level === 'RequestResponse') {
    const x = jsonValue(a.responseObject, nested);
    if (x !== undefined) {
      w.bytes(T.responseObject);
      w.str(x);
    }
  }
  w.bytes(T.received);
  // Numeric times are written as digits; their text (see TimeFormat.micro) never needs escaping.
  if (typeof a.requestReceivedTimestamp === 'number') RECEIVED_TIME.writeMicro(w, a.requestReceivedTimestamp);
  else w.escaped(a.requestReceivedTimestamp, E, JSON_NEEDS);
  w.bytes(T.stageTimestamp);
  if (typeof a.stageTimestamp === 'number') STAGE_TIME.writeMicro(w, a.stageTimestamp);
  else w.escaped(a.stageTimestamp, E, JSON_NEEDS);
  w.bytes(P.closingOf(a.decision).get(a.reason));
}

/** writeAuditEvent as text. */
export function auditEventJson(a: AuditEventFields, nested = false): string {
  return textOf((w) => writeAuditEvent(w, a, nested));
}

/**
 * `JSON.stringify(diagnosticRecord(...))` written as one template: the constant keys and
 * operationName are literal text and only the strings are encoded. `log` is the text, or
 * `{audit}`: an audit Event whose JSON text plus "\\n" is the text, or an access line in
 * parts; both written straight in their escaped form (test/generate-encoders holds all
 * forms equal).
 */
export function diagnosticRecordJson(category: string, resourceId: string, time7: string, pod: string, containerID: string, log: string | { audit: AuditEventFields } | HttplogLine, stream: 'stdout' | 'stderr'): string {
  return `{"category":${jsonString(category)},"operationName":"${OPERATION_NAME}","properties":{"pod":${jsonString(pod)},"log":${logJson(log)},"stream":${jsonString(stream)},"containerID":${jsonString(containerID)}},"resourceId":${jsonString(resourceId)},"time":${jsonString(time7)}}`;
}

/** properties.log of a record: text, an audit Event, or an access line in parts. */
export type DiagnosticLog = string | { audit: AuditEventFields } | HttplogLine;

/** Writes one diagnostic record of a cluster. */
export type RecordWriter = (w: ByteWriter, category: string, time7: string | number, pod: string, containerID: string, log: DiagnosticLog, stream: 'stdout' | 'stderr') => void;

/**
 * diagnosticRecordJson for one cluster, into a ByteWriter, with the bytes around `log` cached
 * per category and pod, and per stream and container (a cluster has a handful of each): per
 * record only the log and the time are encoded. `time7` is the text, or microseconds that
 * `tf.iso(time7, 7)` would format. Same text as diagnosticRecordJson (test/generate-fastpaths).
 */
export function diagnosticRecordBytes(resourceId: string, tf = new TimeFormat()): RecordWriter {
  const heads = new Map<string, Map<string, Uint8Array>>();
  const tails = new Map<string, Map<string, Uint8Array>>();
  // An Event's log: the head with the opening quote, the tail after its newline and closing quote.
  const auditHeads = new Map<string, Map<string, Uint8Array>>();
  const auditTails = new Map<string, Map<string, Uint8Array>>();
  const rid = jsonString(resourceId);
  const cached = (maps: Map<string, Map<string, Uint8Array>>, a: string, b: string, make: () => string): Uint8Array => {
    let inner = maps.get(a);
    if (!inner) maps.set(a, (inner = new Map()));
    let bytes = inner.get(b);
    if (bytes === undefined) inner.set(b, (bytes = utf8(make())));
    return bytes;
  };
  const head = (category: string, pod: string): string => `{"category":${jsonString(category)},"operationName":"${OPERATION_NAME}","properties":{"pod":${jsonString(pod)},"log":`;
  const tail = (stream: string, containerID: string): string => `,"stream":${jsonString(stream)},"containerID":${jsonString(containerID)}},"resourceId":${rid},"time":"`;
  return (w, category, time7, pod, containerID, log, stream) => {
    if (typeof log !== 'string' && 'audit' in log) {
      w.bytes(cached(auditHeads, category, pod, () => head(category, pod) + '"'));
      writeAuditEvent(w, log.audit, true);
      w.bytes(cached(auditTails, stream, containerID, () => '\\n"' + tail(stream, containerID)));
    } else {
      w.bytes(cached(heads, category, pod, () => head(category, pod)));
      if (typeof log === 'string') w.str(JSON.stringify(log));
      else writeHttplogLineJson(w, log);
      w.bytes(cached(tails, stream, containerID, () => tail(stream, containerID)));
    }
    if (typeof time7 === 'number') tf.writeIso(w, time7, 7);
    else w.escaped(time7, BODY[0], JSON_NEEDS);
    w.byte(0x22); // "
    w.byte(0x7d); // }
  };
}

/** diagnosticRecordBytes as text. */
export function diagnosticRecordWriter(resourceId: string): (category: string, time7: string, pod: string, containerID: string, log: DiagnosticLog, stream: 'stdout' | 'stderr') => string {
  const write = diagnosticRecordBytes(resourceId);
  return (category, time7, pod, containerID, log, stream) => textOf((w) => write(w, category, time7, pod, containerID, log, stream));
}

function logJson(log: DiagnosticLog): string {
  return typeof log === 'string' ? JSON.stringify(log) : 'audit' in log ? `"${auditEventJson(log.audit, true)}\\n"` : httplogLineJson(log);
}

/** klog header: `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`; thread id right-aligned to 7 as glog does. */
export function klogLine(severity: 'I' | 'W' | 'E' | 'F', mmddTime: string, thread: number, file: string, line: number, msg: string): string {
  return klogHeader(severity, mmddTime, thread, file, line) + msg;
}

/** The klog header up to and including the space before the message. */
export function klogHeader(severity: 'I' | 'W' | 'E' | 'F', mmddTime: string, thread: number, file: string, line: number): string {
  return `${severity}${mmddTime} ${String(thread).padStart(7, ' ')} ${file}:${line}] `;
}

/** Go %q-style quoting used by klog structured values (ASCII-safe subset is enough here). */
export function goQuote(s: string): string {
  return jsonStringIn(s, false);
}

export interface HttplogFields {
  verb: string;
  uri: string;
  latency: string;
  userAgent: string;
  auditId: string | Uuid;
  srcIp: string;
  srcPort: number;
  resp: number;
  /**
   * A long-running request (pods/log, exec, watch): APF does not handle it, so its line has no
   * apf_* fields.
   */
  longRunning?: boolean;
}

/** An access line kept in parts until its format is known: klog header + httplog fields. */
export interface HttplogLine {
  head: string;
  httplog: HttplogFields;
}

/** Constant pieces of an access line in both forms ([plain, nested]), quotes of the values included. */
const HTTPLOG_TEXT = ([false, true] as const).map((nested) => {
  const q = nested ? '\\"' : '"';
  return {
    verb: `${q}HTTP${q} verb=${q}`,
    uri: `${q} URI=${q}`,
    latency: `${q} latency=${q}`,
    userAgent: `${q} userAgent=${q}`,
    auditId: `${q} audit-ID=${q}`,
    srcIp: `${q} srcIP=${q}`,
    apf: `${q} apf_pl=${q}global-default${q} apf_fs=${q}global-default${q} apf_execution_time=${q}`,
    resp: `${q} resp=`,
  };
});

/** HTTPLOG_TEXT as bytes, and the encoded values of the fields from small sets (verbs, user agents, addresses), by form. */
const HTTPLOG_BYTES = HTTPLOG_TEXT.map((t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, utf8(v)])) as Record<keyof typeof t, Uint8Array>);
const HTTPLOG_KNOWN = [new FragmentCache(BODY[0]), new FragmentCache(BODY[1])] as const;

/**
 * Writes a kube-apiserver 1.23+ structured access line body (after the klog header);
 * `nested`: as the text reads inside a JSON string literal (see jsonValue), in the same pass.
 */
export function writeHttplogMessage(w: ByteWriter, f: HttplogFields, nested = false): void {
  const n = nested ? 1 : 0;
  const T = HTTPLOG_BYTES[n]!;
  const K = HTTPLOG_KNOWN[n];
  const E = BODY[n];
  w.bytes(T.verb);
  w.bytes(K.get(f.verb));
  w.bytes(T.uri);
  w.escaped(f.uri, E, JSON_NEEDS);
  w.bytes(T.latency);
  w.escaped(f.latency, E, JSON_NEEDS);
  w.bytes(T.userAgent);
  w.bytes(K.get(f.userAgent));
  w.bytes(T.auditId);
  if (typeof f.auditId === 'string') w.escaped(f.auditId, E, JSON_NEEDS);
  else f.auditId.write(w);
  w.bytes(T.srcIp);
  // bodyIn(`${srcIp}:${srcPort}`): the port's text never needs escaping.
  w.bytes(K.get(f.srcIp));
  w.byte(0x3a); // :
  w.int(f.srcPort);
  if (!f.longRunning) {
    w.bytes(T.apf);
    w.escaped(f.latency, E, JSON_NEEDS);
  }
  w.bytes(T.resp);
  w.int(f.resp);
}

/** writeHttplogMessage as text. */
export function httplogMessage(f: HttplogFields, nested = false): string {
  return textOf((w) => writeHttplogMessage(w, f, nested));
}

/** Writes the JSON string literal of an access line's text (head + httplogMessage) from its parts. */
export function writeHttplogLineJson(w: ByteWriter, l: HttplogLine): void {
  w.byte(0x22);
  w.escaped(l.head, stringBody, JSON_NEEDS);
  writeHttplogMessage(w, l.httplog, true);
  w.byte(0x22);
}

/** Text between the quotes of JSON.stringify(s). */
function stringBody(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s).slice(1, -1);
  }
  return s;
}

/** JSON string literal of an access line's text (head + httplogMessage), written from its parts. */
export function httplogLineJson(l: HttplogLine): string {
  return textOf((w) => writeHttplogLineJson(w, l));
}
