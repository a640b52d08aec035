// One runner per Azurite data folder. Each Azurite rewrites its whole database file when it
// saves, so two runners on one folder silently drop each other's blobs: the second is refused
// before it starts anything. The lock is a file in the folder holding the owners' pids (the
// runner's, then its Azurite's); one whose pids are all gone is stale and taken over.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = '.kubesift-lock';

/** The folder is held by a live process (a message for the user, naming it). */
export class DataFolderBusy extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data folder ${dir} is in use by pid ${pid} (another npm start?): stop it, or pass --data DIR (and --port 0 if it also holds the port)`);
    this.name = 'DataFolderBusy';
  }
}

export interface DataLock {
  readonly file: string;
  /** Records another process working on the folder (Azurite): the lock stays live while it runs, even if the runner was killed. */
  addPid(pid: number): void;
  /** Removes the lock if it is still ours; idempotent. */
  release(): void;
}

/** True while a process with this pid exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const pidsIn = (text: string): number[] =>
  text
    .split(/\s+/)
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n > 0);

function readLock(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Takes the folder's lock (creating the folder) or throws DataFolderBusy. Two runners taking
 * over the same stale lock in the same instant could both win; a dev tool does not need more.
 */
export function lockDataFolder(dir: string, pid = process.pid): DataLock {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = readLock(file);
      if (text === null) continue; // released meanwhile
      const owner = pidsIn(text).find(alive);
      if (owner !== undefined) throw new DataFolderBusy(dir, owner);
      // Stale (its processes are gone, or it is empty): remove it unless it changed meanwhile.
      if (readLock(file) === text) unlinkSync(file);
      continue;
    }
    let pids = [pid];
    try {
      writeSync(fd, `${pid}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const ours = (): boolean => !released && pidsIn(readLock(file) ?? '')[0] === pid;
    return {
      file,
      addPid(other) {
        if (!ours()) return;
        pids = [...pids, other];
        writeFileSync(file, `${pids.join('\n')}\n`);
      },
      release() {
        if (ours()) unlinkSync(file);
        released = true;
      },
    };
  }
  throw new Error(`could not take the lock ${file}: it keeps changing`);
}
