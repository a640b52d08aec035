// npm start --input: your own AKS diagnostic Event Hub bodies (files or folders, read as
// `sift send` reads them), published on the AKS hub after the demo, so they land in the local
// Azurite and show in the UI like the demo's.
import { DEFAULT_MAX_BODY_BYTES } from '../../functions/eventhub/batching.js';
import { stat } from 'node:fs/promises';
import { inputFiles, recordedBodies } from '../commands/bodyInput.js';
import { fittedBodies, type SplitStats } from '../commands/send.js';
import { fixedPosition, type FixedPosition } from './demo.js';

/** Published at `input-<hash>` (FixedPosition). */
export interface InputDataset extends FixedPosition {
  /** Each body as the binary trigger hands it over, none over the Event Hubs event limit. */
  bodies: Uint8Array[];
  stats: SplitStats;
}

/** The latest parseable `records[].time` of a body, or 0. */
function latestTime(body: Uint8Array): number {
  let latest = 0;
  try {
    const records = (JSON.parse(Buffer.from(body).toString('utf8')) as { records?: unknown }).records;
    if (Array.isArray(records)) for (const r of records) latest = Math.max(latest, Date.parse((r as { time?: string } | null)?.time ?? '') || 0);
  } catch {
    // Not JSON: the pipeline dead-letters it; it dates nothing.
  }
  return latest;
}

/**
 * The latest modification time of the input files (a folder's body files), or 0 (stdin only):
 * when no record is dated, the bodies were enqueued no earlier than that. Fixed while the
 * files are, so the same input again is still a redelivery.
 */
async function latestFileTime(paths: readonly string[]): Promise<number> {
  let latest = 0;
  for (const p of paths) {
    if (p === '-') continue;
    for (const f of await inputFiles(p)) latest = Math.max(latest, (await stat(f)).mtimeMs);
  }
  return Math.floor(latest);
}

export async function readInput(paths: readonly string[], warn: (m: string) => void): Promise<InputDataset> {
  const stats: SplitStats = { bodiesIn: 0, emptyFiles: 0, split: 0, oversizeItems: 0, unsplittable: 0 };
  const bodies: Uint8Array[] = [];
  let latest = 0;
  for await (const b of fittedBodies(recordedBodies(paths, () => void stats.emptyFiles++), DEFAULT_MAX_BODY_BYTES, stats, warn, true)) {
    bodies.push(b);
    latest = Math.max(latest, latestTime(b));
  }
  // No dated record: the files' time, not 1970 (a klog line's year comes from this clock, and
  // dead letters are filed under its day).
  if (latest === 0) latest = await latestFileTime(paths);
  return { bodies, ...fixedPosition('input', bodies, latest), stats };
}
