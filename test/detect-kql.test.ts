// The windowed detectors rendered as ADX functions must be valid KQL against the project's
// table schema (checked with Microsoft's Kusto language service, no cluster needed).
import { describe, expect, it } from 'vitest';
import { defaultPolicy, loadPolicy } from '../functions/detect/index.js';
import { kqlString, maxLookbackMs, windowDetectorFunctions } from '../functions/detect/kql.js';
import { AksAuditColumns, AksControlPlaneColumns } from '../functions/kusto/pipelineTables.js';
import { checkKql, globalsFor, resultColumns } from '../scripts/kqlCheck.js';

const policy = loadPolicy({
  windows: {
    append: [
      { id: 'kw_cs', kind: 'keyword', keyword: "it's \\ odd", caseSensitive: true, windowSeconds: 45, threshold: 2 },
      { id: 'audit_repeat', kind: 'repeat', table: 'AksAudit', windowSeconds: 30, threshold: 3 },
    ],
  },
});

const globals = globalsFor({
  database: 'kubesift',
  tables: [
    { name: 'AksAudit', columns: AksAuditColumns },
    { name: 'AksControlPlane', columns: AksControlPlaneColumns },
  ],
  functions: [],
});

describe('window detector KQL functions', () => {
  const fns = windowDetectorFunctions(policy);

  it('renders one function per detector (every kind)', () => {
    expect(fns.map((f) => f.name)).toEqual(policy.windows.map((w) => `Window_${w.id}`));
    expect(new Set(policy.windows.map((w) => w.kind))).toEqual(new Set(['keyword', 'repeat', 'rate', 'inactivity', 'zscore']));
    expect(windowDetectorFunctions(defaultPolicy('aks')).length).toBe(defaultPolicy('aks').windows.length);
  });

  it.each(fns.map((f) => [f.name, f] as const))('%s is valid KQL with the common result columns', (_n, f) => {
    const query = `let lookback = 1d;\n${f.body}`;
    const errors = checkKql(query, globals).filter((d) => d.severity === 'Error');
    expect(errors).toEqual([]);
    expect(resultColumns(query, globals)?.map((c) => c.name)).toEqual(['TimeGenerated', 'DetectorId', 'Detector', 'Priority', 'Cluster', 'Service', 'WindowStart', 'WindowEnd', 'Count', 'Detail']);
  });

  it('binned detectors (rate, z-score) score a group only after its own baseline: make-series gives every group the whole time axis', () => {
    // A cluster onboarded late has empty bins before its first row; scored against them its
    // first bin always fires (rate: Count >= factor × 0; z-score: an infinite z). The
    // TypeScript detectors (windows.ts) never score a group's first bin, nor count it as
    // baseline: the lookback cuts it short (a steady stream's next bin would look like a spike).
    const binned = policy.windows.filter((w) => w.kind === 'rate' || w.kind === 'zscore');
    expect(binned.length).toBeGreaterThan(0);
    for (const w of binned) {
      const body = fns.find((f) => f.name === `Window_${w.id}`)!.body;
      const baseline = w.kind === 'rate' ? w.baselineBins : w.minBins;
      expect(body, w.id).toContain('| extend First = array_index_of(series_greater(Count, 0), true)');
      expect(body, w.id).toContain(`| where i > First + ${baseline}\n`);
      expect(body, w.id).not.toMatch(/\| where i >?= \d/);
    }
  });

  it('rows stamped a day or more ahead are left out (a clock fault would stretch make-series to its year)', () => {
    for (const f of fns) expect(f.body, f.name).toMatch(/\| where TimeGenerated between \(ago\((lookback|min_of\(lookback, \d+ms\))\) \.\. now\(1d\)\)/);
    for (const f of fns) expect(f.body, f.name).not.toContain('> ago(lookback)');
  });

  it("a lookback longer than make-series' 2^20 bins (its time axis runs to a day ahead) is cut to what fits", () => {
    const MAX_BINS = 2 ** 20;
    let series = 0;
    for (const d of policy.windows) {
      const f = fns.find((x) => x.name === `Window_${d.id}`)!;
      const step = d.kind === 'keyword' || d.kind === 'repeat' ? d.windowSeconds / 6 : d.kind === 'rate' || d.kind === 'zscore' ? d.binSeconds : undefined;
      if (step === undefined) {
        expect(f.body, f.name).not.toContain('min_of(lookback');
        continue;
      }
      series++;
      const cap = Number(/min_of\(lookback, (\d+)ms\)/.exec(f.body)?.[1]);
      // The axis from the cut lookback to a day ahead fits, within an hour of the most that does.
      const bins = (cap + 86_400_000) / (step * 1000);
      expect(bins, f.name).toBeLessThan(MAX_BINS);
      expect(bins + 3_600 / step, f.name).toBeGreaterThan(MAX_BINS - 1);
      expect(f.docstring, f.name).toMatch(/lookback at most [\d.]+d/);
    }
    expect(series).toBeGreaterThan(2);
    // The repeat detector (10 s steps) cannot cover the 365 days AksControlPlane keeps.
    expect(maxLookbackMs(10)).toBeLessThan(365 * 86_400_000);
    expect(maxLookbackMs(10)).toBeGreaterThan(119 * 86_400_000);
  });

  it("inactivity ends a trailing silence at its own cluster's latest row, not another cluster's", () => {
    const quiet = fns.find((f) => f.name === 'Window_apiserver_silence')!.body;
    expect(quiet).toContain('| summarize DataEnd = max(TimeGenerated) by Cluster;');
    expect(quiet).toContain('| lookup kind=leftouter ends on Cluster');
    expect(quiet).toContain('next(TimeGenerated), DataEnd)');
  });

  it('repeat detectors build series only for messages seen threshold times in all (nearly every control-plane line is distinct)', () => {
    const repeats = policy.windows.filter((w) => w.kind === 'repeat');
    expect(repeats.length).toBeGreaterThan(0);
    for (const w of repeats) {
      const body = fns.find((f) => f.name === `Window_${w.id}`)!.body;
      const join = `| join kind=leftsemi (rows | summarize Total = count() by Cluster, Service, Msg | where Total >= ${w.threshold}) on Cluster, Service, Msg`;
      expect(body, w.id).toContain(join);
      expect(body.indexOf(join), w.id).toBeLessThan(body.indexOf('| make-series'));
    }
  });

  it('the checker does report errors (so the checks above can fail)', () => {
    expect(checkKql('AksControlPlane | where NoSuchColumn == 1 | make-series c = count() on TimeGenerated step 1m', globals).some((d) => d.severity === 'Error')).toBe(true);
  });

  it('escapes string literals', () => {
    expect(kqlString("it's \\ odd")).toBe("'it\\'s \\\\ odd'");
    expect(checkKql(`print ${kqlString("it's \\ odd\nx")}`, globals).filter((d) => d.severity === 'Error')).toEqual([]);
    // A raw CR broke the literal ("Missing: '").
    expect(kqlString('a\r\nb')).toBe("'a\\r\\nb'");
    expect(checkKql(`print ${kqlString('a\r\nb\tc')}`, globals).filter((d) => d.severity === 'Error')).toEqual([]);
  });
});
