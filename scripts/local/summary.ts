// The text a user sees after the demo batch: counts, then one line per detection.
import type { Detection } from '../../functions/contracts.js';
import { PRIORITIES } from '../../functions/webhooks/runtimeAlert.js';
import type { Totals } from './recorder.js';

export interface ScenarioCheck {
  scenario: string;
  technique: string;
  caught: boolean;
}

const rank = (p: string): number => {
  const i = (PRIORITIES as readonly string[]).indexOf(p.toUpperCase());
  return i < 0 ? PRIORITIES.length : i;
};

function table(headers: string[], rows: string[][], max: number[]): string[] {
  const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const cells = rows.map((r) => r.map((c, i) => cut(c, max[i]!)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
}

export function objectOf(d: Detection): string {
  const parts = [d.Resource, d.Name].filter(Boolean);
  return parts.join('/') || '-';
}

/** `batches`: trigger batches delivered (the hub bus's count); without it the landings are counted. */
export function formatSummary(t: Totals, opts: { title: string; elapsedMs: number; batches?: number; failedBatches?: number; scenarios?: ScenarioCheck[]; maxDetections?: number }): string {
  const out: string[] = [];
  const tables = Object.entries(t.rows).filter(([k]) => k !== 'Detections');
  out.push(`${opts.title} (${(opts.elapsedMs / 1000).toFixed(1)} s)`);
  const chunked = opts.batches !== undefined && t.landings > opts.batches ? `, landed in ${t.landings} chunks` : '';
  out.push(`  records in:      ${t.records} in ${opts.batches === undefined ? `${t.landings} landing(s)` : `${opts.batches} batch(es)${chunked}`}`);
  // The figures below count only what landed: a batch whose landing threw is in none of them,
  // though some of its tables may have landed. Under the host a retry would land it or set it
  // aside as dead letters; the local bus delivers once.
  if (opts.failedBatches)
    out.push(`  FAILED:          ${opts.failedBatches} batch(es) threw (the error is in the log above) and are not counted below; the local bus does not retry or dead-letter them: fix the cause and start again (what landed is skipped)`);
  const repeats = t.repeats ? ` (${t.repeats} repeated audit record(s) dropped: the same event twice in a batch)` : '';
  out.push(`  rows:            ${tables.map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}, Detections ${t.detections.length}${repeats}`);
  const landed = Object.entries(t.landed).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  out.push(`  landed:          ${landed || 'nothing new'}${t.duplicatesSkipped ? ` (${t.duplicatesSkipped} already landed by an earlier run: skipped)` : ''}`);
  const reasons = Object.entries(t.deadLetterReasons).map(([r, n]) => `${r} ${n}`).join(', ');
  out.push(`  dead letters:    ${t.deadLetters}${reasons ? ` (${reasons})` : ''}`);
  if (opts.scenarios?.length) {
    const caught = opts.scenarios.filter((s) => s.caught).length;
    out.push(`  scenarios:       ${caught}/${opts.scenarios.length} injected attack scenarios raised a detection`);
    const missed = opts.scenarios.filter((s) => !s.caught);
    if (missed.length) out.push(`                   not caught: ${missed.map((s) => s.scenario).join(', ')}`);
  }
  const sorted = [...t.detections].sort((a, b) => rank(a.Priority) - rank(b.Priority) || String(a.TimeGenerated).localeCompare(String(b.TimeGenerated)));
  const max = opts.maxDetections ?? 40;
  if (sorted.length) {
    out.push('', `Detections (${sorted.length}${sorted.length > max ? `, first ${max} by priority` : ''}):`);
    out.push(
      ...table(
        ['PRIORITY', 'RULE', 'USER', 'NAMESPACE', 'OBJECT'],
        sorted.slice(0, max).map((d) => [d.Priority, d.Rule, d.User || '-', d.Namespace || '-', objectOf(d)]),
        [13, 48, 40, 20, 48],
      ).map((l) => `  ${l}`),
    );
  }
  return out.join('\n');
}
