// npm start --input: your own AKS diagnostic Event Hub bodies (files or folders, read as
// `sift send` reads them), published on the AKS hub after the demo, so they land in the local
// Azurite and show in the UI like the demo's.
import { createHash } from 'node:crypto';
import { DEFAULT_MAX_BODY_BYTES } from '../../functions/eventhub/batching.js';
import { fittedBodies, recordedBodies, type SplitStats } from '../commands/send.js';

export interface InputDataset {
  /** Each body as the binary trigger hands it over, none over the Event Hubs event limit. */
  bodies: Uint8Array[];
  /** `input-` and a hash of the bodies: other input is other positions (batch keys), the same input a redelivery. */
  partitionId: string;
  /** The latest record `time` in the bodies (else 1970-01-01), fixed for the same reason. */
  enqueuedTime: string;
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

export async function readInput(paths: readonly string[], warn: (m: string) => void): Promise<InputDataset> {
  const stats: SplitStats = { bodiesIn: 0, emptyFiles: 0, split: 0, oversizeItems: 0, unsplittable: 0 };
  const bodies: Uint8Array[] = [];
  const hash = createHash('sha256');
  let latest = 0;
  for await (const b of fittedBodies(recordedBodies(paths, () => void stats.emptyFiles++), DEFAULT_MAX_BODY_BYTES, stats, warn)) {
    bodies.push(b);
    hash.update(b).update('\n');
    latest = Math.max(latest, latestTime(b));
  }
  return { bodies, partitionId: `input-${hash.digest('hex').slice(0, 12)}`, enqueuedTime: new Date(latest).toISOString(), stats };
}
