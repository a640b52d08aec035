// The npm start output quoted in the README and docs/local.md is the demo's real output: its
// detections, rows and batch key. The demo is the default one (3000 records, seed 42), run
// through the pipeline in-process under the policy npm start gives it (policies/demo.json); a
// generator change that alters it fails here until the quoted samples are redone.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../functions/detect/index.js';
import { processEvents } from '../functions/pipeline.js';
import { generateDemo } from '../scripts/local/demo.js';
import { objectOf } from '../scripts/local/summary.js';

const read = (p: string): string => readFileSync(new URL(`../${p}`, import.meta.url), 'utf8');

/** The detection rows of a quoted summary: PRIORITY, RULE, USER, NAMESPACE, OBJECT. */
function quotedDetections(text: string): string[][] {
  const rows: string[][] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (/^\s+PRIORITY\s+RULE\s+USER/.test(line)) inTable = true;
    else if (inTable && /^\s+[A-Z]+\s{2,}\S/.test(line)) rows.push(line.trim().split(/\s{2,}/));
    else if (inTable && !/^\s+-+/.test(line)) inTable = false;
  }
  return rows;
}

describe('the quoted npm start demo output', async () => {
  const demo = await generateDemo(3000, 42);
  const events = demo.bodies.map((text, i) => ({ body: JSON.parse(text) as unknown, position: { source: 'demo', partitionId: demo.partitionId, sequenceNumber: i, offset: String(i) } }));
  const policy = loadPolicy(JSON.parse(read('policies/demo.json')));
  const result = processEvents(events, { policy, now: new Date(demo.enqueuedTime) });
  const actual = result.detections.map((d) => [d.Priority, d.Rule, d.User || '-', d.Namespace || '-', objectOf(d)].join(' | '));

  it.each(['README.md', 'docs/local.md'])('%s: every quoted detection row is one the demo raises, and the row counts are its own', (file) => {
    const text = read(file);
    const quoted = quotedDetections(text);
    expect(quoted.length).toBeGreaterThanOrEqual(5);
    for (const row of quoted) expect(actual, row.join(' | ')).toContain(row.join(' | '));
    const rows = result.summary.rows as Record<string, number>;
    expect(text).toContain(`AksAudit ${rows.AksAudit}, AksControlPlane ${rows.AksControlPlane}, Detections ${result.detections.length}`);
  });

  it('docs/local.md quotes the demo\'s own partition in its batch key', () => {
    const keys = [...read('docs/local.md').matchAll(/aks-diagnostics-(demo-[0-9a-f]{12})-/g)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys)).toEqual(new Set([demo.partitionId]));
  });
});
