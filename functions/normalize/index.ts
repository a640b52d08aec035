// RawRecord → rows (AksAudit / AksControlPlane) or dead letters. Pure: no I/O, no clock
// except the fallback year handed in.
import type { AksAuditRow, AksControlPlaneRow, DeadLetter, RawRecord } from '../contracts.js';
import { jsonTextTooDeep, oneLineJson, safeStringify, stringifyOrNull, valueTooDeep } from '../envelope/json.js';
import { auditEventProblem, auditEventToRow } from './audit.js';
import { ContinuationContext, klogLineToRow } from './controlPlane.js';
import { salvageAuditJson } from './salvage.js';

export { auditEventToRow } from './audit.js';
export { klogLineToRow, ContinuationContext } from './controlPlane.js';

/** A RawRecord that may carry the parsed item it came from (for lossless dead letters). */
export interface SourcedRecord extends RawRecord {
  /**
   * The record / event as it arrived: the parsed item, re-serialized only if it must be
   * dead-lettered, or (a webhook event) its own JSON text.
   */
  original?: unknown;
}

export interface NormalizeSink {
  AksAudit: AksAuditRow[];
  AksControlPlane: AksControlPlaneRow[];
  deadLetters: DeadLetter[];
}

export interface NormalizeOptions {
  /** The batch clock: it dates klog headers when the record has no time. */
  clock: Date;
}

/** Categories whose properties.log is an audit.k8s.io Event (kube-audit, kube-audit-admin). */
export function isAuditCategory(category: string): boolean {
  return category.startsWith('kube-audit');
}

/**
 * The record as replayable text: the original item when we have it, else rebuilt from the
 * RawRecord — also when the original cannot be written back (an extra field nested deeper
 * than JSON.stringify's stack), so the log itself is never lost with it.
 */
export function rawOf(rec: SourcedRecord): string {
  if (rec.original !== undefined) {
    const text = typeof rec.original === 'string' ? rec.original : stringifyOrNull(rec.original);
    if (text !== null) return text;
  }
  if (rec.source === 'audit-event') return safeStringify(rec.log);
  return safeStringify({
    category: rec.category,
    time: rec.time,
    resourceId: rec.resourceId,
    properties: { log: rec.log, pod: rec.pod, stream: rec.stream },
  });
}

export function recordDeadLetter(rec: SourcedRecord, reason: string, detail: string): DeadLetter {
  return { reason, detail, position: rec.position, raw: rawOf(rec), category: rec.category };
}

/** Normalize a whole batch of records into `out` (rows in input order). */
export function normalizeRecords(records: readonly SourcedRecord[], out: NormalizeSink, opts: NormalizeOptions): void {
  const ctx = new ContinuationContext();
  for (let i = 0; i < records.length; i++) normalizeRecord(records[i]!, out, ctx, opts);
}

/** One record → one row and/or dead letters. Never throws. */
export function normalizeRecord(rec: SourcedRecord, out: NormalizeSink, ctx: ContinuationContext, opts: NormalizeOptions): void {
  if (rec.source === 'audit-event') {
    const ev = rec.log;
    if (ev === null || typeof ev !== 'object' || Array.isArray(ev)) {
      out.deadLetters.push(recordDeadLetter(rec, 'invalid-audit-event', 'audit event is not a JSON object'));
      return;
    }
    // A webhook event's own text, when the envelope had it, is what lands (see auditObject).
    auditObject(rec, ev, out, typeof rec.original === 'string' ? rec.original : undefined);
    return;
  }
  if (typeof rec.log !== 'string') {
    out.deadLetters.push(recordDeadLetter(rec, 'invalid-record', 'properties.log is not a string'));
    return;
  }
  if (isAuditCategory(rec.category)) auditText(rec, rec.log, out);
  else out.AksControlPlane.push(klogLineToRow(rec, rec.log, ctx, opts.clock));
}

/** `text`: the Event's JSON when it came as text (landed as it is when it can be). */
function auditObject(rec: SourcedRecord, ev: Record<string, unknown>, out: NormalizeSink, text?: string): void {
  const problem = auditEventProblem(ev);
  if (problem) {
    out.deadLetters.push(recordDeadLetter(rec, problem.reason, `audit event ${problem.field}: ${problem.message}`));
    return;
  }
  out.AksAudit.push(auditEventToRow(ev, rec, text === undefined ? undefined : oneLineJson(text)));
}

function auditText(rec: SourcedRecord, text: string, out: NormalizeSink): void {
  let ev: unknown;
  try {
    ev = JSON.parse(text);
  } catch (err) {
    salvage(rec, text, err, out);
    return;
  }
  if (ev === null || typeof ev !== 'object' || Array.isArray(ev)) {
    out.deadLetters.push(recordDeadLetter(rec, 'invalid-audit-event', `properties.log is JSON ${ev === null ? 'null' : Array.isArray(ev) ? 'array' : typeof ev}, expected an audit Event object`));
    return;
  }
  if (jsonTextTooDeep(text)) {
    out.deadLetters.push(recordDeadLetter(rec, 'too-deep', 'audit event nests deeper than the allowed depth'));
    return;
  }
  auditObject(rec, ev as Record<string, unknown>, out, text);
}

function salvage(rec: SourcedRecord, text: string, err: unknown, out: NormalizeSink): void {
  const { event, cut } = salvageAuditJson(text);
  const reason = cut ? 'truncated-audit' : 'invalid-audit-json';
  const detail = `${err instanceof Error ? err.message : String(err)} (log length ${text.length})`;
  if (typeof event.auditID === 'string' && event.auditID !== '' && !valueTooDeep(event)) {
    const row = auditEventToRow(event, rec);
    row.Truncated = true;
    out.AksAudit.push(row);
  }
  out.deadLetters.push(recordDeadLetter(rec, reason, detail));
}
