// Which blob a Capture event points at, confined to our own capture container.
import type { BlobServiceClient } from '@azure/storage-blob';

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
  let name: string;
  try {
    name = file.pathname.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    return null; // a malformed %-escape (URIError): not a blob name we could have written
  }
  return name && !name.split('/').includes('..') ? name : null;
}
