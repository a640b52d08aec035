// Starts Azurite (Blob + Queue) from node_modules on loopback, for `npm start` and tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** Well-known Azurite development account (public, documented by Microsoft; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  blobPort: number;
  queuePort: number;
  blobUrl: string;
  queueUrl: string;
  connectionString: string;
  /** Azurite's process id. */
  pid: number;
  /**
   * Stops Azurite and waits for it to exit. `graceMs`: after a signal sent to Azurite itself
   * (a terminal's Ctrl-C no longer reaches it: it has a process group of its own), first give
   * it that long to shut down by itself; see stopChild.
   */
  stop(opts?: { graceMs?: number }): Promise<void>;
}

export interface AzuriteOptions {
  /** Folder for persistent data; omitted → in-memory (tests). Never combined with in-memory. */
  location?: string;
  blobPort?: number;
  queuePort?: number;
}

// Ports are drawn below Linux's ephemeral range (32768+), which outgoing connections and
// `listen(0)` servers use: a port probed free there can be taken again before Azurite binds it.
const PORT_LOW = 20_000;
const PORT_SPAN = 12_000;

/** True when 127.0.0.1:port can be bound right now. */
export async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port that is free now, outside the ephemeral range (see above). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = PORT_LOW + Math.floor(Math.random() * PORT_SPAN);
    if (await portFree(port)) return port;
  }
  throw new Error(`no free port in ${PORT_LOW}-${PORT_LOW + PORT_SPAN}`);
}

export function connectionStringFor(blobPort: number, queuePort: number): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${DEV_ACCOUNT}`,
    `QueueEndpoint=http://127.0.0.1:${queuePort}/${DEV_ACCOUNT}`,
  ].join(';');
}

function azuriteEntry(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
}

/**
 * Resolves once both Blob and Queue endpoints accept connections. Ports left open are picked
 * here; if another process wins one of them first, Azurite is started again on fresh ones.
 */
export async function startAzurite(opts: AzuriteOptions = {}): Promise<AzuriteHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      const picked = opts.blobPort === undefined || opts.queuePort === undefined;
      if (!picked || attempt >= 5 || !/EADDRINUSE/.test(String(err))) throw err;
    }
  }
}

async function startOnce(opts: AzuriteOptions): Promise<AzuriteHandle> {
  const blobPort = opts.blobPort ?? (await freePort());
  const queuePort = opts.queuePort ?? (await freePort());
  // Table is unused but always listens; next to the well-known ports it takes the well-known 10002,
  // which `UseDevelopmentStorage=true` (the Functions host's AzureWebJobsStorage) expects.
  const tablePort = blobPort === 10_000 && (await portFree(10_002)) ? 10_002 : await freePort();
  const args = [
    azuriteEntry(),
    '--silent',
    '--skipApiVersionCheck',
    '--loose',
    '--disableProductStyleUrl',
    '--blobHost', '127.0.0.1', '--blobPort', String(blobPort),
    '--queueHost', '127.0.0.1', '--queuePort', String(queuePort),
    '--tableHost', '127.0.0.1', '--tablePort', String(tablePort),
  ];
  if (opts.location) {
    mkdirSync(opts.location, { recursive: true });
    args.push('--location', opts.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child: ChildProcess = spawn(process.execPath, ['-e', LIFELINE, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // Azurite prints "Azurite Blob service is closing..." when a signal starts its shutdown.
  let closing = false;
  child.stdout?.on('data', (d: Buffer) => void (closing ||= d.includes('is closing')));

  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`Azurite exited early (code ${code}): ${stderr.trim()}`))),
  );
  try {
    await Promise.race([Promise.all([waitForPort(blobPort), waitForPort(queuePort)]), exited]);
  } catch (err) {
    // Not listening in time: the child must not outlive the failed start.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw err;
  } finally {
    exited.catch(() => undefined);
  }

  return {
    blobPort,
    queuePort,
    blobUrl: `http://127.0.0.1:${blobPort}/${DEV_ACCOUNT}`,
    queueUrl: `http://127.0.0.1:${queuePort}/${DEV_ACCOUNT}`,
    connectionString: connectionStringFor(blobPort, queuePort),
    pid: child.pid!,
    stop: ({ graceMs = 0 } = {}) => stopChild(child, () => closing, graceMs),
  };
}

/**
 * Azurite runs in a process group of its own (spawn's `detached`), so a Ctrl-C at the terminal
 * reaches only the runner, which lands what is still in flight and then stops Azurite. In the
 * group, Azurite shut down at once on the same Ctrl-C, and a webhook alert already answered
 * 202 failed to land. Its lifeline is its stdin: when the runner dies without stopping it
 * (SIGKILL, a crash, a closed terminal), the pipe closes and Azurite shuts down as on SIGTERM,
 * saving its data, instead of living on. Two guards keep that save whole: writes to its
 * stdout/stderr (pipes to the dead runner) fail with EPIPE, which would end it mid-save, so
 * they are ignored; and a second SIGINT/SIGTERM (Azurite listens `once`) would fall to the
 * default action and kill it mid-save, so a listener of our own keeps every later one. On a
 * signal the lifeline lets go of stdin, or the open pipe kept Azurite alive after its shutdown
 * until stopChild's SIGKILL, 5 s later. `node -e` puts the arguments after the code in argv[1…].
 */
const LIFELINE = [
  'const [entry, ...rest] = process.argv.slice(1);',
  'let closing = false;',
  "for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { closing = true; process.stdin.destroy(); });",
  "for (const out of [process.stdout, process.stderr]) out.on('error', () => {});",
  "process.stdin.on('end', () => { if (!closing) process.kill(process.pid, 'SIGTERM'); }).resume();",
  'process.argv = [process.argv[0], entry, ...rest];',
  'require(entry);',
].join(' ');

/**
 * SIGTERM, once, unless Azurite is already shutting down (its lifeline, or a signal sent to it
 * directly). Azurite handles SIGINT and SIGTERM with the same shutdown, and a second signal
 * during it rejects ("Cannot close server in status Closing") unhandled, which ends the
 * process before its metadata is saved: the blobs and queues written since its last autosave
 * (every 5 s) are gone at the next start. After a signal of its own, the caller passes graceMs
 * and Azurite gets that long to exit by itself (it takes ~20 ms) before our SIGTERM.
 */
function stopChild(child: ChildProcess, closing: () => boolean, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    const timers: NodeJS.Timeout[] = [];
    child.once('exit', () => {
      for (const t of timers) clearTimeout(t);
      resolve();
    });
    const term = (): void => {
      if (!closing()) child.kill('SIGTERM');
      timers.push(setTimeout(() => child.kill('SIGKILL'), 5_000).unref());
    };
    if (graceMs > 0 && !closing()) timers.push(setTimeout(term, graceMs).unref());
    else term();
  });
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Azurite did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}
