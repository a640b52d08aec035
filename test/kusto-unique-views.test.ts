// Rows landed twice after a rebalance (other batch boundaries → other ingest-by tags) collapse
// in the `<Table>Unique` materialized views; the emulator path leaves them out.
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../functions/detect/index.js';
import { tablePayloads } from '../functions/land/payload.js';
import { AUDIT_IDENTITY_COLUMNS } from '../functions/kusto/pipelineTables.js';
import { expandFunctions } from '../functions/kusto/rawLanding.js';
import { databaseCommands } from '../functions/kusto/render.js';
import { TABLES, tableDef } from '../functions/kusto/tables.js';
import { auditIdentity } from '../functions/normalize/audit.js';
import { goDurationMs } from '../functions/normalize/duration.js';
import type { BatchResult } from '../functions/contracts.js';
import { processEvents } from '../functions/pipeline.js';
import { ingested } from './support/adxMapping.js';
import { auditEvent, diagRecord, input, RID } from './support/records.js';

const views = (opts = {}) => databaseCommands(opts).filter((c) => c.kind === 'view');

describe('deduplicating materialized views', () => {
  it('one per pipeline table, keyed by columns of that table, after the table exists', () => {
    const cmds = databaseCommands();
    const pipeline = TABLES.filter((t) => t.origin === 'pipeline');
    expect(views().map((v) => v.name)).toEqual(pipeline.map((t) => `${t.name}Unique`));
    for (const t of pipeline) {
      const keys = t.uniqueBy ?? [];
      expect(keys.length, t.name).toBeGreaterThan(0);
      for (const k of keys) expect(t.columns.map((c) => c.name), `${t.name}.${k}`).toContain(k);
      const view = cmds.findIndex((c) => c.name === `${t.name}Unique`);
      expect(view).toBeGreaterThan(cmds.findIndex((c) => c.kind === 'table' && c.name === t.name));
      expect(cmds[view]!.command).toContain(`on table ${t.name}\n`);
      expect(cmds[view]!.command).toContain(`| summarize take_any(*) by ${keys.join(', ')}\n}`);
      // Re-running the script must not fail on an existing view (a database script reruns on every deploy).
      expect(cmds[view]!.command.startsWith('.create ifnotexists materialized-view')).toBe(true);
      // ADX disables a take_any(*) view whose table changes unless it follows the table's schema:
      // set at creation, and set again for a view an older release made without it.
      expect(cmds[view]!.command).toContain('autoUpdateSchema = true');
      expect(cmds[view + 1]!.command).toBe(`.alter materialized-view ${t.name}Unique autoUpdateSchema true`);
    }
  });

  it('are left out for the Kusto emulator', () => {
    expect(views({ noUniqueViews: true })).toEqual([]);
    // Each view, its autoUpdateSchema and its retention policy.
    expect(databaseCommands({ noUniqueViews: true })).toHaveLength(databaseCommands().length - 9);
    expect(databaseCommands({ noUniqueViews: true }).some((c) => c.command.includes('materialized-view'))).toBe(false);
  });
});

const policy = defaultPolicy('aks');
const NOW = new Date('2024-03-01T12:00:00Z');

/** What `<Table>Unique` holds after these results land (each landed `times` times): ADX rows, one per view key. */
function viewRows(table: string, results: readonly BatchResult[], times = 2): Record<string, unknown>[] {
  const keys = tableDef(table).uniqueBy!;
  const view = new Map<string, Record<string, unknown>>();
  for (let t = 0; t < times; t++)
    for (const [i, r] of results.entries()) {
      const payload = tablePayloads(r, `batch-${t}-${i}`).payloads.find((p) => p.table === table);
      for (const line of payload ? payload.ndjson.toString('utf8').split('\n').filter(Boolean) : []) {
        const row = ingested(table, JSON.parse(line) as Record<string, unknown>);
        const key = JSON.stringify(keys.map((k) => row[k]));
        if (!view.has(key)) view.set(key, row);
      }
    }
  return [...view.values()];
}

const klog = (msg: string, time = '10:00:00.000001') => `I0301 ${time}       1 httplog.go:132] ${msg}`;
const otherRid = RID.replace('SIFT-DEV', 'SIFT-PROD');

describe('the Unique views keep apart what the pipeline keeps apart, and collapse what lands twice', () => {
  it('AksAudit: a request that borrowed another request\'s Audit-ID keeps its row in AksAuditUnique', () => {
    const ID = 'aaaaaaaa-0000-0000-0000-00000000beef';
    const victim = auditEvent({ auditID: ID, verb: 'get', requestURI: '/api/v1/namespaces/default/pods/web-0' });
    const attacker = auditEvent({ auditID: ID, verb: 'create', requestURI: '/api/v1/namespaces/default/pods/web-0/exec?command=sh', user: { username: 'mallory' }, requestReceivedTimestamp: '2024-03-01T10:00:00.200000Z' });
    // The same request logged by two clusters (one auditID generator each, e.g. a default or a fixed header).
    const otherCluster = diagRecord('kube-audit', JSON.stringify(victim), { resourceId: otherRid });
    const r = processEvents([input({ records: [diagRecord('kube-audit', JSON.stringify(victim)), diagRecord('kube-audit', JSON.stringify(attacker)), otherCluster] })], { policy, now: NOW });
    expect(r.rows.AksAudit).toHaveLength(3);
    const view = viewRows('AksAudit', [r]);
    expect(view.map((x) => [x.Cluster, x.UserName])).toEqual([['sift-dev', 'alice@example.com'], ['sift-dev', 'mallory'], ['sift-prod', 'alice@example.com']]);
  });

  it('AksAudit: the view key is the identity dedupe and detection ids use', () => {
    expect(tableDef('AksAudit').uniqueBy).toEqual(['AuditId', ...AUDIT_IDENTITY_COLUMNS]);
    const r = processEvents([input({ records: [diagRecord('kube-audit', JSON.stringify(auditEvent()))] })], { policy, now: NOW });
    const row = r.rows.AksAudit[0]!;
    expect(auditIdentity(row)).toEqual(AUDIT_IDENTITY_COLUMNS.map((c) => row[c] ?? ''));
  });

  it('AksControlPlane: two hubs (or a re-created one) reuse positions; each line keeps its row, a redelivery does not add one', () => {
    const line = (rid: string, msg: string, time?: string) => diagRecord('kube-apiserver', klog(msg, time), { resourceId: rid });
    // Same partition and sequence number in each hub: sequence numbers start at 0 in every hub.
    const hubA = processEvents([input({ records: [line(RID, 'a0'), line(RID, 'a1')] }, 0)], { policy, now: NOW });
    const hubB = processEvents([input({ records: [line(otherRid, 'b0'), line(otherRid, 'b1')] }, 0)], { policy, now: NOW });
    // The first hub re-created a day later: the same positions again, for the same cluster.
    const later = (msg: string) => diagRecord('kube-apiserver', `I0302 10:00:00.000001       1 httplog.go:132] ${msg}`, { time: '2024-03-02T10:00:00.0000000Z' });
    const hubA2 = processEvents([input({ records: [later('c0'), later('c1')] }, 0)], { policy, now: NOW });
    const results = [hubA, hubB, hubA2];
    expect(new Set(results.flatMap((r) => r.rows.AksControlPlane.map((x) => x.Position)))).toEqual(new Set(['0/0/0', '0/0/1']));
    const view = viewRows('AksControlPlane', results);
    expect(view.map((x) => String(x.LogMessage)).sort()).toEqual(['a0', 'a1', 'b0', 'b1', 'c0', 'c1']);
  });

  it('the raw-landing expansion computes every view key per record (a constant would make the whole table one key)', () => {
    for (const f of expandFunctions()) {
      const table = f.name.replace(/Expand$/, '');
      const exprs = new Map([...f.body.matchAll(/^ {4}(\w+) = (.*?),?$/gm)].map((m) => [m[1]!, m[2]!]));
      for (const key of tableDef(table).uniqueBy!) {
        const e = exprs.get(key);
        expect(e, `${table}.${key}`).toBeDefined();
        expect(e, `${table}.${key}`).not.toMatch(/^(''|dynamic\(null\)|\d+|true|false)$/);
        expect(e, `${table}.${key}`).toMatch(/\b(r|e|log|sev|hdr|recTime)\b/);
      }
      // Position: the record's own bytes and its index in the body (two equal lines of one body stay two).
      expect(exprs.get('Position')).toContain('hash_sha256(tostring(r))');
      expect(exprs.get('Position')).toContain('RecordIndex');
      expect(f.body).toContain('mv-expand with_itemindex = RecordIndex r = Records');
    }
  });

  it("the raw-landing expansion lands what the app lands: not a metric, not another resource's record without a log, not an item without a category", () => {
    const AKS = '/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-1';
    const line = { log: 'I0101 00:00:00.000000       1 a.go:1] hello\n', pod: 'p', stream: 'stderr' };
    const records: Record<string, unknown>[] = [
      { category: 'kube-apiserver', resourceId: AKS, properties: line },
      { category: 'kube-scheduler', resourceId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Kubernetes/connectedClusters/arc-1', properties: line },
      { metricName: 'apiserver_current_inflight_requests', resourceId: AKS, total: 3 },
      { category: 'AuditEvent', resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1', properties: { id: 'x', requestUri: 'https://kv1' } },
      { resourceId: AKS, properties: line },
      { category: 'kube-apiserver', resourceId: AKS, properties: { pod: 'p' } },
    ];
    // What the app does with each, alone in a body: a control-plane row, or a dead letter.
    const app = records.map((r) => processEvents([{ body: { records: [r] }, position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 1, offset: '1' } }], { policy, now: NOW }).rows.AksControlPlane.length === 1);
    expect(app).toEqual([true, true, false, false, false, false]);
    for (const f of expandFunctions()) {
      // The filter, read from the rendered text and run here.
      const where = /^\| where (isnotempty\(tostring\(r\.category\)\) and .*)$/m.exec(f.body)?.[1];
      expect(where, f.name).toBe(`isnotempty(tostring(r.category)) and gettype(r.properties.log) == 'string'`);
      expect(f.body.indexOf(where!), f.name).toBeLessThan(f.body.indexOf('| where tostring(r.category) '));
      const kept = (o: Record<string, unknown>): boolean => typeof o.category === 'string' && o.category !== '' && typeof (o.properties as { log?: unknown } | undefined)?.log === 'string';
      expect(records.map(kept), f.name).toEqual(app);
    }
  });

  it('the raw-landing expansion reads what the app reads: Arc clusters, the audit request time, the klog header time, the line without its newline', () => {
    const [audit, cp] = expandFunctions().map((f) => new Map([...f.body.matchAll(/^ {4}(\w+) = (.*?),?$/gm)].map((m) => [m[1]!, m[2]!])));
    for (const exprs of [audit!, cp!]) expect(exprs.get('Cluster')).toContain('(?:managedclusters|connectedclusters)');
    expect(audit!.get('TimeGenerated')).toBe("coalesce(todatetime(e.stageTimestamp), todatetime(e.requestReceivedTimestamp), todatetime(r['time']))");
    expect(cp!.get('TimeGenerated')).toMatch(/^coalesce\(todatetime\(strcat\(tostring\(hdrYear\).*\), recTime\)$/);
    const body = expandFunctions()[1]!.body;
    // The trimmed line replaces `log` before anything reads it (Message, the header, the fields).
    expect(body.indexOf("| extend log = trim_end(@'\\r?\\n', log)")).toBeGreaterThan(body.indexOf('| extend log = tostring(r.properties.log)'));
    expect(body.indexOf("| extend log = trim_end(")).toBeLessThan(body.indexOf('| extend sev = '));
    expect(cp!.get('Message')).toBe('log');
  });

  it('the raw-landing LatencyMs reads httplog latencies in every Go duration unit, as the app does (it read only "ms": µs, s and minutes were null)', () => {
    const body = expandFunctions()[1]!.body;
    // The KQL's own regexes and unit factors, read from the rendered text and run here.
    const lat = new RegExp(/\| extend .*lat = extract\(@'([^']+)', 1, log\)/.exec(body)![1]!);
    const unitRe = new RegExp(/\| extend latUnit = extract\(@'([^']+)', 2, lat\)/.exec(body)![1]!);
    const expr = body.slice(body.indexOf('\n    LatencyMs = '), body.indexOf('\n    UserAgent = '));
    const factors = new Map([...expr.matchAll(/latUnit == '([^']+)', ([0-9.e-]+)/g)].map((m) => [m[1]!, Number(m[2])]));
    const hmsRe = new RegExp(/lat matches regex @'([^']+)'/.exec(expr)![1]!);
    const kql = (line: string): number | null => {
      const l = lat.exec(line)?.[1] ?? '';
      if (l === '0') return 0;
      const u = unitRe.exec(l);
      if (u) return Number.isNaN(Number(u[1])) ? null : Number(u[1]) * factors.get(u[2]!)!;
      const h = hmsRe.exec(l);
      if (h) return Number.isNaN(Number(h[3])) ? null : 1000 * (3600 * Number(h[1] ?? 0) + 60 * Number(h[2] ?? 0) + Number(h[3]));
      return null;
    };
    const durations = ['214.666µs', '214.666μs', '3us', '512ns', '9.05251ms', '1.5s', '8m18.00060226s', '1h2m0s', '1h0m3.5s', '0s', '0', '', 'soon', '1.2.3ms'];
    for (const d of durations) {
      const got = kql(`I0304 00:00:00.428941 1 httplog.go:132] "HTTP" verb="GET" URI="/x" latency="${d}" resp=200`);
      const app = goDurationMs(d);
      if (app === null) expect(got, d).toBeNull();
      else expect(got, d).toBeCloseTo(app, 6);
    }
    expect(durations.filter((d) => goDurationMs(d) !== null).length).toBe(11);
  });
});

describe('analysis functions count requests, not rows', () => {
  it('ExecIntoPods and ApiAuthFailures count distinct request identities (a reused Audit-ID, or a row landed twice, counts once per request)', async () => {
    const { ANALYSIS_QUERIES } = await import('../functions/kusto/queries.js');
    for (const name of ['ExecIntoPods', 'ApiAuthFailures']) {
      const body = ANALYSIS_QUERIES.find((q) => q.name === name)!.body;
      expect(body, name).toContain("dcount(strcat(AuditId, '|', tostring(RequestReceivedTime), '|', Verb, '|', RequestUri))");
      expect(body, name).not.toMatch(/dcount\(AuditId\)|= count\(\)/);
    }
  });
});

describe('analysis functions against the generator\'s data', () => {
  it('AuditdExecByKey counts executions (execve), not a keyed read of /etc/shadow', async () => {
    const body = (await import('../functions/kusto/queries.js')).ANALYSIS_QUERIES.find((q) => q.name === 'AuditdExecByKey')!.body;
    expect(body).toContain("RecordType == 'SYSCALL' and isnotempty(Key) and Syscall in (59, 322)");
    const { datasetRows } = await import('./support/datasets.js');
    const { rows: all } = await datasetRows({ logType: 'auditd', count: 800, seed: 3, scenarios: ['all'] });
    const keyed = all.filter((r) => r.RecordType === 'SYSCALL' && r.Key);
    const counted = keyed.filter((r) => [59, 322].includes(r.Syscall as number));
    expect(counted.length).toBeGreaterThan(0);
    expect(counted.every((r) => String(r.Exe) !== '' )).toBe(true);
    // The generator's keyed openat (key shadow, /usr/bin/cat) is left out.
    expect(keyed.some((r) => r.Key === 'shadow' && r.Syscall === 257)).toBe(true);
    expect(counted.some((r) => r.Syscall === 257)).toBe(false);
  });
});

describe('stored functions read the Unique views where the script creates them', () => {
  it('every analysis and detector query over AksAudit / AksControlPlane reads its Unique view; LandingHealth reads the tables; without views, the tables', async () => {
    const { storedFunctions } = await import('../functions/kusto/render.js');
    const sourceLines = (body: string) => [...body.matchAll(/^(?:let \w+ = )?(AksAudit\w*|AksControlPlane\w*)$/gm)].map((m) => m[1]);
    const withViews = storedFunctions();
    const readers = withViews.filter((f) => sourceLines(f.body).length > 0);
    expect(readers.map((f) => f.name)).toEqual(expect.arrayContaining(['ExecIntoPods', 'ApiAuthFailures', 'PrivilegedPodCreations', 'Window_apiserver_volume_spike']));
    for (const f of readers) for (const t of sourceLines(f.body)) expect(t, f.name).toMatch(/Unique$/);
    expect(withViews.find((f) => f.name === 'LandingHealth')!.body).toContain('union withsource = TableName AksAudit, AksControlPlane, Detections');
    for (const f of storedFunctions({ noUniqueViews: true })) for (const t of sourceLines(f.body)) expect(t, f.name).not.toMatch(/Unique$/);
  });
});

describe('retention of the views, and a raw body in one cell', () => {
  it('each Unique view keeps its rows as long as its table (a view otherwise takes the database\'s retention)', () => {
    const cmds = databaseCommands({ retentionDays: { pipeline: 90 } });
    for (const t of TABLES.filter((x) => x.uniqueBy)) {
      expect(cmds.map((c) => c.command)).toContain(`.alter-merge table ${t.name} policy retention softdelete = 90d recoverability = enabled`);
      expect(cmds.map((c) => c.command)).toContain(`.alter-merge materialized-view ${t.name}Unique policy retention softdelete = 90d recoverability = enabled`);
    }
  });

  it('the raw table\'s Records column holds a whole Event Hub body: past ADX\'s 1 MB dynamic-value cap, which drops the value at ingestion', () => {
    expect(databaseCommands({ rawLanding: true }).map((c) => c.command)).toContain(".alter column AksDiagnosticsRaw.Records policy encoding type = 'bigobject32'");
  });
});

describe('analysis functions keep the rows their arrays leave empty', () => {
  it('every mv-apply expands a list that ends with a null element (mv-expand makes no record of an empty array, dropping the row)', async () => {
    const { storedFunctions } = await import('../functions/kusto/render.js');
    const applies = storedFunctions({ rawLanding: true }).flatMap((f) => [...f.body.matchAll(/mv-apply \w+ = (.+) on \(/g)].map((m) => [f.name, m[1]!] as const));
    expect(applies.length).toBeGreaterThan(0);
    for (const [name, expr] of applies) expect(expr, name).toMatch(/^array_concat\(.*, dynamic\(\[null\]\)\)$/);
  });

  it('ApiAuthFailures counts 401s: a failed authentication is audited only at ResponseStarted', async () => {
    const body = (await import('../functions/kusto/queries.js')).ANALYSIS_QUERIES.find((q) => q.name === 'ApiAuthFailures')!.body;
    expect(body).toContain("ResponseCode in (401, 403) and Stage in ('ResponseStarted', 'ResponseComplete')");
  });
});
