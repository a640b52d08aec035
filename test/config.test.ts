import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, loadConfig } from '../functions/config.js';
import { webhookSecretProblems } from '../functions/webhooks/sources.js';

const root = new URL('..', import.meta.url);
const example = JSON.parse(readFileSync(new URL('local.settings.example.json', root), 'utf8')) as { IsEncrypted: boolean; Values: Record<string, unknown> };
/** Keys the Functions host itself reads (not KubeSift's schema). */
// Read by the Functions host, Node or glibc, not by KubeSift.
const HOST_KEYS = ['FUNCTIONS_WORKER_RUNTIME', 'NODE_OPTIONS', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'EventHubConnection'];

function errorsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('local.settings.example.json', () => {
  it('names exactly the config schema keys plus the host keys', () => {
    expect(Object.keys(example.Values).sort()).toEqual([...CONFIG_KEYS, ...HOST_KEYS].sort());
    expect(example.IsEncrypted).toBe(false);
    expect(example.Values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
  });

  it('holds only strings (the host passes Values as environment variables) and validates', () => {
    for (const [k, v] of Object.entries(example.Values)) expect(typeof v, k).toBe('string');
    const cfg = loadConfig(example.Values as Record<string, string>);
    expect(cfg.KUBESIFT_SINK).toBe('blob');
    expect(cfg.KUBESIFT_STORAGE_ACCOUNT).toBeUndefined(); // "" means unset
  });

  it('every setting is documented in docs/ingest.md', () => {
    const doc = readFileSync(new URL('docs/ingest.md', root), 'utf8');
    for (const k of Object.keys(example.Values)) expect(doc, k).toContain(`\`${k}\``);
  });
});

describe('config schema errors', () => {
  it('applies defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ KUBESIFT_SINK: 'blob', KUBESIFT_AKS_HUB: 'aks-diagnostics', KUBESIFT_LAND_RETRIES: 3, KUBESIFT_INGEST_DATASETS: false, KUBESIFT_POLICY_PROFILE: 'aks' });
  });

  it('names the missing setting a sink needs', () => {
    expect(errorsOf({ KUBESIFT_SINK: 'queued' })).toEqual(['KUBESIFT_KUSTO_INGEST_URL: required when KUBESIFT_SINK=queued']);
    expect(errorsOf({ KUBESIFT_SINK: 'managed' })).toEqual([
      'KUBESIFT_KUSTO_CLUSTER_URL: required when KUBESIFT_SINK=managed',
      'KUBESIFT_KUSTO_INGEST_URL: required when KUBESIFT_SINK=managed',
    ]);
    expect(errorsOf({ KUBESIFT_SINK: 'direct' })[0]).toMatch(/^KUBESIFT_KUSTO_CLUSTER_URL: required/);
  });

  it('reports every invalid value at once, by key', () => {
    const issues = errorsOf({ KUBESIFT_SINK: 'kafka', KUBESIFT_LAND_RETRIES: 'many', KUBESIFT_STORAGE_ACCOUNT: 'Not_A_Name', KUBESIFT_KUSTO_CLUSTER_URL: 'not a url', KUBESIFT_INGEST_DATASETS: 'yes' });
    const keys = issues.map((i) => i.split(':')[0]);
    expect(keys.sort()).toEqual(['KUBESIFT_INGEST_DATASETS', 'KUBESIFT_KUSTO_CLUSTER_URL', 'KUBESIFT_LAND_RETRIES', 'KUBESIFT_SINK', 'KUBESIFT_STORAGE_ACCOUNT']);
    expect(issues.find((i) => i.startsWith('KUBESIFT_STORAGE_ACCOUNT'))).toMatch(/storage account name/);
  });

  it('refuses auth=none against a remote Kusto', () => {
    expect(errorsOf({ KUBESIFT_SINK: 'streaming', KUBESIFT_KUSTO_CLUSTER_URL: 'https://c.westeurope.kusto.windows.net', KUBESIFT_KUSTO_AUTH: 'none' })).toEqual([
      'KUBESIFT_KUSTO_AUTH: none is only allowed with the direct sink (Kustainer) or a loopback URL',
    ]);
    expect(loadConfig({ KUBESIFT_SINK: 'streaming', KUBESIFT_KUSTO_CLUSTER_URL: 'http://127.0.0.1:8080', KUBESIFT_KUSTO_AUTH: 'none' }).KUBESIFT_KUSTO_AUTH).toBe('none');
  });

  it('a short webhook secret does not stop the settings from loading (it would stop every trigger); it is reported per source', () => {
    const c = loadConfig({ KUBESIFT_WEBHOOK_SECRET_FALCO: 'short', KUBESIFT_WEBHOOK_SECRET_KUBEARMOR: 'k'.repeat(16) });
    expect(webhookSecretProblems(c)).toEqual(['KUBESIFT_WEBHOOK_SECRET_FALCO is shorter than 16 characters']);
    expect(webhookSecretProblems(loadConfig({}))).toEqual([]);
  });

  it('the default cluster is lower-cased like every cluster name, and a name that cannot be one is refused by key (it was taken as written)', () => {
    expect(loadConfig({ KUBESIFT_DEFAULT_CLUSTER: ' Prod-East ' }).KUBESIFT_DEFAULT_CLUSTER).toBe('prod-east');
    for (const bad of ['prod east', '-x', 'a/b', 'x'.repeat(64)]) {
      expect(() => loadConfig({ KUBESIFT_DEFAULT_CLUSTER: bad }), bad).toThrow(/KUBESIFT_DEFAULT_CLUSTER: must be 1-63 of a-z 0-9/);
    }
  });

  it("container names are checked as Azure Storage checks them, at start-up and by key (a bad dead-letter container failed only at a failing batch's final retry)", () => {
    const keys = ['KUBESIFT_LANDING_CONTAINER', 'KUBESIFT_DEADLETTER_CONTAINER', 'KUBESIFT_DATASETS_CONTAINER', 'KUBESIFT_CAPTURE_CONTAINER'];
    for (const key of keys) {
      for (const bad of ['Bad_Name', 'ab', 'x'.repeat(64), '-dead', 'dead-', 'dead--letter', 'dead letter', 'Deadletter']) {
        expect(errorsOf({ [key]: bad }), `${key}=${bad}`).toEqual([expect.stringMatching(new RegExp(`^${key}: must be a blob container name`))]);
      }
      for (const good of ['abc', 'dead-letter-2', 'x'.repeat(63), '0ab']) expect(loadConfig({ [key]: good })[key as 'KUBESIFT_LANDING_CONTAINER']).toBe(good);
    }
  });

  it('non-positive numbers are rejected', () => {
    expect(errorsOf({ KUBESIFT_WEBHOOK_MAX_BYTES: '0' })[0]).toMatch(/^KUBESIFT_WEBHOOK_MAX_BYTES: /);
    expect(errorsOf({ KUBESIFT_LAND_RETRIES: '11' })[0]).toMatch(/^KUBESIFT_LAND_RETRIES: /);
  });

  it('the error message lists every issue on its own line', () => {
    try {
      loadConfig({ KUBESIFT_SINK: 'x', KUBESIFT_POLICY_PROFILE: 'y' });
    } catch (e) {
      expect((e as Error).message).toMatch(/^Invalid KubeSift configuration:\n {2}- KUBESIFT_SINK: .*\n {2}- KUBESIFT_POLICY_PROFILE: /);
      return;
    }
    throw new Error('expected a throw');
  });

  it('ignores empty strings and unrelated environment variables', () => {
    expect(loadConfig({ KUBESIFT_SINK: '', PATH: '/bin', KUBESIFT_UNKNOWN: 'x' }).KUBESIFT_SINK).toBe('blob');
  });
});
