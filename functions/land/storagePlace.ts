// How an error names the Blob storage it could not use: container and host only (a SAS in a
// container's URL is a secret; the account key never reaches it).
import type { ContainerClient } from '@azure/storage-blob';

export const storagePlace = (container: ContainerClient): string => `container ${container.containerName} at ${new URL(container.url).host}`;
