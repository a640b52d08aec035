// A generated dataset as rows (its jsonl format: the columns ADX gets) and the record ids its
// labels list, for tests that check queries and scenarios against the generator's data.
import { Writable } from 'node:stream';
import { DatasetRequest, resolveRequest, writeDataset, type DatasetRequestInput } from '../../functions/generate/index.js';

export async function datasetRows(input: Omit<DatasetRequestInput, 'format'>): Promise<{ rows: Record<string, unknown>[]; labelled: Set<number> }> {
  let out = '';
  const sink = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
  const s = await writeDataset(resolveRequest(DatasetRequest.parse({ ...input, format: 'jsonl' })), sink);
  return { rows: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), labelled: new Set(s.labels.flatMap((l) => l.recordIds)) };
}
