// Credentials are built once per setting and reused: each one caches its tokens, so a new one
// per request would fetch a token from the identity endpoint every time.
import { ManagedIdentityCredential, DefaultAzureCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../functions/config.js';
import { blobServiceFor, credentialFor } from '../functions/land/clients.js';

describe('credentialFor', () => {
  it('one credential per auth mode and client id; none for auth=none', () => {
    const mi = loadConfig({ KUBESIFT_KUSTO_AUTH: 'managed-identity', AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001' });
    const a = credentialFor(mi);
    expect(a).toBeInstanceOf(ManagedIdentityCredential);
    expect(credentialFor(loadConfig({ KUBESIFT_KUSTO_AUTH: 'managed-identity', AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001' }))).toBe(a);
    expect(credentialFor(loadConfig({ KUBESIFT_KUSTO_AUTH: 'managed-identity', AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000002' }))).not.toBe(a);
    const d = credentialFor(loadConfig({ KUBESIFT_KUSTO_AUTH: 'default' }));
    expect(d).toBeInstanceOf(DefaultAzureCredential);
    expect(credentialFor(loadConfig({ KUBESIFT_KUSTO_AUTH: 'default' }))).toBe(d);
    expect(credentialFor(loadConfig({ KUBESIFT_SINK: 'direct', KUBESIFT_KUSTO_CLUSTER_URL: 'http://127.0.0.1:8080', KUBESIFT_KUSTO_AUTH: 'none' }))).toBeNull();
  });
});

describe('blobServiceFor', () => {
  it('uses the blob endpoint Bicep sets (any cloud), else the public cloud\'s', () => {
    const china = loadConfig({ KUBESIFT_STORAGE_ACCOUNT: 'stkubesift', KUBESIFT_STORAGE_BLOB_URL: 'https://stkubesift.blob.core.chinacloudapi.cn/' });
    expect(blobServiceFor(china).url).toBe('https://stkubesift.blob.core.chinacloudapi.cn/');
    expect(blobServiceFor(loadConfig({ KUBESIFT_STORAGE_ACCOUNT: 'stkubesift' })).url).toBe('https://stkubesift.blob.core.windows.net/');
  });
});
