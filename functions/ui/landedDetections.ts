// Reads Detections rows back out of the Blob landing (functions/land/blobSink.ts: gzipped multijson)
// for the page. Newest files first, bounded in files and rows so a long-running local
// landing cannot make one page load read everything.
import { gunzipSync } from 'node:zlib';
import type { Config } from '../config.js';
import type { Detection } from '../contracts.js';

export const MAX_BLOBS = 200;
export const MAX_ROWS = 20_000;

export interface LandedDetections {
  rows: Detection[];
  blobsRead: number;
  /** Detections files in the landing: more than blobsRead when the bounds stopped the read. */
  blobsFound: number;
  /** The bounds stopped the read: older detections exist that `rows` leaves out. */
  truncated: boolean;
  /** Why nothing could be read, when that is not an error (no storage configured, no container yet). */
  note?: string;
}

/** True for a landed file of the Detections table (a path segment or file name starting with it). */
export function isDetectionsBlob(name: string): boolean {
  return /(^|\/)Detections([/_.-]|$)/.test(name) && !/\.ingest\.kql$|\.kql$|\.md$/.test(name);
}

/** Rows in a landed file: gzip or plain; JSON lines (multijson) or one JSON array. */
export function parseLandedFile(bytes: Buffer): Detection[] {
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8').replace(/^\uFEFF/, '');
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (trimmed.startsWith('[')) return (JSON.parse(trimmed) as unknown[]).filter(isRow);
  const rows: Detection[] = [];
  for (const line of trimmed.split('\n')) {
    if (!line.trim()) continue;
    const v: unknown = JSON.parse(line);
    if (isRow(v)) rows.push(v);
  }
  return rows;
}

function isRow(v: unknown): v is Detection {
  return typeof v === 'object' && v !== null && typeof (v as { RuleId?: unknown }).RuleId === 'string';
}

/** Same storage the blob sink lands into (its client factory: connection string or managed identity). */
async function containerFor(cfg: Config) {
  if (!cfg.KUBESIFT_STORAGE_CONNECTION && !cfg.KUBESIFT_STORAGE_ACCOUNT && !cfg.AzureWebJobsStorage) return null;
  const { blobServiceFor } = await import('../land/clients.js');
  return blobServiceFor(cfg).getContainerClient(cfg.KUBESIFT_LANDING_CONTAINER);
}

export async function readLandedDetections(cfg: Config): Promise<LandedDetections> {
  const container = await containerFor(cfg);
  const none = { rows: [], blobsRead: 0, blobsFound: 0, truncated: false };
  if (!container) return { ...none, note: 'No storage configured (KUBESIFT_STORAGE_CONNECTION or KUBESIFT_STORAGE_ACCOUNT).' };
  if (!(await container.exists())) return { ...none, note: `No detections landed yet (container ${cfg.KUBESIFT_LANDING_CONTAINER} does not exist).` };

  const found: { name: string; modified: number }[] = [];
  // The blob sink writes Detections/{yyyy}/{mm}/{dd}/{batch}.multijson.gz (+ a .kql beside it).
  for await (const b of container.listBlobsFlat({ prefix: 'Detections/' })) {
    if (isDetectionsBlob(b.name)) found.push({ name: b.name, modified: b.properties.lastModified?.getTime() ?? 0 });
  }
  found.sort((a, b) => b.modified - a.modified || b.name.localeCompare(a.name));

  const rows: Detection[] = [];
  const seen = new Set<string>(); // DetectionId is stable across redeliveries: show each once
  let blobsRead = 0;
  let rowsCut = false;
  for (const { name } of found.slice(0, MAX_BLOBS)) {
    if (rows.length >= MAX_ROWS) break;
    const bytes = await container.getBlobClient(name).downloadToBuffer();
    blobsRead++;
    const fileRows = parseLandedFile(bytes);
    for (let i = 0; i < fileRows.length; i++) {
      const r = fileRows[i]!;
      if (rows.length >= MAX_ROWS) {
        rowsCut = true;
        break;
      }
      if (r.DetectionId) {
        if (seen.has(r.DetectionId)) continue;
        seen.add(r.DetectionId);
      }
      rows.push(r);
    }
  }
  return { rows, blobsRead, blobsFound: found.length, truncated: rowsCut || blobsRead < found.length };
}
