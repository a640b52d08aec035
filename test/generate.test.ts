import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DatasetRequest, generateAksBodies, LOG_TYPES, resolveRequest, writeDataset, type DatasetRequestInput } from '../functions/generate/index.js';
import { Rng } from '../functions/generate/prng.js';

async function gen(input: DatasetRequestInput): Promise<{ text: string; sha: string; summary: Awaited<ReturnType<typeof writeDataset>> }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
  const summary = await writeDataset(resolveRequest(DatasetRequest.parse(input)), sink);
  const buf = Buffer.concat(chunks);
  return { text: buf.toString('utf8'), sha: createHash('sha256').update(buf).digest('hex'), summary };
}

const TYPES = LOG_TYPES.map((t) => t.name);

describe('PRNG', () => {
  it('is seeded: seed 0 works and differs from seed 1; streams are independent', () => {
    const a = new Rng(0);
    const b = new Rng(0);
    const c = new Rng(1);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(xs);
    expect(new Rng(0, 'x').u32()).not.toBe(new Rng(0, 'y').u32());
    expect(new Rng(-5).u32()).not.toBe(new Rng(5).u32());
    expect(new Rng(2 ** 40).u32()).not.toBe(new Rng(0).u32());
  });
});

describe.each(TYPES)('%s dataset', (logType) => {
  const info = LOG_TYPES.find((t) => t.name === logType)!;
  it('is byte-identical for the same request (seed 0) and differs for another seed or start', async () => {
    const base = { logType, count: 400, seed: 0, scenarios: ['all'] };
    const a = await gen(base);
    const b = await gen(base);
    expect(a.sha).toBe(b.sha);
    expect(a.summary.sha256).toBe(a.sha);
    expect((await gen({ ...base, seed: 1 })).sha).not.toBe(a.sha);
    expect((await gen({ ...base, start: '2025-06-01T12:00:00Z' })).sha).not.toBe(a.sha);
  });

  it('labels every scenario with record ids inside the dataset', async () => {
    const { summary } = await gen({ logType, count: 400, seed: 9, scenarios: ['all'] });
    expect(summary.labels.map((l) => l.scenario).sort()).toEqual(info.scenarios.map((s) => s.name).sort());
    for (const l of summary.labels) {
      expect(l.technique).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(l.recordIds.length).toBeGreaterThan(0);
      expect(Math.max(...l.recordIds)).toBeLessThanOrEqual(summary.records);
    }
  });

  if (info.table) {
    it('csv and jsonl carry the same rows, time-ordered ISO-8601 UTC, RecordId = position', async () => {
      const req = { logType, count: 300, seed: 4, scenarios: ['all'] };
      const jsonl = (await gen({ ...req, format: 'jsonl' })).text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const csv = (await gen({ ...req, format: 'csv' })).text;
      const header = csv.slice(0, csv.indexOf('\r\n')).split(',');
      expect(header).toEqual(info.columns!.map((c) => c.name));
      const times = jsonl.map((r) => r.TimeGenerated as string);
      for (const t of times) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect([...times].sort()).toEqual(times);
      expect(jsonl.map((r) => r.RecordId)).toEqual(jsonl.map((_, i) => i + 1));
      // Every CSV data record starts with the same TimeGenerated,RecordId as its JSON row.
      const starts = csv.split('\r\n').slice(1, 6).map((l) => l.split(',').slice(0, 2).join(','));
      expect(starts).toEqual(jsonl.slice(0, 5).map((r) => `${r.TimeGenerated},${r.RecordId}`));
    });
  }
});

describe('scenario ground truth matches the content', () => {
  it('syslog brute-force lines are sshd failures from one address; other lines are not labelled', async () => {
    const { text, summary } = await gen({ logType: 'syslog', count: 500, seed: 2, scenarios: ['ssh-brute-force'], syslog: { protocol: 'rfc3164', pri: false } });
    const lines = text.trimEnd().split('\n');
    const label = summary.labels[0]!;
    const ids = new Set(label.recordIds);
    const ips = new Set<string>();
    for (const id of ids) {
      const line = lines[id - 1]!;
      expect(line).toMatch(/sshd\[\d+\]: (Failed|Accepted) password for /);
      ips.add(/from (\S+) port/.exec(line)![1]!);
    }
    expect(ips.size).toBe(1);
    lines.forEach((l, i) => {
      if (!ids.has(i + 1)) expect(l).not.toMatch(/Failed password|Accepted password/);
    });
    expect(lines[0]).toMatch(/^[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d /); // RFC 3164 without PRI
  });

  it('auditd events share audit(ts:serial) across their records and hex-encode argv with spaces', async () => {
    const { text } = await gen({ logType: 'auditd', count: 200, seed: 5, scenarios: ['reverse-shell'] });
    const lines = text.trimEnd().split('\n');
    const syscall = lines.findIndex((l) => l.includes('type=SYSCALL') && l.includes('syscall=59'));
    const stamp = /msg=(audit\([\d.]+:\d+\))/.exec(lines[syscall]!)![1];
    expect(lines.slice(syscall, syscall + 6).map((l) => /type=(\w+)/.exec(l)![1])).toEqual(['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PATH', 'PROCTITLE']);
    for (const l of lines.slice(syscall, syscall + 6)) expect(l).toContain(`msg=${stamp}:`);
    const rs = lines.find((l) => l.includes('type=EXECVE') && l.includes('a1="-c"') && l.includes('argc=3 a0="bash"'))!;
    const a2 = /a2=([0-9A-F]+)$/.exec(rs)![1]!;
    expect(Buffer.from(a2, 'hex').toString()).toMatch(/^bash -i >& \/dev\/tcp\//);
  });
});

describe('AKS records are shaped like the real fixtures', () => {
  it('bodies of records with the Azure Monitor envelope', async () => {
    const { bodies, labels } = await generateAksBodies({ count: 260, seed: 11, scenarios: ['all'] });
    expect(bodies.length).toBe(Math.ceil(260 / 50));
    const keys = new Set<string>();
    for (const b of bodies)
      for (const r of b.records) {
        expect(Object.keys(r)).toEqual(['category', 'operationName', 'properties', 'resourceId', 'time']);
        expect(r.operationName).toBe('Microsoft.ContainerService/managedClusters/diagnosticLogs/Read');
        expect(r.resourceId).toBe(r.resourceId.toUpperCase());
        expect(r.resourceId).toMatch(/^\/SUBSCRIPTIONS\/[0-9A-F-]+\/RESOURCEGROUPS\/[^/]+\/PROVIDERS\/MICROSOFT\.CONTAINERSERVICE\/MANAGEDCLUSTERS\/[^/]+$/);
        expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
        expect(Object.keys(r.properties).sort()).toEqual(['containerID', 'log', 'pod', 'stream']);
        expect(r.category).toBe('kube-audit');
        expect(r.properties.stream).toBe('stdout');
        expect(r.properties.log.endsWith('\n')).toBe(true);
        const ev = JSON.parse(r.properties.log) as Record<string, unknown>;
        expect(ev.kind).toBe('Event');
        expect(ev.apiVersion).toBe('audit.k8s.io/v1');
        keys.add(ev.auditID as string);
      }
    expect(keys.size).toBe(260);
    expect(labels.map((l) => l.scenario).sort()).toEqual(['anonymous-access', 'cluster-admin-binding', 'exec-into-pod', 'hostpath-mount', 'privileged-pod', 'secret-enumeration']);
    for (const l of labels) expect(l.auditIds?.length).toBe(l.recordIds.length);
  });

  it('apiserver records are klog lines on stderr', async () => {
    const { bodies } = await generateAksBodies({ count: 60, seed: 1, logType: 'aks-apiserver', scenarios: ['exec-into-pod'] });
    for (const r of bodies.flatMap((b) => b.records)) {
      expect(r.category).toBe('kube-apiserver');
      expect(r.properties.stream).toBe('stderr');
      expect(r.properties.log).toMatch(/^I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ httplog\.go:132\] "HTTP" verb="/);
    }
  });
});

describe('request validation', () => {
  it('accepts seed 0 and names bad fields', () => {
    expect(DatasetRequest.parse({ logType: 'syslog', seed: 0 }).seed).toBe(0);
    const bad = DatasetRequest.safeParse({ logType: 'syslog', count: 0 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['count']);
    expect(DatasetRequest.safeParse({ logType: 'nope' }).error!.issues[0]!.path).toEqual(['logType']);
    expect(DatasetRequest.safeParse({ logType: 'syslog', end: '2024-01-01T00:00:00Z', rate: 5 }).error!.issues[0]!.path).toEqual(['rate']);
    expect(DatasetRequest.safeParse({ logType: 'syslog', start: 'yesterday' }).error!.issues[0]!.path).toEqual(['start']);
  });
  it('rejects formats and scenarios the log type does not have', () => {
    expect(() => resolveRequest(DatasetRequest.parse({ logType: 'syslog', format: 'eventhub' }))).toThrow(/format/);
    expect(() => resolveRequest(DatasetRequest.parse({ logType: 'cef', scenarios: ['privileged-pod'] }))).toThrow(/unknown scenario/);
    expect(() => resolveRequest(DatasetRequest.parse({ logType: 'windows', count: 5, scenarios: ['all'] }))).toThrow(/too small/);
  });
  it('end spreads events between start and end', async () => {
    const { text } = await gen({ logType: 'verifone', count: 100, seed: 3, start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z', format: 'jsonl' });
    const times = text.trim().split('\n').map((l) => (JSON.parse(l) as { TimeGenerated: string }).TimeGenerated);
    expect(times[0]! >= '2024-05-01T00:00:00').toBe(true);
    expect(times.at(-1)! < '2024-05-02T00:00:00').toBe(true);
    expect(times.at(-1)! > '2024-05-01T20:00:00').toBe(true);
  });
});
