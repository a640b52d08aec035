// kube-apiserver message bodies (after the klog header): request/access lines of every
// generation, utiltrace lines, and the mapping of their fields onto AksControlPlane columns.
//
// Access-line generations (see ../shared/reference/kube-apiserver-example-lines.jsonl):
//   G1  1.11–1.12 legacy:  PUT /uri?x=y:(9.05ms) 200 [ua 172.31.1.1:48110]
//   G2  1.13–1.17 legacy:  PUT /uri: (1.35ms) 200 [[ua] [::1]:35168]
//   G3  legacy, no client: POST /uri: (5.72ms) 500          (5xx; stack follows on later lines)
//   G4  1.18–1.22 structured: "HTTP" verb="GET" URI="/x" latency="214µs" userAgent=".." [audit-ID=".."] srcIP=".." resp=200
//   G5  1.23+ structured with apf_* fields; also seen with the klog header and the quotes
//       around HTTP stripped: HTTP verb="WATCH" URI=... resp=200
// plus request-ish lines: "timeout or abort while handling: method=GET URI=.. audit-ID=..",
// "Post-timeout activity" method=.. path=.., and utiltrace headers (url:/.., audit-id:..).
import { goDurationMs } from './duration.js';
import { parsePairs, readGoQuoted, setPair } from './goquote.js';
import { int32 } from './int32.js';

export interface RequestColumns {
  Verb: string;
  RequestUri: string;
  LatencyMs: number | null;
  UserAgent: string;
  AuditId: string;
  SourceIp: string;
  ResponseCode: number | null;
}

export interface ParsedMessage {
  /** key=value pairs (structured lines, trace fields); null when the line has none */
  fields: Record<string, string> | null;
  /** request columns when the line describes an HTTP request */
  request: RequestColumns | null;
  /** 'access' | 'structured' | 'trace' | 'trace-step' | 'text' */
  kind: 'access' | 'structured' | 'trace' | 'trace-step' | 'text';
}

const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE', 'WATCH', 'LIST', 'PROXY']);

type Kind = 'string' | 'duration' | 'int' | 'ip';

/** Declarative: request column ← first present field key. */
const REQUEST_MAP: readonly { column: keyof RequestColumns; keys: readonly string[]; kind: Kind }[] = [
  { column: 'Verb', keys: ['verb', 'method'], kind: 'string' },
  { column: 'RequestUri', keys: ['URI', 'url', 'uri', 'path'], kind: 'string' },
  { column: 'LatencyMs', keys: ['latency', 'totalTime'], kind: 'duration' },
  { column: 'UserAgent', keys: ['userAgent', 'user-agent'], kind: 'string' },
  { column: 'AuditId', keys: ['audit-ID', 'auditID', 'audit-id'], kind: 'string' },
  { column: 'SourceIp', keys: ['srcIP', 'client'], kind: 'ip' },
  { column: 'ResponseCode', keys: ['resp', 'statusCode'], kind: 'int' },
];
/** A field set is a request when it carries one of these keys (path alone is too generic). */
const REQUEST_GATE = ['verb', 'method', 'URI', 'url', 'uri'];

/** "172.31.1.1:48110" → "172.31.1.1", "[::1]:35168" → "::1"; anything else unchanged. */
export function stripPort(addr: string): string {
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    return end > 0 ? addr.slice(1, end) : addr;
  }
  const colon = addr.indexOf(':');
  if (colon > 0 && colon === addr.lastIndexOf(':')) return addr.slice(0, colon);
  return addr;
}

function emptyRequest(): RequestColumns {
  return { Verb: '', RequestUri: '', LatencyMs: null, UserAgent: '', AuditId: '', SourceIp: '', ResponseCode: null };
}

/** Request columns from fields via REQUEST_MAP, or null when the fields are not a request. */
export function requestFromFields(fields: Record<string, string>): RequestColumns | null {
  let gate = false;
  for (const k of REQUEST_GATE) if (fields[k] !== undefined) gate = true;
  if (!gate) return null;
  const req = emptyRequest() as unknown as Record<string, unknown>;
  for (const m of REQUEST_MAP) {
    let v: string | undefined;
    for (const k of m.keys) {
      v = fields[k];
      if (v !== undefined) break;
    }
    if (v === undefined) continue;
    if (m.kind === 'string') req[m.column] = v;
    else if (m.kind === 'ip') req[m.column] = stripPort(v);
    else if (m.kind === 'duration') req[m.column] = goDurationMs(v);
    else req[m.column] = int32(v);
  }
  return req as unknown as RequestColumns;
}

/** G1–G3: METHOD URI:(latency) status [client]. Null when `msg` is not such a line. */
export function parseLegacyAccess(msg: string): RequestColumns | null {
  const sp = msg.indexOf(' ');
  if (sp < 3 || sp > 8) return null;
  const method = msg.slice(0, sp);
  if (!HTTP_METHODS.has(method)) return null;
  let i = sp + 1;
  if (msg[i] !== '/' && msg[i] !== '*' && !msg.startsWith('http', i)) return null;
  const tokEnd = msg.indexOf(' ', i);
  const tok = tokEnd < 0 ? msg.slice(i) : msg.slice(i, tokEnd);
  let uri: string;
  let latTok: string;
  if (tok.endsWith(':')) {
    // G2/G3: "URI: (latency)"
    if (tokEnd < 0) return null;
    uri = tok.slice(0, -1);
    const latEnd = msg.indexOf(' ', tokEnd + 1);
    latTok = latEnd < 0 ? msg.slice(tokEnd + 1) : msg.slice(tokEnd + 1, latEnd);
    i = latEnd < 0 ? msg.length : latEnd + 1;
  } else {
    // G1: "URI:(latency)"
    const k = tok.lastIndexOf(':(');
    if (k < 0) return null;
    uri = tok.slice(0, k);
    latTok = tok.slice(k + 1);
    i = tokEnd < 0 ? msg.length : tokEnd + 1;
  }
  if (latTok.length < 3 || latTok[0] !== '(' || latTok[latTok.length - 1] !== ')') return null;
  const latency = goDurationMs(latTok.slice(1, -1));
  if (latency === null) return null;
  const code = msg.slice(i, i + 3);
  if (code.length !== 3 || !/^[1-5]\d\d$/.test(code)) return null;
  const req = emptyRequest();
  req.Verb = method;
  req.RequestUri = uri;
  req.LatencyMs = latency;
  req.ResponseCode = Number(code);
  const rest = msg.slice(i + 3).trim();
  if (rest.length >= 2 && rest[0] === '[' && rest[rest.length - 1] === ']') {
    const inner = rest.slice(1, -1);
    if (inner[0] === '[') {
      // G2: [[user agent] addr]
      const close = inner.lastIndexOf('] ');
      if (close > 0) {
        req.UserAgent = inner.slice(1, close);
        req.SourceIp = stripPort(inner.slice(close + 2));
      } else req.UserAgent = inner.slice(1);
    } else {
      // G1: [user agent addr]; an empty agent leaves "[ addr]".
      const last = inner.lastIndexOf(' ');
      if (last >= 0) {
        req.UserAgent = inner.slice(0, last);
        req.SourceIp = stripPort(inner.slice(last + 1));
      } else req.SourceIp = stripPort(inner);
    }
  }
  return req;
}

/**
 * utiltrace lines:
 *   header (old):  Trace[id]: "Update /api/v1/..." (started: 2019-05-29 07:21:16.94 +0000 UTC m=+91.07) (total time: 576.65ms):
 *   header (new):  Trace[id]: "Delete" url:/apis/..,user-agent:..,audit-id:..,client:..,accept:..,protocol:HTTP/2.0 (06-Jun-2022 06:01:45.914) (total time: 929ms):
 *   step (old):    Trace[id]: [576.307806ms] [573.33055ms] Object stored in database
 *   step (new):    Trace[id]: ---"Object deleted from database" 903ms (06:01:46.844)
 */
export function parseTrace(msg: string): ParsedMessage | null {
  if (!msg.startsWith('Trace[')) return null;
  const close = msg.indexOf(']: ', 6);
  if (close < 0 || close > 40) return null;
  const fields: Record<string, string> = { trace: msg.slice(6, close) };
  let body = msg.slice(close + 3);
  if (body.startsWith('---"')) {
    const q = readGoQuoted(body, 3);
    if (q) {
      fields.step = q.value;
      // Then: [key:value ...] duration [(hh:mm:ss.mmm)]
      let rest = body.slice(q.end).trim();
      if (rest.endsWith(')')) {
        const open = rest.lastIndexOf('(');
        if (open >= 0) {
          fields.at = rest.slice(open + 1, -1);
          rest = rest.slice(0, open).trim();
        }
      }
      for (const tok of rest.split(' ')) {
        if (tok === '') continue;
        const colon = tok.indexOf(':');
        if (colon > 0 && goDurationMs(tok) === null) setPair(fields, tok.slice(0, colon), tok.slice(colon + 1));
        else fields.duration = tok;
      }
    } else fields.step = body.slice(3);
    return { fields, request: null, kind: 'trace-step' };
  }
  if (body.startsWith('[')) {
    const a = body.indexOf('] [');
    const b = a < 0 ? -1 : body.indexOf('] ', a + 3);
    if (a > 0 && b > 0) {
      fields.sinceStart = body.slice(1, a);
      fields.sinceLast = body.slice(a + 3, b);
      fields.step = body.slice(b + 2);
      return { fields, request: null, kind: 'trace-step' };
    }
  }
  if (body.startsWith('"')) {
    const q = readGoQuoted(body, 0);
    if (!q) return { fields, request: null, kind: 'trace' };
    fields.msg = q.value;
    body = body.slice(q.end);
    // (total time: 576.659948ms):
    const tt = body.lastIndexOf('(total time: ');
    if (tt >= 0) {
      const end = body.indexOf(')', tt);
      if (end > 0) fields.totalTime = body.slice(tt + 13, end);
      body = body.slice(0, tt);
    }
    body = body.trim();
    // (started: ...) or (06-Jun-2022 06:01:45.914) at the end
    if (body.endsWith(')')) {
      const open = body.lastIndexOf('(');
      if (open >= 0) {
        const started = body.slice(open + 1, -1);
        fields.started = started.startsWith('started: ') ? started.slice(9) : started;
        body = body.slice(0, open).trim();
      }
    }
    // New format: comma-joined key:value fields (values may contain commas; a new field
    // starts only where ",<key>:" follows).
    if (body.length > 0) splitTraceFields(body, fields);
    else {
      // Old format: the operation name carries the path ("Update /api/v1/...").
      const sp = fields.msg.indexOf(' /');
      if (sp > 0) fields.url = fields.msg.slice(sp + 1);
    }
    return { fields, request: requestFromFields(fields), kind: 'trace' };
  }
  fields.step = body;
  return { fields, request: null, kind: 'trace-step' };
}

function isTraceKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 45 || c === 95;
}

/** "url:/x,user-agent:a, b,audit-id:.." → fields (a comma not followed by key: stays in the value). */
function splitTraceFields(s: string, out: Record<string, string>): void {
  const n = s.length;
  let keyStart = 0;
  let valueStart = -1;
  let key = '';
  const keyAt = (i: number): number => {
    let j = i;
    while (j < n && j - i < 32 && isTraceKeyChar(s.charCodeAt(j))) j++;
    return j > i && s.charCodeAt(j) === 58 ? j : -1;
  };
  const first = keyAt(0);
  if (first < 0) {
    out.detail = s;
    return;
  }
  key = s.slice(0, first);
  valueStart = first + 1;
  for (let i = valueStart; i < n; i++) {
    if (s.charCodeAt(i) !== 44) continue;
    const k = keyAt(i + 1);
    if (k < 0) continue;
    setPair(out, key, s.slice(valueStart, i));
    keyStart = i + 1;
    key = s.slice(keyStart, k);
    valueStart = k + 1;
    i = k;
  }
  setPair(out, key, s.slice(valueStart));
}

/**
 * Parse the message part of an apiserver/klog line. `msg` is the text after the klog
 * header (or the whole line when it has none).
 */
export function parseMessage(msg: string): ParsedMessage {
  const c0 = msg.charCodeAt(0);
  if (c0 === 34 /* " */) {
    // Structured klog: "msg" k=v ...
    const q = readGoQuoted(msg, 0);
    if (q) {
      // The common case, all pairs, fills the fields object directly.
      let fields = parsePairs(msg, q.end, 'all', { msg: q.value });
      if (!fields) {
        const pairs = parsePairs(msg, q.end, 'tail');
        fields = { msg: q.value };
        if (pairs) for (const k in pairs) setPair(fields, k, pairs[k]!);
      }
      return { fields, request: requestFromFields(fields), kind: 'structured' };
    }
  }
  if (c0 === 84 /* T */) {
    const t = parseTrace(msg);
    if (t) return t;
  }
  if (msg.startsWith('HTTP ')) {
    // G5 with the quotes around HTTP stripped.
    const fields = parsePairs(msg, 5, 'all', { msg: 'HTTP' });
    if (fields) return { fields, request: requestFromFields(fields), kind: 'structured' };
  }
  if (c0 >= 65 && c0 <= 90) {
    const legacy = parseLegacyAccess(msg);
    if (legacy) return { fields: null, request: legacy, kind: 'access' };
  }
  // Unstructured text, possibly ending in key=value pairs ("... while handling: method=GET URI=..").
  if (msg.indexOf('=') > 0) {
    const pairs = parsePairs(msg, 0, 'tail');
    if (pairs) return { fields: pairs, request: requestFromFields(pairs), kind: 'text' };
  }
  return { fields: null, request: null, kind: 'text' };
}
