// The data folder lock of `npm start` (scripts/local/dataLock.ts): two Azurites on one folder
// each rewrite its whole database when they save, so one runner's blobs vanish.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFolderBusy, LOCK_FILE, lockDataFolder } from '../scripts/local/dataLock.js';

const work = mkdtempSync(path.join(tmpdir(), 'kubesift-lock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The pid of a process that has exited. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('data folder lock', () => {
  it('creates the folder, holds the pid, refuses a second taker naming the holder, and is free again once released', () => {
    const dir = path.join(work, 'a', 'nested');
    const lock = lockDataFolder(dir);
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    let busy: unknown;
    try {
      lockDataFolder(dir);
    } catch (err) {
      busy = err;
    }
    expect(busy).toBeInstanceOf(DataFolderBusy);
    expect((busy as Error).message).toBe(`data folder ${dir} is in use by pid ${process.pid} (another npm start?): stop it, or pass --data DIR (and --port 0 if it also holds the port)`);
    lock.release();
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    lockDataFolder(dir).release();
  });

  it('takes over a stale lock (its pids are gone) or an empty one', () => {
    const dir = path.join(work, 'stale');
    lockDataFolder(dir).release();
    const dead = deadPid();
    writeFileSync(path.join(dir, LOCK_FILE), `${dead}\n`);
    const lock = lockDataFolder(dir);
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    writeFileSync(path.join(dir, LOCK_FILE), '');
    lockDataFolder(dir).release();
  });

  it('stays live while the Azurite it records runs, though the runner is gone', () => {
    const dir = path.join(work, 'orphan');
    const dead = deadPid();
    const lock = lockDataFolder(dir, dead);
    lock.addPid(process.pid); // stands in for the runner's Azurite, still running
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(`${dead}\n${process.pid}\n`);
    expect(() => lockDataFolder(dir)).toThrow(`in use by pid ${process.pid}`);
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('release leaves a lock that another runner has taken over alone', () => {
    const dir = path.join(work, 'taken');
    const mine = lockDataFolder(dir, deadPid());
    const theirs = lockDataFolder(dir); // ours looked stale: its pid is gone
    mine.release();
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    theirs.release();
  });
});
