import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite } from '../scripts/azurite.js';
import { useAzurite } from './support/azurite.js';

describe('Azurite test harness', () => {
  const azurite = useAzurite();
  it('serves Blob and Queue with the current storage SDKs', async () => {
    const blobs = BlobServiceClient.fromConnectionString(azurite.current.connectionString);
    const c = blobs.getContainerClient('probe');
    await c.createIfNotExists();
    await c.getBlockBlobClient('a.txt').upload('hello', 5);
    const got = await c.getBlobClient('a.txt').downloadToBuffer();
    expect(got.toString()).toBe('hello');
    const queues = QueueServiceClient.fromConnectionString(azurite.current.connectionString);
    const q = queues.getQueueClient('probe');
    await q.createIfNotExists();
    await q.sendMessage('m1');
    const peek = await q.peekMessages();
    expect(peek.peekedMessageItems[0]?.messageText).toBe('m1');
  });
});

describe('Azurite stops by itself', () => {
  it('exits on our SIGTERM, not on the SIGKILL stop() falls back to 5 s later (its lifeline let go of stdin)', async () => {
    const az = await startAzurite({});
    const t0 = Date.now();
    await az.stop();
    // The fallback SIGKILL comes at 5,000 ms; Azurite's own shutdown takes ~30 ms.
    expect(Date.now() - t0).toBeLessThan(4_000);
  });
});

describe('Azurite with a data folder', () => {
  const blobsIn = async (connectionString: string): Promise<string[]> => {
    const names: string[] = [];
    const c = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('kept');
    if (!(await c.exists())) return names;
    for await (const b of c.listBlobsFlat()) names.push(b.name);
    return names;
  };

  it('keeps what was written just before a stop, also when Azurite got a signal of its own first (Ctrl-C)', async () => {
    const location = mkdtempSync(path.join(tmpdir(), 'kubesift-azurite-'));
    try {
      for (const [name, signalFirst] of [['plain.txt', false], ['ctrl-c.txt', true]] as const) {
        const az = await startAzurite({ location });
        const c = BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient('kept');
        await c.createIfNotExists();
        await c.getBlockBlobClient(name).upload('x', 1);
        // Within Azurite's 5 s autosave: only its shutdown saves this write.
        if (signalFirst) process.kill(az.pid, 'SIGINT');
        await az.stop({ graceMs: signalFirst ? 2_000 : 0 });
      }
      const az = await startAzurite({ location });
      try {
        expect((await blobsIn(az.connectionString)).sort()).toEqual(['ctrl-c.txt', 'plain.txt']);
      } finally {
        await az.stop();
      }
    } finally {
      rmSync(location, { recursive: true, force: true });
    }
  });
});
