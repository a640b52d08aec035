import { describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
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
