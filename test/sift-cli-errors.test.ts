// sift generate and sift process as real processes whose stdout fails: a reader that goes away
// early (`| head -1`) ends the run quietly with exit 0, as a pipeline expects; any other write
// error (a full disk: /dev/full) is one line naming what could not be written and exit 1,
// never an unhandled 'error' event and its stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const SIFT = join(ROOT, 'scripts/sift.ts');
const FIXTURE = fileURLToPath(new URL('./fixtures/aks/mixed-categories.json', import.meta.url));
const FULL = '/dev/full';

interface Exit {
  code: number | null;
  stderr: string;
}

/** sift with stdout a pipe this test closes once `keep` bytes have come (0: before any has). */
function siftIntoClosingPipe(args: string[], keep: number): Promise<Exit & { read: number }> {
  const child = spawn(process.execPath, ['--import', TSX, SIFT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let read = 0;
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  if (keep === 0) child.stdout.destroy();
  else
    child.stdout.on('data', (c: Buffer) => {
      read += c.length;
      if (read >= keep) child.stdout.destroy();
    });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr, read })));
}

/** sift with stdout on /dev/full: every write fails with ENOSPC. */
function siftIntoFullDisk(args: string[]): Exit {
  const fd = openSync(FULL, 'w');
  try {
    const r = spawnSync(process.execPath, ['--import', TSX, SIFT, ...args], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

describe('sift generate | a reader that stops early', () => {
  it('closed before the first write: exit 0, nothing on stderr (it was an unhandled EPIPE error event, exit 1)', async () => {
    expect(await siftIntoClosingPipe(['generate', '--type', 'syslog', '--count', '1000'], 0)).toMatchObject({ code: 0, stderr: '' });
  }, 60_000);

  it('closed after the first chunk of a large dataset: exit 0, nothing on stderr (it printed "sift: write EPIPE", exit 1)', async () => {
    const r = await siftIntoClosingPipe(['generate', '--type', 'syslog', '--count', '200000'], 1);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.read).toBeGreaterThan(0);
  }, 60_000);
});

describe('sift kql | a reader that stops early (every command, not only generate and process)', () => {
  it('kql --list closed after the first chunk, and the whole script closed at once: exit 0, nothing on stderr (an EPIPE stack trace, exit 1)', async () => {
    const list = await siftIntoClosingPipe(['kql', '--list'], 1);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.read).toBeGreaterThan(0);
    expect(await siftIntoClosingPipe(['kql'], 0)).toMatchObject({ code: 0, stderr: '' });
  }, 60_000);
});

describe.skipIf(!existsSync(FULL))('sift … > /dev/full', () => {
  it('generate: one line naming stdout, exit 1', () => {
    expect(siftIntoFullDisk(['generate', '--type', 'syslog', '--count', '100000'])).toEqual({ code: 1, stderr: 'sift generate: cannot write stdout: ENOSPC: no space left on device, write\n' });
  }, 60_000);

  it('generate --out: one line naming the file, exit 1 (it said "sift: ENOSPC…")', () => {
    const r = spawnSync(process.execPath, ['--import', TSX, SIFT, 'generate', '--type', 'syslog', '--count', '100000', '--out', FULL], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 1, stderr: `sift generate: cannot write ${FULL}: ENOSPC: no space left on device, write\n` });
  }, 60_000);

  it('kql: one line naming stdout, exit 1', () => {
    expect(siftIntoFullDisk(['kql', '--list'])).toEqual({ code: 1, stderr: 'sift kql: cannot write stdout: ENOSPC: no space left on device, write\n' });
  }, 60_000);

  it('process: one line naming stdout, exit 1 (the error was rethrown: a stack trace)', () => {
    expect(siftIntoFullDisk(['process', FIXTURE])).toEqual({ code: 1, stderr: 'sift process: cannot write stdout: ENOSPC: no space left on device, write\n' });
  }, 60_000);
});

describe('sift process | a reader that stops early', () => {
  it('exit 0, nothing on stderr', async () => {
    expect(await siftIntoClosingPipe(['process', FIXTURE], 0)).toMatchObject({ code: 0, stderr: '' });
  }, 60_000);
});

describe('sift under npm run (which starts it in the package root)', () => {
  it("resolves the user's relative paths against the directory they ran npm in (INIT_CWD), not the repo root", () => {
    const dir = mkdtempSync(join(tmpdir(), 'sift-cwd-'));
    try {
      const gen = spawnSync(process.execPath, ['--import', TSX, SIFT, 'generate', '--type', 'syslog', '--count', '3', '--out', 'mine.log'], { cwd: ROOT, env: { ...process.env, INIT_CWD: dir }, encoding: 'utf8' });
      expect(gen.status, gen.stderr).toBe(0);
      expect(readFileSync(join(dir, 'mine.log'), 'utf8').trim().split('\n')).toHaveLength(3);
      expect(existsSync(join(ROOT, 'mine.log'))).toBe(false);
      // And an input path: the file just written, named relative to that directory, is read
      // (its syslog lines are no Event Hub body: dead letters, exit 0; from the root it would be missing, exit 1).
      const proc = spawnSync(process.execPath, ['--import', TSX, SIFT, 'process', 'mine.log'], { cwd: ROOT, env: { ...process.env, INIT_CWD: dir }, encoding: 'utf8' });
      expect(proc.status, proc.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
