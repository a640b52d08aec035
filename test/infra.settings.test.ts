// App-settings drift between the Function App in Bicep (infra/modules/functionapp.bicep)
// and the config schema (functions/config.ts), in both directions:
//   - every app setting Bicep writes is a schema key or a known Functions-host key;
//   - every schema key is written by Bicep, or listed below as local-only or left at its
//     schema default, with the reason. A key added to config.ts fails here until it is
//     classified (and, if the deployed app needs it, set in functionapp.bicep).
// Plus: the settings Bicep writes pass loadConfig() for every allowed sink/profile, the
// names in main.bicep equal the schema defaults, every %SETTING% / connection a trigger
// binds to is set, and no setting deprecated on Flex Consumption is written.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, configSchema, loadConfig } from '../functions/config.js';
import { MALLOC_SETTINGS, WANTED_SEMI_SPACE_MB, workerHeap } from '../functions/eventhub/workerHeap.js';
import { literalString, objectEntries, objectsIn, readBicep, repoRoot, stringLiterals, type Node } from './infra-bicep.js';

/** Schema keys deliberately not set in Azure, and why. */
export const LOCAL_ONLY: Record<string, string> = {
  AzureWebJobsStorage: 'connection-string form (Azurite); in Azure the host uses AzureWebJobsStorage__blobServiceUri (and queue, table) with the managed identity',
  KUBESIFT_STORAGE_CONNECTION: 'Azurite connection string; in Azure the code uses KUBESIFT_STORAGE_ACCOUNT with the managed identity',
  KUBESIFT_POLICY_PATH: 'path to a local policy file; in Azure pass the policy inline (main.bicep policyJson → KUBESIFT_POLICY)',
};

/** Schema keys Bicep leaves unset so the schema default applies (tuning; override as an app setting). */
export const SCHEMA_DEFAULTS: Record<string, string> = {
  KUBESIFT_WEBHOOK_MAX_BYTES: 'largest webhook body',
  KUBESIFT_LAND_RETRIES: 'sink retries',
  KUBESIFT_LAND_RETRY_BASE_MS: 'first retry delay',
  KUBESIFT_LAND_TIMEOUT_MS: 'per-attempt sink timeout',
  KUBESIFT_STREAMING_MAX_BYTES: 'managed sink streaming/queued threshold',
  KUBESIFT_INGEST_TAGS: 'ingest-by tags on queued landings (batch, the default, or off at high ingestion rates)',
  KUBESIFT_DATASET_MAX_COUNT: 'largest POST /api/datasets count',
};

/** Functions-host / platform settings Bicep may write that are not KubeSift's schema. */
const HOST_KEYS = new Set([
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'EventHubConnection__fullyQualifiedNamespace',
  'EventHubConnection__credential',
  'EventHubConnection__clientId',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'NODE_OPTIONS',
  'MALLOC_MMAP_THRESHOLD_',
  'MALLOC_TRIM_THRESHOLD_',
]);

/** Deprecated or rejected on Flex Consumption (runtime and deployment live in functionAppConfig). */
const FLEX_DEPRECATED = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
];

const app = readBicep('infra/modules/functionapp.bicep');
const main = readBicep('infra/main.bicep');

/** Setting name → value node, from every object literal in the `*Settings` variables. */
function bicepSettings(): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const [name, value] of app.vars) {
    if (!name.endsWith('Settings') || name === 'appSettings') continue;
    for (const obj of objectsIn(value)) {
      for (const [k, v] of objectEntries(obj)) {
        expect(out.has(k), `${k} declared twice`).toBe(false);
        out.set(k, v);
      }
    }
  }
  return out;
}

const settings = bicepSettings();
const settingNames = [...settings.keys()];
const schemaKeys = new Set<string>(CONFIG_KEYS);

describe('Function App settings ↔ functions/config.ts', () => {
  it('reads the settings out of functionapp.bicep', () => {
    expect(settingNames.length).toBeGreaterThan(15);
    // appSettings is the union of every *Settings variable, and it is what the site uses.
    const parts = [...app.vars.keys()].filter((n) => n.endsWith('Settings') && n !== 'appSettings');
    const union = app.vars.get('appSettings')!.text;
    for (const p of parts) expect(union, `appSettings must include ${p}`).toMatch(new RegExp(`\\b${p}\\b`));
    const site = app.resources.find((r) => r.type === 'Microsoft.Web/sites')!.node.text;
    expect(site).toMatch(/appSettings:\s*\[\s*for\s+\w+\s+in\s+items\(appSettings\)/);
  });

  it('the Node worker runs with the V8 flags of local.settings.example.json (the bench measures with them)', () => {
    const example = JSON.parse(readFileSync(join(repoRoot, 'local.settings.example.json'), 'utf8')) as { Values: Record<string, string> };
    const flags = example.Values.NODE_OPTIONS;
    expect(flags).toMatch(/--max-semi-space-size=\d+/);
    // The worker's first-batch log line compares against the same value.
    expect(workerHeap([], flags)).toEqual({ semiSpaceMb: WANTED_SEMI_SPACE_MB, source: 'NODE_OPTIONS' });
    expect(literalString(settings.get('NODE_OPTIONS')!)).toBe(flags);
  });

  it('the Node worker gets the glibc malloc settings of local.settings.example.json (the bench measures with them)', () => {
    const example = JSON.parse(readFileSync(join(repoRoot, 'local.settings.example.json'), 'utf8')) as { Values: Record<string, string> };
    const malloc = Object.entries(example.Values).filter(([k]) => k.startsWith('MALLOC_'));
    // Exactly the ones the bench passes on and the worker's first batch reports.
    expect(malloc.map(([k]) => k).sort()).toEqual([...MALLOC_SETTINGS].sort());
    for (const [k, v] of malloc) {
      expect(literalString(settings.get(k)!), k).toBe(v);
      expect(Number(v), k).toBeGreaterThan(0);
    }
    // Trim above the mmap threshold, or freed blocks below the threshold go back to the kernel anyway.
    expect(Number(example.Values.MALLOC_TRIM_THRESHOLD_)).toBeGreaterThan(Number(example.Values.MALLOC_MMAP_THRESHOLD_));
  });

  it('every Bicep setting is a schema key or a known host key', () => {
    expect(settingNames.filter((k) => !schemaKeys.has(k) && !HOST_KEYS.has(k))).toEqual([]);
  });

  it('every schema key is set by Bicep, local-only, or left at its schema default', () => {
    const unclassified = CONFIG_KEYS.filter((k) => !settings.has(k) && !(k in LOCAL_ONLY) && !(k in SCHEMA_DEFAULTS));
    expect(unclassified, 'new config keys: set them in functionapp.bicep or classify them in this test').toEqual([]);
  });

  it('the classification lists are current and disjoint', () => {
    for (const k of [...Object.keys(LOCAL_ONLY), ...Object.keys(SCHEMA_DEFAULTS)]) {
      expect(schemaKeys.has(k), `${k} is no longer a schema key`).toBe(true);
      expect(settings.has(k), `${k} is classified but also set in Bicep`).toBe(false);
    }
    expect(Object.keys(LOCAL_ONLY).filter((k) => k in SCHEMA_DEFAULTS)).toEqual([]);
  });

  it('keys left unset are optional or have a schema default', () => {
    const shape = configSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;
    for (const k of Object.keys(LOCAL_ONLY)) expect(shape[k]!.safeParse(undefined).success, k).toBe(true);
    for (const k of Object.keys(SCHEMA_DEFAULTS)) {
      const r = shape[k]!.safeParse(undefined);
      expect(r.success && r.data !== undefined, `${k} needs a schema default to be left unset`).toBe(true);
    }
  });

  it('writes no setting deprecated on Flex Consumption', () => {
    expect(settingNames.filter((k) => FLEX_DEPRECATED.includes(k))).toEqual([]);
    const src = readFileSync(join(repoRoot, 'infra/modules/functionapp.bicep'), 'utf8');
    expect(src).toMatch(/functionAppConfig:/);
    expect(src).not.toMatch(/linuxFxVersion/);
  });

  it('uses identity-based connections only (no connection strings with secrets)', () => {
    expect(settings.has('AzureWebJobsStorage')).toBe(false);
    expect(settings.has('KUBESIFT_STORAGE_CONNECTION')).toBe(false);
    expect(literalString(settings.get('AzureWebJobsStorage__credential'))).toBe('managedidentity');
    expect(literalString(settings.get('EventHubConnection__credential'))).toBe('managedidentity');
    expect(literalString(settings.get('KUBESIFT_KUSTO_AUTH'))).toBe('managed-identity');
    expect(settings.get('AZURE_CLIENT_ID')?.text).toBe('identityClientId');
  });

  it('host storage is reached at the account\'s own endpoints, never a name the host completes with *.core.windows.net', () => {
    expect(settings.has('AzureWebJobsStorage__accountName')).toBe(false);
    const passed = main.modules.find((x) => x.symbol === 'functionApp')!.node.text;
    for (const service of ['blob', 'queue', 'table']) {
      expect(settings.get(`AzureWebJobsStorage__${service}ServiceUri`)?.text).toBe(`${service}Endpoint`);
      expect(passed).toMatch(new RegExp(`\\b${service}Endpoint: storage\\.outputs\\.${service}Endpoint\\b`));
    }
  });
});

// Values for settings whose Bicep value is an expression (parameter, output, ...).
const PLACEHOLDERS: Record<string, string> = {
  AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000000',
  KUBESIFT_STORAGE_ACCOUNT: 'stkubesiftabcdefghijk',
  KUBESIFT_STORAGE_BLOB_URL: 'https://stkubesiftabcdefghijk.blob.core.chinacloudapi.cn/',
  KUBESIFT_KUSTO_CLUSTER_URL: 'https://adxkubesiftabc.westeurope.kusto.windows.net',
  KUBESIFT_KUSTO_INGEST_URL: 'https://ingest-adxkubesiftabc.westeurope.kusto.windows.net',
  KUBESIFT_KUSTO_DATABASE: 'kubesift',
  KUBESIFT_DEFAULT_CLUSTER: 'aks-prod',
  KUBESIFT_POLICY: '{}',
  // Bicep writes Key Vault references for these; the app sees the resolved secret.
  KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT: 'x'.repeat(32),
  KUBESIFT_WEBHOOK_SECRET_FALCO: 'y'.repeat(32),
  KUBESIFT_WEBHOOK_SECRET_KUBEARMOR: 'z'.repeat(32),
};

function allowedValues(file: typeof app, param: string): string[] {
  const p = file.params.find((x) => x.name === param);
  const dec = p?.node.previousNamedSibling;
  return dec ? stringLiterals(dec).filter((s) => !/\s/.test(s)) : [];
}

/** Literal default of a parameter (by name), if any. */
function paramDefault(file: typeof app, name: string): string | undefined {
  const p = file.params.find((x) => x.name === name);
  return p?.hasDefault ? literalString(p.node.namedChildren[p.node.namedChildren.length - 1]) : undefined;
}

/** Main-template string values of `var <name> = { ... }`. */
function mainObjectVar(name: string): Record<string, string> {
  const obj = main.vars.get(name)!;
  return Object.fromEntries(objectEntries(obj).map(([k, v]) => [k, literalString(v)!]));
}

function sampleEnv(overrides: Record<string, string>): Record<string, string> {
  const containers = mainObjectVar('containerNames');
  const hubs = mainObjectVar('hubNames');
  const fromMain: Record<string, string> = {
    KUBESIFT_LANDING_CONTAINER: containers.landing!,
    KUBESIFT_DEADLETTER_CONTAINER: containers.deadletter!,
    KUBESIFT_DATASETS_CONTAINER: containers.datasets!,
    KUBESIFT_CAPTURE_CONTAINER: containers.capture!,
    KUBESIFT_AKS_HUB: hubs.aks!,
    KUBESIFT_WEBHOOK_HUB: hubs.webhook!,
    KUBESIFT_CONSUMER_GROUP: literalString(main.vars.get('consumerGroup'))!,
  };
  const env: Record<string, string> = {};
  for (const [k, v] of settings) {
    if (!schemaKeys.has(k)) continue;
    const lit = literalString(v) ?? (v.type === 'ternary_expression' ? literalString(v.childForFieldName('consequence')) : undefined);
    const value = overrides[k] ?? fromMain[k] ?? lit ?? paramDefault(app, v.text) ?? paramDefault(main, v.text) ?? PLACEHOLDERS[k];
    expect(value, `no sample value for ${k} (${v.text}); add a placeholder`).toBeDefined();
    env[k] = value!;
  }
  return env;
}

describe('the settings Bicep writes form a valid configuration', () => {
  const sinks = allowedValues(app, 'sink');
  const profiles = allowedValues(app, 'policyProfile');

  it('knows the allowed sinks and profiles', () => {
    expect(sinks).toEqual(expect.arrayContaining(['queued', 'streaming', 'managed', 'blob']));
    expect(profiles).toEqual(expect.arrayContaining(['aks', 'falco']));
    expect(allowedValues(main, 'sink').sort()).toEqual([...sinks].sort());
  });

  it.each(sinks)('loadConfig() accepts KUBESIFT_SINK=%s', (sink) => {
    const cfg = loadConfig(sampleEnv({ KUBESIFT_SINK: sink }));
    expect(cfg.KUBESIFT_SINK).toBe(sink);
    expect(cfg.KUBESIFT_KUSTO_AUTH).toBe('managed-identity');
  });

  it.each(profiles)('loadConfig() accepts KUBESIFT_POLICY_PROFILE=%s', (profile) => {
    expect(loadConfig(sampleEnv({ KUBESIFT_POLICY_PROFILE: profile })).KUBESIFT_POLICY_PROFILE).toBe(profile);
  });

  it('main.bicep names equal the schema defaults', () => {
    const d = configSchema.parse({});
    const containers = mainObjectVar('containerNames');
    const hubs = mainObjectVar('hubNames');
    expect(containers).toEqual({
      landing: d.KUBESIFT_LANDING_CONTAINER,
      deadletter: d.KUBESIFT_DEADLETTER_CONTAINER,
      datasets: d.KUBESIFT_DATASETS_CONTAINER,
      capture: d.KUBESIFT_CAPTURE_CONTAINER,
    });
    expect(hubs).toEqual({ aks: d.KUBESIFT_AKS_HUB, webhook: d.KUBESIFT_WEBHOOK_HUB });
    expect(literalString(main.vars.get('consumerGroup'))).toBe(d.KUBESIFT_CONSUMER_GROUP);
    const db = main.params.find((p) => p.name === 'kustoDatabaseName')!;
    expect(literalString(db.node.namedChildren[db.node.namedChildren.length - 1])).toBe(d.KUBESIFT_KUSTO_DATABASE);
  });
});

describe('trigger bindings resolve in Azure', () => {
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) sources.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(repoRoot, 'functions'));
  const code = sources.join('\n');

  it('every %SETTING% a binding names is set by Bicep', () => {
    // Binding options such as eventHubName: '%KUBESIFT_AKS_HUB%'.
    const names = [...new Set([...code.matchAll(/\b\w+:\s*['"`]%([A-Za-z0-9_]+)%['"`]/g)].map((m) => m[1]!))];
    expect(names.filter((n) => !settings.has(n))).toEqual([]);
  });

  it('grants storage-queue access exactly when code or triggers use queues (least privilege)', () => {
    const usesQueues = /@azure\/storage-queue|app\.storageQueue|\.storageBlob\(|output\.storageQueue|input\.storageQueue/.test(code);
    const roles = readFileSync(join(repoRoot, 'infra/modules/roles.bicep'), 'utf8');
    const m = roles.match(/param grantQueueAccess bool = (true|false)/);
    expect(m, 'roles.bicep: grantQueueAccess parameter').not.toBeNull();
    const passed = main.modules.find((x) => x.symbol === 'roles')!.node.text.match(/grantQueueAccess:\s*(true|false)/)?.[1];
    expect((passed ?? m![1]) === 'true').toBe(usesQueues);
  });

  it('every binding connection has its identity-based settings', () => {
    const conns = [...new Set([...code.matchAll(/\bconnection:\s*['"]([A-Za-z0-9_]+)['"]/g)].map((m) => m[1]!))];
    for (const c of conns) {
      const ok = settings.has(c) || settings.has(`${c}__fullyQualifiedNamespace`) || settings.has(`${c}__accountName`) || settings.has(`${c}__blobServiceUri`);
      expect(ok, `connection ${c} has no app setting`).toBe(true);
    }
  });
});

describe('instance size', () => {
  it('offers no Flex Consumption instance too small for a full trigger batch (100 bodies of up to 1 MB: the worker alone peaks at 0.4–0.5 GB, beside the host)', () => {
    for (const file of ['infra/main.bicep', 'infra/modules/functionapp.bicep']) {
      const src = readFileSync(join(repoRoot, file), 'utf8');
      const allowed = /@allowed\(\[([^\]]*)\]\)\s*param instanceMemoryMB int/.exec(src);
      expect(allowed, file).not.toBeNull();
      const sizes = allowed![1]!.trim().split(/\s+/).map(Number);
      expect(sizes.length, file).toBeGreaterThan(0);
      expect(Math.min(...sizes), file).toBeGreaterThanOrEqual(2048);
    }
  });
});
