// The generator in child processes: bounded memory on the API's path (1,000,000 syslog lines
// through gzip into Azurite, on plain JS as the Functions host runs it), and byte-identical
// output whatever the process's time zone and locale, through `sift generate` too.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetRequest, resolveRequest, writeDataset } from '../functions/generate/index.js';
import { useAzurite } from './support/azurite.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Under node_modules so the emitted files resolve packages exactly as dist/ does.
const OUT = join(ROOT, 'node_modules', '.cache', `kubesift-generate-test-${process.pid}`);
/** Other time zone and locale than the machine's: output must not depend on either. */
const FOREIGN_ENV = { TZ: 'Pacific/Kiritimati', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' };

/** Emit plain JS for functions/ (transpile only: fast, no type check; tsc checks types elsewhere). */
function transpileFunctions(): void {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
  for (const file of walk(join(ROOT, 'functions'))) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }, // ESM as tsc emits it here
    });
    const out = join(OUT, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(join(OUT, 'package.json'), '{"type":"module"}\n');
  // The child: generate a dataset into Blob exactly as POST /api/datasets does, report memory.
  writeFileSync(
    join(OUT, 'child.js'),
    `import { BlobServiceClient } from '@azure/storage-blob';
import { DatasetRequest, resolveRequest } from './functions/generate/index.js';
import { writeDatasetToBlob } from './functions/generate/blob.js';
const req = resolveRequest(DatasetRequest.parse(JSON.parse(process.argv[2])));
const container = BlobServiceClient.fromConnectionString(process.env.KUBESIFT_STORAGE_CONNECTION).getContainerClient('datasets');
const loadedMB = process.memoryUsage().rss / 1048576;
const out = await writeDatasetToBlob(container, req, 'log');
process.stdout.write(JSON.stringify({ loadedMB, peakMB: process.resourceUsage().maxRSS / 1024, records: out.summary.records, sha256: out.summary.sha256, compressed: out.compressedBytes }));
`,
  );
}

async function inProcessSha(input: object): Promise<string> {
  const hash = createHash('sha256');
  await writeDataset(resolveRequest(DatasetRequest.parse(input)), new Writable({ write: (c: Buffer, _e, cb) => (hash.update(c), cb()) }));
  return hash.digest('hex');
}

const azurite = useAzurite();
beforeAll(() => transpileFunctions());
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('generator in a child process', () => {
  it('1,000,000 syslog lines stream through gzip into Blob with peak RSS under 150 MB', async () => {
    const body = { logType: 'syslog', count: 1_000_000, seed: 0 };
    const r = spawnSync(process.execPath, [join(OUT, 'child.js'), JSON.stringify(body)], {
      env: { ...process.env, ...FOREIGN_ENV, KUBESIFT_STORAGE_CONNECTION: azurite.current.connectionString },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    const res = JSON.parse(r.stdout) as { loadedMB: number; peakMB: number; records: number; sha256: string; compressed: number };
    expect(res.records).toBe(1_000_000);
    // Holding the dataset (131 MB of text, 16 MB gzip) would break either bound.
    expect(res.peakMB).toBeLessThan(150);
    expect(res.peakMB - res.loadedMB).toBeLessThan(64);
    expect(res.compressed).toBeGreaterThan(10_000_000);
    // Same bytes as this process generates (under tsx, UTC), in another time zone and locale.
    // Re-pinned for generator version 9 (an admin's SSH session writes each line once, in order).
    expect(res.sha256).toBe('e7f479efc6d59792898a92d0ee28019ba597099fbdc704142524d27efe8d97cf');
  }, 150_000);

  it('sift generate prints the same bytes as the library, in any time zone', async () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts', 'sift.ts'), 'generate', '--type', 'syslog', '--count', '3000', '--seed', '0', '--syslog-protocol', 'rfc3164', '--scenarios', 'all', '--out', '-'],
      { cwd: ROOT, env: { ...process.env, ...FOREIGN_ENV }, encoding: 'buffer', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    expect(r.status, r.stderr.toString()).toBe(0);
    const expected = await inProcessSha({ logType: 'syslog', count: 3000, seed: 0, syslog: { protocol: 'rfc3164' }, scenarios: ['all'] });
    expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(expected);
    expect(r.stderr.toString()).toContain(`sha256 ${expected}`);
    expect(r.stdout.toString().split('\n')[0]).toMatch(/^<\d+>Jan  1 00:00:00 /);
  }, 90_000);
});
