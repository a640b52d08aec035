// Shared contracts between pipeline stages. Stages import these types; nobody copies them.
import type { AksAuditRow, AksControlPlaneRow, Detection } from './kusto/pipelineTables.js';

export type { AksAuditRow, AksControlPlaneRow, Detection };

/**
 * AksAudit rows carry the audit Event they were made from under this key: its JSON text
 * when those bytes can be landed as they are (one line, well-formed UTF-16), else the parsed
 * object. Landing writes it under `Event` and the ADX mapping reads the copied columns from
 * it (land/ndjson.ts). A symbol: JSON.stringify(row) leaves it out.
 */
export const AUDIT_EVENT: unique symbol = Symbol('kubesift.auditEvent');

/**
 * The annotation kube-apiserver's truncating audit backend (--audit-webhook-truncate-enabled)
 * puts on an event it sent without its request and response objects; such a row is Truncated.
 */
export const TRUNCATED_ANNOTATION = 'audit.k8s.io/truncated';

/**
 * Row arrays already free of duplicate keys (processEvents' AksAudit, deduped on auditID+stage):
 * landing's own dedupe (land/payload.ts) skips them instead of hashing every auditID again.
 */
export const DEDUPED_ROWS = new WeakSet<readonly unknown[]>();

/** Where a record came from: the Event Hub event plus its index inside the body. */
export interface Position {
  /** Event Hub name (or 'file', 'webhook', 'capture' outside Event Hubs). */
  source: string;
  partitionId: string;
  sequenceNumber: number;
  offset: string;
  /**
   * When the hub accepted the event (ISO-8601, millisecond precision), when known. A
   * redelivery repeats it; a hub deleted and created again, or another namespace's hub of
   * the same name, repeats positions but not times, so it keeps their batch keys apart.
   */
  enqueuedTime?: string;
  /** Index of the record inside the event body (records[] / EventList.items[] / array). */
  index: number;
}

/** One item out of an Event Hub body, before normalization. */
export interface RawRecord {
  /** Diagnostic category (kube-audit, kube-apiserver, ...); 'k8s-audit-webhook' for raw Events. */
  category: string;
  /** Record time as sent (ISO-8601), '' when absent. */
  time: string;
  /** Azure resource id as sent ('' for webhook events). */
  resourceId: string;
  /** Cluster name, lower-cased, from resourceId (or configured for webhooks). */
  cluster: string;
  pod: string;
  stream: string;
  /**
   * properties.log for diagnostic records (JSON text for audit categories, a klog line otherwise);
   * for raw audit Events already parsed, the Event object itself.
   */
  log: string | Record<string, unknown>;
  /** Shape the record arrived in. */
  source: 'diagnostic' | 'audit-event';
  position: Position;
}

/** A record (or body) that could not become a row, kept whole with the reason. */
export interface DeadLetter {
  /** Machine-friendly reason code, e.g. 'invalid-json', 'truncated-audit', 'unknown-shape'. */
  reason: string;
  /** Human-readable detail (never contains secrets). */
  detail: string;
  position: Position;
  /** The original bytes as UTF-8 text (lossless for valid UTF-8; invalid sequences are base64 in `rawBase64`). */
  raw: string;
  rawBase64?: string;
  category?: string;
  /**
   * The cluster of a webhook event or alert: the hub message named it, the record does not,
   * and replay needs it to land the record where it came from.
   */
  cluster?: string;
  /** The webhook message's cluster was bound to its sender's secret (replay keeps the alert's cluster pinned). */
  clusterPinned?: true;
}

export interface NormalizedRows {
  AksAudit: AksAuditRow[];
  AksControlPlane: AksControlPlaneRow[];
}

export type PipelineTable = 'AksAudit' | 'AksControlPlane' | 'Detections';

export interface BatchSummary {
  records: number;
  rows: Partial<Record<PipelineTable, number>>;
  detections: number;
  deadLetters: number;
  /**
   * Audit records dropped as repeats of an event already in the batch (AKS sends some events
   * under both kube-audit and kube-audit-admin; a redelivery repeats them). With the rows and
   * the dead letters it says where every record went.
   */
  duplicates: number;
}

/** The summary of a batch that held nothing. */
export const emptySummary = (): BatchSummary => ({ records: 0, rows: {}, detections: 0, deadLetters: 0, duplicates: 0 });

/** Adds per-key counts of `add` into `into`. */
export function addCounts(into: Partial<Record<string, number>>, add: Partial<Record<string, number>>): void {
  for (const [k, n] of Object.entries(add)) into[k] = (into[k] ?? 0) + (n ?? 0);
}

/** What the pure part of the pipeline produces for one batch; `land` takes it from here. */
export interface BatchResult {
  rows: NormalizedRows;
  detections: Detection[];
  deadLetters: DeadLetter[];
  summary: BatchSummary;
}

/** One Event Hub event (or file body / webhook body) entering the pipeline. */
export interface EventInput {
  /** Body as delivered: Buffer/string (JSON text, maybe with BOM) or an already-parsed value. */
  body: unknown;
  position: Omit<Position, 'index'>;
  /**
   * Index of the body's first item (default 0). A replayed record-level dead letter is a body
   * of one record: this keeps the index it had in its original body, so its rows keep their
   * Position (two records of one body must not both become index 0).
   */
  firstIndex?: number;
  /**
   * The producer found the body's JSON text nests no deeper than MAX_JSON_DEPTH (the webhook
   * hub scans each message once): the envelope then does not check a parsed body's events again.
   */
  shallow?: boolean;
  /**
   * For an array body: each element's JSON text as its sender wrote it (the webhook hub
   * keeps them). Events land as these bytes and dead letters keep them, where a re-serialized
   * parse would round integers past 2^53 and reorder integer-like keys.
   */
  itemTexts?: readonly string[];
  /**
   * When the producer received the body (the webhook route's receive time): the record time
   * of its audit events, so an event without a readable time of its own is still dated (its
   * stageTimestamp, else requestReceivedTimestamp, still come first).
   */
  receivedTime?: string;
}

/** What a sink reports after landing a batch. */
export interface LandReport {
  /** Rows landed per table (after dedupe). */
  rows: Partial<Record<string, number>>;
  deadLetters: number;
  /** Rows not landed again because this batch key was already ingested. */
  duplicatesSkipped: number;
}

/** How one land() call writes its batch's dead letters. */
export interface LandOptions {
  /**
   * The day folder they go under (deadLetters.ts). Replay passes the day of the folder its
   * letters came from, so a group replayed on a later day finds its own earlier letters
   * instead of writing them a second time under that day.
   */
  deadLetterDay?: Date;
}

/** A sink: lands one batch idempotently under `batchKey` (derived from positions and enqueued times). */
export interface Lander {
  readonly kind: string;
  land(result: BatchResult, batchKey: string, opts?: LandOptions): Promise<LandReport>;
}
