import { gzipSync } from 'node:zlib';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../functions/detect/index.js';
import { byteLines, parseProcessArgs, processInput, type ProcessOptions } from '../scripts/commands/process.js';
import { DEFAULT_CHUNK_RECORDS } from '../functions/pipeline.js';
import { auditEvent, diagRecord } from './support/records.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fixturePath = (name: string) => fileURLToPath(new URL(`./fixtures/aks/${name}`, import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'sift-process-'));

type Line = { table?: string; row?: Record<string, unknown>; deadLetter?: { reason: string; position: Record<string, unknown> }; summary?: { records: number; rows: Record<string, number>; detections: number; deadLetters: number } };

async function runWith(input: string | Buffer, over: Partial<ProcessOptions> = {}): Promise<{ code: number; lines: Line[]; err: string }> {
  const out = new PassThrough();
  const errS = new PassThrough();
  const chunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  errS.on('data', (c: Buffer) => errChunks.push(c));
  const opts: ProcessOptions = { input: '-', format: 'eventhub', policy: defaultPolicy('aks'), defaultCluster: 'unknown', batchSize: 500, maxBodyBytes: 4 << 20, now: new Date('2024-03-01T12:00:00Z'), ...over };
  const code = await processInput(opts, Readable.from([typeof input === 'string' ? Buffer.from(input) : input]), out, errS);
  const text = Buffer.concat(chunks).toString('utf8');
  return { code, lines: text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line), err: Buffer.concat(errChunks).toString('utf8') };
}

const summaryOf = (lines: Line[]) => lines[lines.length - 1]!.summary!;

describe('sift process: input shapes', () => {
  const body = readFileSync(fixturePath('mixed-categories.json'), 'utf8');
  const compact = JSON.stringify(JSON.parse(body));

  it('one pretty-printed JSON body', async () => {
    const { code, lines } = await runWith(body);
    expect(code).toBe(0);
    expect(summaryOf(lines)).toMatchObject({ records: 11, rows: { AksAudit: 3, AksControlPlane: 8 }, deadLetters: 0 });
    expect(lines.filter((l) => l.table === 'AksAudit')).toHaveLength(3);
    expect(lines.filter((l) => l.table === 'Detections').length).toBe(summaryOf(lines).detections);
    expect(Object.keys(lines[lines.length - 1]!)).toEqual(['summary']);
  });

  it('gzipped input (a downloaded dataset as it is) gives what the plain input gives', async () => {
    const plain = await runWith(`${compact}\n${compact}\n`);
    const zipped = await runWith(gzipSync(`${compact}\n${compact}\n`));
    expect(zipped.code).toBe(0);
    expect(zipped.lines).toEqual(plain.lines);
    expect(summaryOf(zipped.lines)).toMatchObject({ records: 22, deadLetters: 0 });
  });

  it('cuts a batch into chunks as the trigger does: a repeat in another chunk is not collapsed', async () => {
    // 4,000 distinct klog lines in one body, then the mixed body twice: the first chunk closes
    // after the big body, the two copies share the second chunk (collapsed there).
    const lines = Array.from({ length: DEFAULT_CHUNK_RECORDS }, (_, i) => ({ category: 'kube-scheduler', time: '2024-03-01T10:00:00Z', resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/C', properties: { log: `I0301 10:00:00.000000 1 a.go:1] line ${i}`, pod: 'p', stream: 'stderr' } }));
    const big = JSON.stringify({ records: lines });
    const same = await runWith(`${big}
${compact}
${compact}
`);
    expect(summaryOf(same.lines)).toMatchObject({ records: DEFAULT_CHUNK_RECORDS + 22, rows: { AksAudit: 3 } });
    // With a copy on each side of the boundary, both copies land (the *Unique views collapse them).
    const split = await runWith(`${compact}
${big}
${compact}
`);
    expect(summaryOf(split.lines)).toMatchObject({ records: DEFAULT_CHUNK_RECORDS + 22, rows: { AksAudit: 6 } });
  });

  it('a JSON array of bodies (pretty) and JSONL give the same rows', async () => {
    const arr = await runWith(JSON.stringify([JSON.parse(body), JSON.parse(body)], null, 2));
    const jsonl = await runWith(`${compact}\n\n${compact}\r\n`);
    expect(summaryOf(arr.lines)).toEqual(summaryOf(jsonl.lines));
    // Same batch: the second copy's audit events collapse by auditID+stage
    expect(summaryOf(jsonl.lines).rows.AksAudit).toBe(3);
    expect(summaryOf(jsonl.lines).records).toBe(22);
    // One body per batch: no dedupe across batches (exactly like separate Event Hub batches)
    const small = await runWith(`${compact}\n${compact}\n`, { batchSize: 1 });
    expect(summaryOf(small.lines).rows.AksAudit).toBe(6);
    // The same array on one line (jq -c): each element its own event too, even past the body limit.
    const oneLine = await runWith(`${JSON.stringify([JSON.parse(body), JSON.parse(body)])}\n${compact}\n`, { maxBodyBytes: body.length + 10 });
    expect(summaryOf(oneLine.lines)).toMatchObject({ records: 33, deadLetters: 0 });
  });

  it('JSONL with bad lines: dead letters with positions, exit 0', async () => {
    const bad = Buffer.concat([Buffer.from(`${compact}\nnot json\n`), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(`{"records":[1]}\n`)]);
    const { code, lines } = await runWith(bad);
    expect(code).toBe(0);
    const dls = lines.filter((l) => l.deadLetter).map((l) => [l.deadLetter!.reason, l.deadLetter!.position.offset]);
    expect(dls).toEqual([['invalid-json', 'line:2'], ['invalid-utf8', 'line:3'], ['unknown-shape', 'line:4']]);
    expect(summaryOf(lines)).toMatchObject({ records: 14, deadLetters: 3 });
  });

  it('--format audit: one Event/EventList per line; diagnostic bodies refused', async () => {
    const events = [JSON.stringify(auditEvent()), JSON.stringify({ kind: 'EventList', items: [auditEvent({ auditID: 'x2' })] }), compact].join('\n');
    const { lines } = await runWith(events, { format: 'audit', defaultCluster: 'lab' });
    const audit = lines.filter((l) => l.table === 'AksAudit');
    expect(audit.map((l) => l.row!.Cluster)).toEqual(['lab', 'lab']);
    expect(lines.filter((l) => l.deadLetter).map((l) => l.deadLetter!.reason)).toEqual(['unknown-shape']);
  });

  it('empty input: just the summary', async () => {
    const { code, lines } = await runWith('');
    expect(code).toBe(0);
    expect(lines).toEqual([{ summary: { records: 0, rows: { AksAudit: 0, AksControlPlane: 0, Detections: 0 }, detections: 0, deadLetters: 0, duplicates: 0 } }]);
  });

  it('a broken multi-line document is one dead letter holding all of it; JSON lines with a bad first line keep their good lines', async () => {
    // A pretty-printed array with a mistake: one letter with every byte (it was one letter per
    // line fragment, 45 for three bodies, none of which a replay could put together again).
    const pretty = `[\n${JSON.stringify(JSON.parse(body), null, 2)},\n{"records": [ }\n]\n`;
    const broken = await runWith(pretty);
    expect(summaryOf(broken.lines)).toMatchObject({ records: 1, deadLetters: 1 });
    expect(broken.lines.find((l) => l.deadLetter)!.deadLetter).toMatchObject({ reason: 'invalid-json', position: { offset: 'line:1', index: 0 } });
    const jsonl = await runWith(`{"records": [\n${compact}\n`);
    expect(summaryOf(jsonl.lines)).toMatchObject({ records: 12, deadLetters: 1, rows: { AksAudit: 3, AksControlPlane: 8 } });
  });

  it("invalid UTF-8 inside a JSON array (a line or a pretty-printed file) is one invalid-utf8 dead letter with its bytes, not U+FFFD in a row", async () => {
    const bad = Buffer.concat([Buffer.from('[{"records":[{"category":"kube-apiserver","time":"2024-03-01T10:00:00Z","properties":{"log":"I0301 10:00:00.000000 1 a.go:1] user='), Buffer.from([0xff, 0xfe]), Buffer.from('"}}]}]\n')]);
    for (const input of [bad, Buffer.concat([Buffer.from('[\n'), bad.subarray(1, -2), Buffer.from('\n]\n')])]) {
      const { lines } = await runWith(input);
      expect(summaryOf(lines)).toMatchObject({ deadLetters: 1, rows: { AksControlPlane: 0 } });
      expect(lines.find((l) => l.deadLetter)!.deadLetter!.reason).toBe('invalid-utf8');
    }
  });

  it('byteLines splits on LF/CRLF across chunk boundaries without decoding', async () => {
    const parts = [Buffer.from('ab'), Buffer.from('c\r'), Buffer.from('\nd\n\ne'), Buffer.from([0xff])];
    const got: string[] = [];
    for await (const l of byteLines(Readable.from(parts))) got.push(l.toString('latin1'));
    expect(got).toEqual(['abc', 'd', '', 'e\xff']);
  });

  it('byteLines joins a line spanning many chunks once: 10× the line costs ~10× the time, not ~100×', async () => {
    const chunks = (mb: number): Buffer[] => {
      const out: Buffer[] = [];
      for (let i = 0; i < (mb * 1024) / 64; i++) out.push(Buffer.alloc(64 * 1024, 0x61));
      out.push(Buffer.from('\r\nnext'));
      return out;
    };
    const time = async (mb: number): Promise<number> => {
      const t0 = performance.now();
      const got: number[] = [];
      for await (const l of byteLines(Readable.from(chunks(mb)))) got.push(l.length);
      expect(got).toEqual([mb * 1024 * 1024, 4]);
      return performance.now() - t0;
    };
    await time(2);
    const small = Math.min(await time(2), await time(2));
    const large = Math.min(await time(20), await time(20));
    // Joining the leftover to every chunk was quadratic: ~100× here.
    expect(large / small).toBeLessThan(35);
  });
});

describe('sift process: stdout that fails', () => {
  const body = JSON.stringify(JSON.parse(readFileSync(fixturePath('mixed-categories.json'), 'utf8')));
  /** stdout whose every write fails with `code`, as a full disk (ENOSPC) or a reader that has gone (EPIPE). */
  const failing = (code: string): Writable => new Writable({ write: (_chunk, _enc, cb) => cb(Object.assign(new Error(`${code}: write failed`), { code })) });
  async function runInto(out: Writable): Promise<{ code: number; err: string }> {
    const errS = new PassThrough();
    const errChunks: Buffer[] = [];
    errS.on('data', (c: Buffer) => errChunks.push(c));
    const opts: ProcessOptions = { input: '-', format: 'eventhub', policy: defaultPolicy('aks'), defaultCluster: 'unknown', batchSize: 1, maxBodyBytes: 4 << 20, now: new Date('2024-03-01T12:00:00Z') };
    const code = await processInput(opts, Readable.from([Buffer.from(`${body}\n`.repeat(300))]), out, errS);
    return { code, err: Buffer.concat(errChunks).toString('utf8') };
  }

  it('a write error other than EPIPE is one line naming stdout and exit 1 (it was rethrown from the error listener: a stack trace)', async () => {
    expect(await runInto(failing('ENOSPC'))).toEqual({ code: 1, err: 'sift process: cannot write stdout: ENOSPC: write failed\n' });
  });

  it('EPIPE (the reader has gone, as with `| head -1`) stops writing quietly with exit 0', async () => {
    let writes = 0;
    const out = new Writable({ write: (_chunk, _enc, cb) => cb(writes++ ? new Error('written after EPIPE') : Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) });
    expect(await runInto(out)).toEqual({ code: 0, err: '' });
    expect(writes).toBe(1);
  });
});

describe('sift process: arguments', () => {
  it('validates options with clear messages', () => {
    expect(() => parseProcessArgs([])).toThrow(/exactly one input/);
    expect(() => parseProcessArgs(['x', '--format', 'csv'])).toThrow(/--format must be eventhub or audit/);
    expect(() => parseProcessArgs(['x', '--batch-size', '0'])).toThrow(/--batch-size/);
    expect(() => parseProcessArgs(['x', '--now', 'yesterday'])).toThrow(/--now/);
    expect(() => parseProcessArgs(['x', '--policy', join(tmp, 'missing.json')])).toThrow(/cannot read policy/);
    writeFileSync(join(tmp, 'bad.json'), '{"lists":{"allowedUsers":5}}');
    expect(() => parseProcessArgs(['x', '--policy', join(tmp, 'bad.json')])).toThrow(/policy .*bad\.json/);
    expect(parseProcessArgs(['--help'])).toBe('help');
  });

  it('--cluster is lower-cased as every cluster name is, and one that cannot be a name is a usage error (rows split across Prod-East and prod-east)', () => {
    const opts = parseProcessArgs(['x', '--cluster', 'Prod-East']);
    expect(opts !== 'help' && opts.defaultCluster).toBe('prod-east');
    for (const bad of ['', 'prod east', '_x', 'a/b']) expect(() => parseProcessArgs(['x', '--cluster', bad]), bad).toThrow(/--cluster must be 1-63 of a-z 0-9/);
  });

  it('a --policy file changes detections', async () => {
    const base = await runWith(readFileSync(fixturePath('mixed-categories.json')));
    writeFileSync(join(tmp, 'allow.json'), JSON.stringify({ lists: { allowedUsers: { append: ['alice@example.com', 'bob@example.com'] } } }));
    const opts = parseProcessArgs([fixturePath('mixed-categories.json'), '--policy', join(tmp, 'allow.json')]);
    if (opts === 'help') throw new Error('unexpected');
    const tuned = await runWith(readFileSync(fixturePath('mixed-categories.json')), { policy: opts.policy });
    const rules = (r: { lines: Line[] }) => r.lines.filter((l) => l.table === 'Detections').map((l) => l.row!.Rule);
    expect(rules(base)).toContain('Disallowed K8s User');
    expect(rules(tuned)).not.toContain('Disallowed K8s User');
  });

  it("without --policy, the environment's policy settings, as the deployed app reads them (they were ignored: defaults ran)", () => {
    const keys = ['KUBESIFT_POLICY', 'KUBESIFT_POLICY_PATH', 'KUBESIFT_POLICY_PROFILE'] as const;
    const saved = keys.map((k) => process.env[k]);
    const policyOf = (argv: string[]) => {
      const o = parseProcessArgs(argv);
      if (o === 'help') throw new Error('unexpected');
      return o.policy;
    };
    try {
      process.env.KUBESIFT_POLICY = JSON.stringify({ lists: { allowedUsers: { append: ['ci@example.com'] } } });
      expect(policyOf(['x']).lists.allowedUsers).toContain('ci@example.com');
      process.env.KUBESIFT_POLICY_PROFILE = 'falco';
      expect(policyOf(['x']).profile).toBe('falco');
      // Flags win: --profile over the setting, --policy over the environment's policy.
      expect(policyOf(['x', '--profile', 'aks']).profile).toBe('aks');
      writeFileSync(join(tmp, 'own.json'), '{}');
      expect(policyOf(['x', '--policy', join(tmp, 'own.json')]).lists.allowedUsers).not.toContain('ci@example.com');
      process.env.KUBESIFT_POLICY = '{bad';
      expect(() => parseProcessArgs(['x'])).toThrow(/^policy from the environment:\n {2}- KUBESIFT_POLICY: not valid JSON/);
      process.env.KUBESIFT_POLICY_PROFILE = 'eks';
      expect(() => parseProcessArgs(['x', '--policy', join(tmp, 'own.json')])).toThrow(/KUBESIFT_POLICY_PROFILE must be aks or falco, got 'eks'/);
      // An explicit --profile does not read the setting; an empty setting is unset, as the app takes it.
      expect(policyOf(['x', '--profile', 'falco', '--policy', join(tmp, 'own.json')]).profile).toBe('falco');
      process.env.KUBESIFT_POLICY_PROFILE = '';
      process.env.KUBESIFT_POLICY = '';
      expect(policyOf(['x']).profile).toBe('aks');
    } finally {
      keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    }
  });
});

describe('npm run sift -- process (real command, no build step)', () => {
  const exec = promisify(execFile);
  const sift = (args: string[]) => exec('npm', ['run', '--silent', 'sift', '--', 'process', ...args], { cwd: ROOT, maxBuffer: 64 << 20 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

  it('processes a file and exits 0 even with dead letters', async () => {
    const file = join(tmp, 'mixed.jsonl');
    writeFileSync(file, `${JSON.stringify(JSON.parse(readFileSync(fixturePath('mixed-categories.json'), 'utf8')))}\nnope\n${JSON.stringify({ records: [diagRecord('guard', 'I0301 10:00:00.000000       1 a.go:1] hi')] })}\n`);
    const r = await sift([file]);
    expect(r.code).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as Line;
    expect(last.summary).toMatchObject({ records: 13, deadLetters: 1 });
  });

  it('exits non-zero with a clear message when the input cannot be read', async () => {
    const missing = await sift([join(tmp, 'does-not-exist.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/sift process: cannot read .*does-not-exist\.json: ENOENT/);
    const dir = await sift([tmp]);
    expect(dir.code).toBe(1);
    expect(dir.stderr).toMatch(/is a directory/);
    const usage = await sift([]);
    expect(usage.code).toBe(2);
    const flag = await sift([tmp, '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^sift process: unknown option --bogus\n\nusage: sift process[^]*\n\(sift process --help for every option\)\n$/);
  });
});
