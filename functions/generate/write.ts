// Streams a dataset into any Writable (file, stdout, gzip → blob) in ~64 KiB chunks,
// honouring backpressure, hashing the uncompressed bytes as they pass and collecting the
// ground-truth labels. Nothing holds more than one chunk of the dataset.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { ByteWriter } from './bytes.js';
import { EventStream } from './engine.js';
import type { ResolvedRequest } from './request.js';
import { TimeFormat } from './time.js';
import type { LogTypeDef, ScenarioInfo } from './types.js';

const CHUNK_BYTES = 64 * 1024;

/** Ground truth of one injected scenario. */
export interface Label {
  scenario: string;
  technique: string;
  tactic: string;
  description: string;
  /** 1-based record ids (raw: line number; csv: data row number; eventhub: record number across bodies). */
  recordIds: number[];
  /** AKS: audit IDs of the labelled audit events. */
  auditIds?: string[];
  firstTime: string;
  lastTime: string;
}

export interface DatasetSummary {
  /** Events generated (= request count). */
  events: number;
  /** Records = output lines / table rows (auditd events have several). */
  records: number;
  /** Uncompressed bytes written. */
  bytes: number;
  /** sha256 (hex) of the uncompressed content. */
  sha256: string;
  contentType: string;
  extension: string;
  labels: Label[];
}

export interface LabelsFile {
  logType: string;
  seed: number;
  count: number;
  format: string;
  records: number;
  recordIdBase: 1;
  recordIdNote: string;
  /** Every record not listed in a label is benign. */
  labels: Label[];
}

export function labelsFile(req: ResolvedRequest, s: DatasetSummary): LabelsFile {
  return {
    logType: req.logType,
    seed: req.seed,
    count: req.count,
    format: req.format,
    records: s.records,
    recordIdBase: 1,
    recordIdNote:
      req.format === 'csv'
        ? 'record id N is CSV data row N (file line N+1, after the header) and the RecordId column'
        : req.format === 'eventhub'
          ? 'record id N is the N-th record across bodies (body = floor((N-1)/recordsPerBody), index = (N-1) % recordsPerBody)'
          : 'record id N is line N of the file (and the RecordId column of csv/jsonl)',
    labels: s.labels,
  };
}

/** Write the dataset described by `req` to `sink` (not ended here; the caller owns it). */
export async function writeEvents<E>(def: LogTypeDef<E>, req: ResolvedRequest, sink: Writable): Promise<DatasetSummary> {
  const tf = new TimeFormat();
  const enc = def.encoder(req.format, req, tf);
  const hash = createHash('sha256');
  const labels = new Map<ScenarioInfo, Label>();
  let bytes = 0;
  let drain = false;
  const w = new ByteWriter(CHUNK_BYTES, (chunk) => {
    hash.update(chunk);
    bytes += chunk.length;
    if (!sink.write(chunk)) drain = true;
  });
  w.str(enc.head());
  let nextId = 1;
  let n = 0;

  const stream = new EventStream(def, req);
  for (let event = stream.next(); event !== undefined; event = stream.next()) {
    const scenario = stream.scenario;
    const recs = def.records(event);
    if (enc.write) enc.write(event, nextId, w);
    else w.str(enc.event(event, nextId));
    if (scenario) {
      let l = labels.get(scenario);
      const time = tf.iso((event as { t: number }).t, 6);
      if (!l) {
        l = { scenario: scenario.name, technique: scenario.technique, tactic: scenario.tactic, description: scenario.description, recordIds: [], firstTime: time, lastTime: time };
        labels.set(scenario, l);
      }
      for (let k = 0; k < recs; k++) l.recordIds.push(nextId + k);
      l.lastTime = time;
      const auditId = def.labelKeys?.(event).auditId;
      // The stages of one request share an auditID: list it once.
      if (auditId && !l.auditIds?.includes(auditId)) (l.auditIds ??= []).push(auditId);
    }
    nextId += recs;
    n++;
    if (drain) {
      drain = false;
      await once(sink, 'drain');
    }
  }
  w.str(enc.tail());
  // The last chunk goes out with a callback: the dataset is written once the sink has taken
  // it (and with it every chunk before).
  const last = w.take();
  if (last) {
    hash.update(last);
    bytes += last.length;
    await new Promise<void>((resolve, reject) => sink.write(last, (err) => (err ? reject(err) : resolve())));
  } else if (drain) await once(sink, 'drain');
  return {
    events: n,
    records: nextId - 1,
    bytes,
    sha256: hash.digest('hex'),
    contentType: enc.contentType,
    extension: enc.extension,
    labels: [...labels.values()],
  };
}
