// Any klog category (kube-apiserver, kube-controller-manager, kube-scheduler,
// cluster-autoscaler, cloud-controller-manager, guard, csi-*, ...) → one AksControlPlane row.
import type { AksControlPlaneRow, RawRecord } from '../contracts.js';
import { jsonTextTooDeep } from '../envelope/json.js';
import { mapKey } from '../mapKey.js';
import { parseMessage } from './apiserver.js';
import { positionKey } from './audit.js';
import { klogTime, LEVELS, parseKlogHeader } from './klog.js';
import { canonicalTime } from './time.js';

/**
 * Per-batch memory of the last headed line per pod+category, so lines without a klog
 * header (utiltrace steps, goroutine stacks, `key=<` multi-line values) inherit its
 * severity. Create one per batch; it never outlives it. Self-describing JSON lines
 * (jsonLevel) neither read nor change it.
 */
export class ContinuationContext {
  /** pod → category → severity: no key string built per line. */
  private readonly last = new Map<string, Map<string, string>>();
  severityFor(rec: RawRecord): string | undefined {
    return this.last.get(mapKey(rec.pod))?.get(mapKey(rec.category));
  }
  remember(rec: RawRecord, severity: string): void {
    const pod = mapKey(rec.pod);
    let byCategory = this.last.get(pod);
    if (!byCategory) this.last.set(pod, (byCategory = new Map()));
    byCategory.set(mapKey(rec.category), severity);
  }
}

/** Strip one trailing "\n" (and "\r"), which AKS keeps from the container stream. */
export function chompLine(s: string): string {
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) === 10) end--;
  if (end > 0 && s.charCodeAt(end - 1) === 13) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * zap levels (the etcd client inside kube-apiserver logs zap JSON to the same stderr) →
 * Level. Neither klog nor Level has a debug level: debug is INFO, as klog's V(n) lines are.
 * dpanic only panics in development builds, so it is an error; panic ends the process.
 */
const ZAP_LEVELS: ReadonlyMap<string, string> = new Map([
  ['debug', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARNING'],
  ['warning', 'WARNING'], // logrus, and Level's own word
  ['error', 'ERROR'],
  ['dpanic', 'ERROR'],
  ['panic', 'FATAL'],
  ['fatal', 'FATAL'],
]);

/**
 * Level of a headerless line that is a JSON object with a string `level` (zap), or undefined
 * when it is not one. Such a line is its own record, not a continuation of the previous klog
 * entry. An unknown level is INFO. Only lines starting with `{` are parsed.
 */
export function jsonLevel(message: string): string | undefined {
  // Deep nesting would make JSON.parse allocate its way through a hostile 1 MB line; a
  // zap line is flat, and the guard costs nothing below 2000 characters.
  if (message.charCodeAt(0) !== 123 /* { */ || jsonTextTooDeep(message)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const level = (v as { level?: unknown }).level;
  if (typeof level !== 'string') return undefined;
  // zap's capital encoders write INFO, ERROR, ...
  return ZAP_LEVELS.get(level.toLowerCase()) ?? 'INFO';
}

/**
 * One klog line → one AksControlPlane row. Never throws on any string input. `clock` (the
 * batch clock) dates headers when the record has no usable time.
 */
export function klogLineToRow(rec: RawRecord, line: string, ctx?: ContinuationContext, clock: Date = new Date()): AksControlPlaneRow {
  const message = chompLine(line);
  const recordTime = canonicalTime(rec.time);
  const header = parseKlogHeader(message);
  const text = header ? message.slice(header.msgStart) : message;
  const parsed = parseMessage(text);
  let severity = '';
  let level = 'INFO';
  if (header) {
    severity = header.severity;
    level = LEVELS[header.severity];
    ctx?.remember(rec, severity);
  } else {
    // A JSON line states its own level; any other headerless line continues the last headed one.
    const own = jsonLevel(message);
    if (own !== undefined) level = own;
    else {
      const inherited = ctx?.severityFor(rec);
      if (inherited) level = LEVELS[inherited as keyof typeof LEVELS] ?? 'INFO';
    }
  }
  const req = parsed.request;
  return {
    TimeGenerated: header ? klogTime(header, recordTime, clock) : recordTime,
    Category: rec.category,
    Level: level,
    Message: message,
    PodName: rec.pod,
    Stream: rec.stream,
    ResourceId: rec.resourceId,
    Cluster: rec.cluster,
    Severity: severity,
    Thread: header ? header.thread : null,
    SourceFile: header ? header.file : '',
    SourceLine: header ? header.line : null,
    LogMessage: text,
    Verb: req ? req.Verb : '',
    RequestUri: req ? req.RequestUri : '',
    LatencyMs: req ? req.LatencyMs : null,
    UserAgent: req ? req.UserAgent : '',
    AuditId: req ? req.AuditId : '',
    SourceIp: req ? req.SourceIp : '',
    ResponseCode: req ? req.ResponseCode : null,
    Fields: parsed.fields,
    Position: positionKey(rec),
  };
}
