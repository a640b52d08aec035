// Azure clients built from configuration: managed identity in Azure, a connection string
// (Azurite) locally, no auth only for loopback / Kustainer. Nothing here logs a secret.
import { BlobServiceClient } from '@azure/storage-blob';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { KustoConnectionStringBuilder } from 'azure-kusto-data';
import type { Config } from '../config.js';

/**
 * One credential per (auth mode, client id) for the worker's life: a credential caches its
 * tokens, so building one per request (a dataset upload, the detections page) fetched a new
 * token from the identity endpoint every time.
 */
const credentials = new Map<string, TokenCredential>();

export function credentialFor(config: Config): TokenCredential | null {
  const mode = config.KUBESIFT_KUSTO_AUTH;
  if (mode === 'none') return null;
  const key = `${mode}\u0000${config.AZURE_CLIENT_ID ?? ''}`;
  let cred = credentials.get(key);
  if (!cred) {
    cred =
      mode === 'default'
        ? new DefaultAzureCredential(config.AZURE_CLIENT_ID ? { managedIdentityClientId: config.AZURE_CLIENT_ID } : {})
        : config.AZURE_CLIENT_ID
          ? new ManagedIdentityCredential({ clientId: config.AZURE_CLIENT_ID })
          : new ManagedIdentityCredential();
    credentials.set(key, cred);
  }
  return cred;
}

/** The account's blob endpoint: the one Bicep sets (any cloud), else the public cloud's. */
export function blobUrlOf(config: Config): string {
  return config.KUBESIFT_STORAGE_BLOB_URL ?? `https://${config.KUBESIFT_STORAGE_ACCOUNT}.blob.core.windows.net`;
}

/** The setting blob storage comes from, in the order blobServiceFor reads them; null when none is set. */
export function storageSetting(config: Config): 'KUBESIFT_STORAGE_CONNECTION' | 'KUBESIFT_STORAGE_ACCOUNT' | 'AzureWebJobsStorage' | null {
  if (config.KUBESIFT_STORAGE_CONNECTION) return 'KUBESIFT_STORAGE_CONNECTION';
  if (config.KUBESIFT_STORAGE_ACCOUNT) return 'KUBESIFT_STORAGE_ACCOUNT';
  if (config.AzureWebJobsStorage) return 'AzureWebJobsStorage';
  return null;
}

export const NO_STORAGE = 'no storage configured: set KUBESIFT_STORAGE_CONNECTION (local) or KUBESIFT_STORAGE_ACCOUNT (managed identity)';

/**
 * The SDK's client for a connection-string setting. Its own parse is the check; its error
 * ("Invalid URL") did not say which setting held the bad string, and never echoes the string
 * (it holds the account key).
 */
function fromConnectionString(setting: 'KUBESIFT_STORAGE_CONNECTION' | 'AzureWebJobsStorage', value: string): BlobServiceClient {
  try {
    return BlobServiceClient.fromConnectionString(value);
  } catch (err) {
    throw new Error(`${setting} is not a usable storage connection string (${err instanceof Error ? err.message : String(err)}): expected UseDevelopmentStorage=true or DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…[;BlobEndpoint=…]`);
  }
}

/** Blob storage for landing files and dead letters. */
export function blobServiceFor(config: Config): BlobServiceClient {
  switch (storageSetting(config)) {
    case 'KUBESIFT_STORAGE_CONNECTION':
      return fromConnectionString('KUBESIFT_STORAGE_CONNECTION', config.KUBESIFT_STORAGE_CONNECTION!);
    case 'KUBESIFT_STORAGE_ACCOUNT':
      return new BlobServiceClient(blobUrlOf(config), credentialFor(config) ?? new DefaultAzureCredential());
    case 'AzureWebJobsStorage':
      return fromConnectionString('AzureWebJobsStorage', config.AzureWebJobsStorage!);
    case null:
      throw new Error(NO_STORAGE);
  }
}

export function kcsbFor(url: string, config: Config): KustoConnectionStringBuilder {
  const cred = credentialFor(config);
  return cred ? KustoConnectionStringBuilder.withTokenCredential(url, cred) : new KustoConnectionStringBuilder(url);
}

export function requireUrl(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is required for this sink`);
  return value;
}
