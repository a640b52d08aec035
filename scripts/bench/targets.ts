// The targets for this 2-core machine, checked against a result.

export interface Check {
  name: string;
  value: number | string | null;
  target: string;
  /** null when the figure could not be measured (e.g. a generator not written yet). */
  pass: boolean | null;
}

export interface Figures {
  ratio: number | null;
  pipeline_audit_rps: number | null;
  detect_overhead: number | null;
  generator_lps: Record<string, number>;
  generator_missing: string[];
  rss_1m_mb: number | null;
  import_ms: number | null;
  import_offenders: { module: string }[] | null;
}

const le = (v: number | null, max: number): boolean | null => (v === null ? null : v <= max);
const ge = (v: number | null, min: number): boolean | null => (v === null ? null : v >= min);

export function checkTargets(f: Figures): Check[] {
  const checks: Check[] = [
    { name: 'pipeline/floor ratio', value: f.ratio, target: '≤ 2.0 (aim 1.5)', pass: le(f.ratio, 2.0) },
    { name: 'pipeline audit records/s (one core)', value: f.pipeline_audit_rps, target: '≥ 60,000', pass: ge(f.pipeline_audit_rps, 60_000) },
    { name: 'detection over envelope+normalize', value: f.detect_overhead, target: '≤ 0.25', pass: le(f.detect_overhead, 0.25) },
  ];
  for (const [type, lps] of Object.entries(f.generator_lps)) {
    const min = type === 'syslog' ? 500_000 : 150_000;
    checks.push({ name: `generate ${type} lines/s`, value: lps, target: `≥ ${min.toLocaleString('en-US')}`, pass: lps >= min });
  }
  for (const type of f.generator_missing) checks.push({ name: `generate ${type} lines/s`, value: null, target: '≥ 150,000', pass: null });
  checks.push({ name: 'peak RSS, 1M lines (MB, worst type)', value: f.rss_1m_mb, target: '≤ 150 MB', pass: le(f.rss_1m_mb, 150) });
  checks.push({ name: 'app entry import (ms)', value: f.import_ms, target: '≤ 300 ms', pass: le(f.import_ms, 300) });
  const offenders = f.import_offenders;
  checks.push({
    name: 'heavy modules at app start',
    value: offenders === null ? null : offenders.length === 0 ? 'none' : offenders.map((o) => o.module).join(', '),
    target: 'none',
    pass: offenders === null ? null : offenders.length === 0,
  });
  return checks;
}
