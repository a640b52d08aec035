// Azure clients built from configuration: managed identity in Azure, a connection string
// (Azurite) locally, no auth only for loopback / Kustainer. Nothing here logs a secret.
import { BlobServiceClient } from '@azure/storage-blob';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { KustoConnectionStringBuilder } from 'azure-kusto-data';
import type { Config } from '../config.js';

export function credentialFor(config: Config): TokenCredential | null {
  switch (config.KUBESIFT_KUSTO_AUTH) {
    case 'none':
      return null;
    case 'default':
      return new DefaultAzureCredential(config.AZURE_CLIENT_ID ? { managedIdentityClientId: config.AZURE_CLIENT_ID } : {});
    case 'managed-identity':
      return config.AZURE_CLIENT_ID ? new ManagedIdentityCredential({ clientId: config.AZURE_CLIENT_ID }) : new ManagedIdentityCredential();
  }
}

/** Blob storage for landing files and dead letters. */
export function blobServiceFor(config: Config): BlobServiceClient {
  if (config.KUBESIFT_STORAGE_CONNECTION) return BlobServiceClient.fromConnectionString(config.KUBESIFT_STORAGE_CONNECTION);
  if (config.KUBESIFT_STORAGE_ACCOUNT)
    return new BlobServiceClient(`https://${config.KUBESIFT_STORAGE_ACCOUNT}.blob.core.windows.net`, credentialFor(config) ?? new DefaultAzureCredential());
  if (config.AzureWebJobsStorage) return BlobServiceClient.fromConnectionString(config.AzureWebJobsStorage);
  throw new Error('no storage configured: set KUBESIFT_STORAGE_CONNECTION (local) or KUBESIFT_STORAGE_ACCOUNT (managed identity)');
}

export function kcsbFor(url: string, config: Config): KustoConnectionStringBuilder {
  const cred = credentialFor(config);
  return cred ? KustoConnectionStringBuilder.withTokenCredential(url, cred) : new KustoConnectionStringBuilder(url);
}

export function requireUrl(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is required for this sink`);
  return value;
}
