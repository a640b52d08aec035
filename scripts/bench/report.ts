// The bench result as text (default) or as a markdown table for the README (--markdown).
import type { Check } from './targets.js';

type Res = Record<string, unknown>;

const num = (v: unknown): string => (typeof v === 'number' ? v.toLocaleString('en-US') : v === null || v === undefined ? '—' : String(v));
const verdict = (c: Check): string => (c.pass === null ? 'N/A' : c.pass ? 'PASS' : 'MISS');
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

function header(res: Res, quick: boolean): string {
  const m = res.machine as Res;
  return `KubeSift bench${quick ? ' (quick)' : ''}${m.commit ? ` at ${m.commit}` : ''} — ${m.nproc} × ${m.cpu}, ${m.memory_gb} GB, node ${m.node}, load ${m.load_start} → ${m.load_end}${m.node_options ? `, NODE_OPTIONS=${m.node_options}` : ''}`;
}

function inputLine(res: Res): string | null {
  const i = res.input as Res | undefined;
  if (!i) return null;
  return `input: ${num(i.records)} records in ${num(i.bodies)} bodies (${i.records_per_body}/body, ${i.mb} MB), audit ${pct(i.audit_share as number)}, attack ${pct(i.attack_share as number)}, ${i.batch_bodies} bodies/batch, seed ${i.seed}; pipeline process on built JS with ${res.node_flags ? `node ${String(res.node_flags)}` : 'Node defaults'}${res.throughput_rss_mb ? ` (peak RSS ${num(res.throughput_rss_mb)} MB)` : ''}`;
}

const stages = (res: Res): string =>
  Object.entries(res.stage_share as Record<string, number>).map(([k, v]) => `${k} ${pct(v)}`).join(' · ');

const generators = (res: Res): string =>
  Object.entries(res.generator_lps as Record<string, number>)
    .map(([t, v]) => `${t} ${num(v)} (${num((res.generator_rss_mb as Record<string, number>)[t])} MB)`)
    .join(' · ');

/** How the ratio was formed: the median of per-run ratios, which need not equal floor_rps / pipeline_rps. */
const ratioNote = (res: Res): string =>
  res.ratio_runs ? ` (median of ${(res.ratio_runs as number[]).length} paired runs: ${(res.ratio_runs as number[]).join(', ')}; ${String(res.ratio_of_medians)} from the medians above)` : '';

export function textReport(res: Res, checks: readonly Check[], quick: boolean): string {
  const out: string[] = [header(res, quick)];
  const input = inputLine(res);
  if (input) {
    out.push(input);
    const w = res.wall as Record<string, number>;
    out.push(`floor ${num(res.floor_rps)} rec/cpu-s · pipeline ${num(res.pipeline_rps)} rec/cpu-s (audit ${num(res.pipeline_audit_rps)}) · medians of ${res.runs} runs (wall: ${num(w.floor_rps)} · ${num(w.pipeline_rps)})`);
    out.push(`ratio ${res.ratio}${ratioNote(res)} · wall ratio ${w.ratio}`);
    out.push(`stages: ${stages(res)} (gzip would add ${pct(res.gzip_extra_share as number)}) · detect over envelope+normalize ${res.detect_overhead}`);
    if (res.worker_main_rps !== undefined)
      out.push(`worker (AKS handler + lander, ${res.worker_partitions} partitions at once): ${num(res.worker_main_rps)} rec/main-thread-cpu-s · ${num(res.worker_rps)} rec/wall-s (no storage)`);
  }
  if (res.generator_lps) out.push(`generator lines/cpu-s (peak RSS of the ${num(res.rss_lines)}-line run): ${generators(res)}`);
  if (res.import_triggers_ms) out.push(`imports (ms, fresh process): entry ${res.import_ms} · ${Object.entries(res.import_triggers_ms as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(' · ')}`);
  out.push('');
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) out.push(`${verdict(c).padEnd(4)}  ${c.name.padEnd(width)}  ${num(c.value).padStart(12)}  target ${c.target}`);
  for (const [k, v] of Object.entries(res.errors as Record<string, string>)) out.push(`ERROR ${k}: ${v}`);
  return out.join('\n');
}

/** A results table to paste into README.md. */
export function markdownReport(res: Res, checks: readonly Check[], quick: boolean): string {
  const out: string[] = [`_${header(res, quick)}; medians of ${res.runs} runs; throughput per CPU-second._`, ''];
  const input = inputLine(res);
  if (input) out.push(`_${input}_`, '');
  out.push('| Figure | Value | Target | |', '|---|---:|---|---|');
  const row = (figure: string, value: string, target = '', result = ''): void => void out.push(`| ${figure} | ${value} | ${target} | ${result} |`);
  const byName = new Map(checks.map((c) => [c.name, c]));
  const checked = (name: string, figure: string, unit = ''): void => {
    const c = byName.get(name);
    if (c) row(figure, `${num(c.value)}${c.value === null ? '' : unit}`, c.target, verdict(c));
  };
  if (input) {
    row('Floor: JSON.parse of bodies and audit logs', `${num(res.floor_rps)} rec/s`);
    const w = res.wall as Record<string, number>;
    row('Pipeline: envelope → normalize → detect → serialize', `${num(res.pipeline_rps)} rec/s (wall clock ${num(w.pipeline_rps)}, ratio ${w.ratio})`);
    checked('pipeline audit records/s (one core)', 'Pipeline, audit records', ' rec/s');
    checked('pipeline/floor ratio', 'Pipeline / floor', ratioNote(res));
    row('Stage shares', stages(res));
    checked('detection over envelope+normalize', 'Detection over envelope + normalize');
    if (res.worker_main_rps !== undefined) row(`Worker: AKS handler + lander with gzip, ${res.worker_partitions} partitions at once, no storage`, `${num(res.worker_main_rps)} rec/s of main-thread CPU (wall clock ${num(res.worker_rps)})`);
  }
  const rss = (res.generator_rss_mb ?? {}) as Record<string, number>;
  for (const c of checks) {
    if (!c.name.startsWith('generate ')) continue;
    const type = c.name.slice(9, -8);
    row(`Generator ${type}`, `${num(c.value)} lines/s${rss[type] === undefined ? '' : ` · ${rss[type]} MB peak`}`, c.target, verdict(c));
  }
  checked('peak RSS, 1M lines (MB, worst type)', 'Peak RSS, 1,000,000 lines (worst type)', ' MB');
  checked('app entry import (ms)', 'Import of the app entry (cold-start proxy)', ' ms');
  if (res.import_triggers_ms) row('Import per trigger', Object.entries(res.import_triggers_ms as Record<string, number>).map(([k, v]) => `${k} ${v} ms`).join(' · '));
  checked('heavy modules at app start', 'Heavy modules on the Event Hub path');
  for (const [k, v] of Object.entries(res.errors as Record<string, string>)) row(`Error (${k})`, v);
  return out.join('\n');
}
