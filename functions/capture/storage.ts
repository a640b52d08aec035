// Blob access for reading capture files: a connection string locally (Azurite), the storage
// account name with managed identity in Azure.
import { BlobServiceClient } from '@azure/storage-blob';
import { DefaultAzureCredential } from '@azure/identity';
import type { Config } from '../config.js';

export function blobServiceFor(config: Config): BlobServiceClient {
  if (config.KUBESIFT_STORAGE_CONNECTION) return BlobServiceClient.fromConnectionString(config.KUBESIFT_STORAGE_CONNECTION);
  if (config.KUBESIFT_STORAGE_ACCOUNT) {
    const credential = new DefaultAzureCredential(config.AZURE_CLIENT_ID ? { managedIdentityClientId: config.AZURE_CLIENT_ID } : {});
    return new BlobServiceClient(`https://${config.KUBESIFT_STORAGE_ACCOUNT}.blob.core.windows.net`, credential);
  }
  throw new Error('no storage configured: set KUBESIFT_STORAGE_CONNECTION or KUBESIFT_STORAGE_ACCOUNT');
}

/**
 * Blob name of `fileUrl` when it points into `container` of this very account, else null.
 * Event Grid payloads are not trusted to make us fetch arbitrary URLs.
 */
export function blobNameIn(fileUrl: string, blobs: BlobServiceClient, container: string): string | null {
  let file: URL;
  let base: URL;
  try {
    file = new URL(fileUrl);
    base = new URL(blobs.url);
  } catch {
    return null;
  }
  if (file.origin !== base.origin) return null;
  const prefix = `${base.pathname.replace(/\/+$/, '')}/${encodeURIComponent(container)}/`;
  if (!file.pathname.startsWith(prefix)) return null;
  const name = file.pathname.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
  return name && !name.split('/').includes('..') ? name : null;
}
