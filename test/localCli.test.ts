// `npm start` as a user runs it: a child process on loopback ports with a data folder.
// First run with --once; second run reuses the data (the sink skips what is landed) and
// stops cleanly on SIGINT (Ctrl-C), taking Azurite down with it.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, createServer, type AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../scripts/azurite.js';

const root = path.resolve(import.meta.dirname, '..');
const work = mkdtempSync(path.join(tmpdir(), 'kubesift-cli-'));
const children: ChildProcess[] = [];
// Resolved from the repository: the child runs in a scratch folder.
const tsxLoader = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function start(
  args: string[],
  env: Record<string, string> = {},
  opts: { data?: string; ownGroup?: boolean } = {},
): { child: ChildProcess; output: () => string; exited: Promise<number | null>; waitFor(re: RegExp): Promise<RegExpMatchArray> } {
  const data = opts.data ?? path.join(work, 'data');
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(root, 'scripts/local.ts'), '--port', '0', '--blob-port', '0', '--queue-port', '0', '--data', data, '--count', '500', ...args], {
    cwd: work, // .kubesift/ (webhook secrets) lands here, not in the repository
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBESIFT_LOCAL_ONCE: '', ...env },
    // A process group of its own, as a terminal gives a command: a Ctrl-C signals all of it.
    detached: opts.ownGroup ?? false,
  });
  children.push(child);
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const m = out.match(re);
        if (m) return resolve(m);
        waiters.push({ re, resolve });
        void exited.then(() => reject(new Error(`exited before ${re}:\n${out}`)));
      }),
  };
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

describe('npm start (child process)', () => {
  it('--once prints the summary and exits 0 with nothing left running', async () => {
    const run = start(['--once']);
    const code = await run.exited;
    const out = run.output();
    expect(code, out).toBe(0);
    expect(out).toMatch(/records in: +500 in \d+ batch/);
    expect(out).toMatch(/PRIORITY +RULE +USER +NAMESPACE +OBJECT/);
    expect(out).toContain('stopped.');
    const blobPort = Number(/Azurite: blob http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(await portOpen(blobPort)).toBe(false);
    expect(existsSync(path.join(work, 'data'))).toBe(true);
    expect(existsSync(path.join(work, '.kubesift', 'webhook-secrets.json'))).toBe(true);
    // The banner's curl example reads the secret when it runs; the secret itself is never printed.
    const secrets = JSON.parse(readFileSync(path.join(work, '.kubesift', 'webhook-secrets.json'), 'utf8')) as Record<string, string>;
    for (const secret of Object.values(secrets)) expect(out).not.toContain(secret);
    // By absolute path, so the command works from any directory.
    const expr = /Bearer \$\(node -p "(require\('[^']+'\)\.falco)"\)/.exec(out)?.[1];
    expect(expr).toBe(`require('${path.join(work, '.kubesift', 'webhook-secrets.json')}').falco`);
    const read = spawnSync(process.execPath, ['-p', expr!], { cwd: tmpdir(), encoding: 'utf8' });
    expect(read.stdout.trim()).toBe(secrets.falco);
    // The storage connection for sift in another shell names this run's Azurite ports.
    expect(out).toContain(`export KUBESIFT_STORAGE_CONNECTION='`);
    expect(/export KUBESIFT_STORAGE_CONNECTION='([^']+)'/.exec(out)?.[1]).toContain(`BlobEndpoint=http://127.0.0.1:${blobPort}/devstoreaccount1`);
  });

  it("with a rotation pair or a binding in the environment, the banner's curl sends the first entry's secret as its cluster, and is accepted", async () => {
    const [bound, plain] = ['bound-secret-0123456789abc', 'plain-secret-0123456789abc'];
    for (const [setting, cluster] of [[`Prod-East:${bound} ${plain}`, 'prod-east'], [`${plain} ${bound}`, 'laptop']] as const) {
      const env = { KUBESIFT_WEBHOOK_SECRET_FALCO: setting };
      const run = start(['--no-demo'], env, { data: path.join(work, 'data-env') });
      try {
        await run.waitFor(/-d '\{"output"/);
        const out = run.output();
        for (const secret of [bound, plain]) expect(out).not.toContain(secret);
        const line = /curl -s -X POST '([^']+)' -H "Authorization: Bearer \$\(node -p '([^']+)'\)"/.exec(out);
        expect(line, out).not.toBeNull();
        const url = new URL(line![1]!);
        expect(url.searchParams.get('cluster')).toBe(cluster);
        // The expression, run as the shell runs it, reads the first entry's secret.
        const secret = spawnSync(process.execPath, ['-p', line![2]!], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim();
        expect(secret).toBe(setting.split(' ')[0]!.replace(/^[^:]*:/, ''));
        const body = /-d '(\{"output".*\})'/.exec(out)![1]!;
        const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body });
        expect(res.status, await res.text()).toBe(202);
      } finally {
        run.child.kill('SIGINT');
        await run.exited;
      }
    }
  });

  it('a secret from the environment the app refuses is named at start-up (its source is off), without the secret', async () => {
    const run = start(['--once', '--no-demo'], { KUBESIFT_WEBHOOK_SECRET_KUBEARMOR: 'tiny-pw' }, { data: path.join(work, 'data-env') });
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toContain('WARNING: a webhook source is off (every request 503) until fixed: KUBESIFT_WEBHOOK_SECRET_KUBEARMOR is shorter than 16 characters');
    expect(run.output()).not.toContain('tiny-pw');
    expect(run.output().match(/WARNING: a webhook source is off/g)).toHaveLength(1);
  });

  it('a relative --data is the folder where npm was typed (INIT_CWD); the runner state stays where it runs', async () => {
    const typedIn = mkdtempSync(path.join(work, 'typed-in-'));
    const run = start(['--once', '--no-demo'], { INIT_CWD: typedIn }, { data: 'my-data' });
    expect(await run.exited, run.output()).toBe(0);
    expect(existsSync(path.join(typedIn, 'my-data'))).toBe(true);
    expect(existsSync(path.join(work, 'my-data'))).toBe(false);
    expect(existsSync(path.join(work, '.kubesift', 'webhook-secrets.json'))).toBe(true);
  });

  it('a second runner on the same data folder exits 1 before starting anything; the first frees the folder when it stops', async () => {
    // Each Azurite rewrites its whole database when it saves: the two used to drop each other's blobs.
    const data = path.join(work, 'data-shared');
    const first = start(['--no-demo'], {}, { data });
    await first.waitFor(/Serving on http/);
    try {
      const second = start(['--once'], {}, { data });
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(`data folder ${data} is in use by pid ${first.child.pid} (another npm start?): stop it, or pass --data DIR`);
      expect(second.output()).not.toMatch(/Azurite:|Generating/);
    } finally {
      // SIGINT and wait, also when an expectation failed: afterAll's SIGKILL would orphan its Azurite.
      first.child.kill('SIGINT');
      await first.exited;
    }
    expect(first.child.exitCode).toBe(0);
    expect(existsSync(path.join(data, '.kubesift-lock'))).toBe(false);
    const third = start(['--once', '--no-demo'], {}, { data });
    expect(await third.exited, third.output()).toBe(0);
  });

  it("runs the demo under policies/demo.json unless a policy or profile is given (KUBESIFT_POLICY_PROFILE=falco was overridden by demo.json's own profile)", async () => {
    const demo = /detection policy: \S*policies\/demo\.json \(aks profile \+ the demo cluster's team/;
    for (const [env, banner] of [
      [{}, demo],
      [{ KUBESIFT_POLICY_PROFILE: 'falco' }, /detection policy: yours \(profile falco\)/],
      [{ KUBESIFT_POLICY: '' }, demo],
    ] as const) {
      const run = start(['--once', '--no-demo'], { KUBESIFT_POLICY: '', KUBESIFT_POLICY_PATH: '', KUBESIFT_POLICY_PROFILE: '', ...env }, { data: path.join(work, 'data-policy') });
      expect(await run.exited, run.output()).toBe(0);
      expect(run.output()).toMatch(banner);
    }
  });

  it('an Azurite port the user named that is taken is an error naming it, before anything starts (it was swapped for a free one silently)', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as AddressInfo).port;
    try {
      for (const flag of ['--blob-port', '--queue-port']) {
        const run = start(['--once', flag, String(port)], {}, { data: path.join(work, 'data-port') });
        expect(await run.exited, run.output()).toBe(1);
        expect(run.output()).toContain(`${flag} ${port} is in use (another Azurite, or npm start?): stop it, or pass ${flag} 0 for a free one`);
        expect(run.output()).not.toMatch(/Azurite:|Generating/);
      }
    } finally {
      holder.close();
    }
    expect(existsSync(path.join(work, 'data-port'))).toBe(false);
  });

  it('a --count too small for the demo\'s scenarios is a usage error naming --count, before anything starts; negative seeds are taken', async () => {
    for (const args of [['--count', '10'], ['--seed', '-1', '--count', '10'], ['--seed=-9007199254740991', '--count', '41']]) {
      const run = start(args, {}, { data: path.join(work, 'data-never') });
      expect(await run.exited, run.output()).toBe(2);
      expect(run.output()).toMatch(/^npm start: --count: count \d+ is too small for scenarios .*: need at least \d+ .*--no-demo skips it\)\n\nusage: npm start/);
    }
    expect(existsSync(path.join(work, 'data-never'))).toBe(false);
    const seed = start(['--seed', '1.5'], {}, { data: path.join(work, 'data-never') });
    expect(await seed.exited).toBe(2);
    expect(seed.output()).toMatch(/^npm start: --seed must be an integer/);
    const input = start(['--input', 'no-such-bodies.jsonl'], {}, { data: path.join(work, 'data-never') });
    expect(await input.exited).toBe(2);
    expect(input.output()).toMatch(/^npm start: --input: cannot read no-such-bodies\.jsonl \(no such file or folder\)/);
    // A folder with no body file in it (the fixtures folder: subfolders and a README) says so, before anything starts.
    mkdirSync(path.join(work, 'no-bodies', 'sub'), { recursive: true });
    const empty = start(['--input', path.join(work, 'no-bodies')], {}, { data: path.join(work, 'data-never') });
    expect(await empty.exited).toBe(2);
    expect(empty.output()).toContain(`npm start: --input: no body files in ${path.join(work, 'no-bodies')}: it holds no .json, .jsonl or .ndjson file (gzipped or not); subfolders are not searched`);
    expect(existsSync(path.join(work, 'data-never'))).toBe(false);
  });

  it('SIGTERM in the middle of a long demo stops Azurite before the runner dies of it', async () => {
    const run = start(['--count', '200000', '--data', path.join(work, 'data-term')]);
    const [, blobPort] = await run.waitFor(/Azurite: blob http:\/\/127\.0\.0\.1:(\d+)/);
    await run.waitFor(/Generating the demo AKS dataset/);
    run.child.kill('SIGTERM');
    await run.exited;
    expect(run.child.signalCode).toBe('SIGTERM');
    expect(await portOpen(Number(blobPort))).toBe(false);
    expect(existsSync(path.join(work, 'data-term', '.kubesift-lock'))).toBe(false);
  });

  it('a start that fails after taking the data folder frees it again', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const data = path.join(work, 'data-port-taken');
      const run = start(['--no-demo', '--port', String((taken.address() as AddressInfo).port)], {}, { data });
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(/port \d+ on 127\.0\.0\.1 is in use \(another npm start\?\): stop it, or pass --port 0/);
      expect(existsSync(data)).toBe(true);
      expect(existsSync(path.join(data, '.kubesift-lock'))).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('--once exits 1 when the demo batches fail to land', async () => {
    // A direct sink pointed at a closed port: every landing attempt fails.
    const run = start(['--once', '--data', path.join(work, 'data-fail')], { KUBESIFT_SINK: 'direct', KUBESIFT_KUSTO_CLUSTER_URL: 'http://127.0.0.1:1', KUBESIFT_KUSTO_AUTH: 'none', KUBESIFT_LAND_RETRIES: '0' });
    expect(await run.exited, run.output()).toBe(1);
    expect(run.output()).toMatch(/demo batch\(es\) failed/);
    expect(run.output()).toContain('stopped.');
  });

  it('a second start reuses the data, serves until SIGINT, then stops Azurite', async () => {
    const run = start([]);
    const [, url] = await run.waitFor(/Serving on (http:\/\/127\.0\.0\.1:\d+)\/api\//);
    expect(run.output()).toMatch(/already landed by an earlier run: skipped/);
    const res = await fetch(`${url}/api/eventgrid`, { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } });
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    const blobPort = Number(/Azurite: blob http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())?.[1]);
    expect(await portOpen(blobPort)).toBe(true);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('SIGINT: stopping the HTTP server and Azurite');
    expect(await portOpen(blobPort)).toBe(false);
  });

  it('Ctrl-C right after a webhook alert was answered 202 still lands it: Azurite serves until the runner is done (its own process group)', async () => {
    const data = path.join(work, 'data-ctrl-c-alert');
    const run = start(['--no-demo'], {}, { data, ownGroup: true });
    const [, url] = await run.waitFor(/Serving on (http:\/\/127\.0\.0\.1:\d+)\/api\//);
    const secret = (JSON.parse(readFileSync(path.join(work, '.kubesift', 'webhook-secrets.json'), 'utf8')) as Record<string, string>).falco!;
    const alert = { output: 'shell in container', priority: 'Warning', rule: 'Ctrl-C race probe', time: '2025-04-20T10:00:00Z', output_fields: { 'k8s.ns.name': 'default', 'k8s.pod.name': 'web' } };
    const res = await fetch(`${url}/api/webhooks/falco?cluster=laptop`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify(alert) });
    expect(res.status).toBe(202);
    const t0 = Date.now();
    process.kill(-run.child.pid!, 'SIGINT'); // what a terminal's Ctrl-C sends: the runner's whole group
    expect(await run.exited, run.output()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(run.output()).not.toMatch(/could not land|ECONNREFUSED/);
    // The next start finds the alert in the landing container.
    const again = start(['--no-demo'], {}, { data });
    try {
      const [, url2] = await again.waitFor(/Serving on (http:\/\/127\.0\.0\.1:\d+)\/api\//);
      const found = (await (await fetch(`${url2}/api/detections`)).text()).includes('Ctrl-C race probe');
      expect(found).toBe(true);
    } finally {
      again.child.kill('SIGINT');
      await again.exited;
    }
  });

  it('a runner killed outright (SIGKILL: no cleanup) takes Azurite down with it, and Azurite saves first: the pipe of its lifeline closes', async () => {
    const data = path.join(work, 'data-killed');
    const run = start(['--no-demo'], {}, { data });
    await run.waitFor(/Serving on http/);
    const connection = /export KUBESIFT_STORAGE_CONNECTION='([^']+)'/.exec(run.output())![1]!;
    const blobPort = Number(/Azurite: blob http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())?.[1]);
    // Written just before the kill: within Azurite's 5 s autosave, only its shutdown saves it.
    const kept = BlobServiceClient.fromConnectionString(connection).getContainerClient('kept');
    await kept.createIfNotExists();
    await kept.getBlockBlobClient('before-kill.txt').upload('x', 1);
    run.child.kill('SIGKILL');
    await run.exited;
    const deadline = Date.now() + 15_000;
    while ((await portOpen(blobPort)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await portOpen(blobPort)).toBe(false);
    const again = await startAzurite({ location: data });
    try {
      expect(await BlobServiceClient.fromConnectionString(again.connectionString).getContainerClient('kept').getBlobClient('before-kill.txt').exists()).toBe(true);
    } finally {
      await again.stop();
    }
  });

  it('Ctrl-C right after the demo (SIGINT to the runner\'s whole process group) keeps what the demo landed', async () => {
    const data = path.join(work, 'data-ctrl-c');
    const run = start([], {}, { data, ownGroup: true });
    await run.waitFor(/Serving on http/);
    expect(run.output()).toMatch(/landed: {10}AksAudit \d+/);
    process.kill(-run.child.pid!, 'SIGINT'); // at once: within Azurite's 5 s autosave interval
    expect(await run.exited).toBe(0);
    const again = start(['--once'], {}, { data });
    expect(await again.exited).toBe(0);
    expect(again.output()).toMatch(/landed: {10}nothing new \(\d+ already landed by an earlier run: skipped\)/);
    // Another seed is other data: it lands (it was skipped as "already landed" when every demo
    // sat at partition 0, sequence 0…), and only once.
    const other = start(['--once', '--seed', '7'], {}, { data });
    expect(await other.exited).toBe(0);
    expect(other.output()).toMatch(/landed: {10}AksAudit \d+/);
    const otherAgain = start(['--once', '--seed', '7'], {}, { data });
    expect(await otherAgain.exited).toBe(0);
    expect(otherAgain.output()).toMatch(/landed: {10}nothing new/);
  });
});
