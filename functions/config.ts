import { z } from 'zod';
import { MAX_SIGNATURE_SKEW_S } from './webhooks/auth.js';
import { CLUSTER_NAME_RULE, clusterName } from './webhooks/cluster.js';

// Every app setting KubeSift reads, in one schema. The Bicep app settings and
// local.settings.example.json are checked against these keys by tests (no drift).
// `describe` texts feed the README configuration table.

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

const positiveInt = (def: number) => z.coerce.number().int().positive().default(def);
/**
 * A blob container name as Azure Storage takes it: 3-63 lower-case letters, digits and single
 * hyphens, starting and ending with a letter or digit. Storage refuses any other name only at
 * the first write, which for dead letters is the final retry of a failing batch.
 */
const containerName = z
  .string()
  .regex(/^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/, 'must be a blob container name: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit');

export const SINKS = ['blob', 'queued', 'streaming', 'managed', 'direct'] as const;

/** Shortest webhook secret accepted (a Bearer token or HMAC key a sender must not guess). */
export const MIN_WEBHOOK_SECRET = 16;

/** One secret of a webhook secret setting; `cluster` when it is bound to one (`<cluster>:<secret>`). */
export interface WebhookSecret {
  secret: string;
  /** The one cluster this secret may send as (lower-cased); undefined: any cluster. */
  cluster?: string;
  /** The text before the ':' when it is not a cluster name (a problem, never a binding). */
  badCluster?: string;
}

/**
 * The secrets a webhook secret setting holds: one, or several separated by white space while
 * senders move from the old one to the new one (`"<new> <old>"`), or one per cluster. Every
 * cluster's sender shares a plain secret, so any of them could post as another; written
 * `<cluster>:<secret>`, a secret authenticates only requests and alerts of that cluster.
 * Surrounding white space (a secret set from a file ends in a newline) is no part of a secret.
 */
export function webhookSecrets(value: string): WebhookSecret[] {
  return value.split(/\s+/).filter(Boolean).map((entry) => {
    const colon = entry.indexOf(':');
    if (colon < 0) return { secret: entry };
    const secret = entry.slice(colon + 1);
    const cluster = clusterName(entry.slice(0, colon));
    return cluster === null ? { secret, badCluster: entry.slice(0, colon) } : { secret, cluster };
  });
}

/**
 * What can be wrong with a configured webhook secret, first match wins. A Key Vault reference
 * the platform could not resolve (the identity's role not there yet, a deleted secret) reaches
 * the app as its own text: long enough, and guessable from the vault's and secret's names.
 */
const SECRET_PROBLEMS: readonly { bad: (v: string, secrets: readonly WebhookSecret[]) => boolean; why: string }[] = [
  { bad: (v) => /^@Microsoft\.KeyVault\(/i.test(v.trim()), why: "is a Key Vault reference the platform did not resolve (give the app's identity Key Vault Secrets User on the vault)" },
  { bad: (_, secrets) => secrets.length === 0 || secrets.some((s) => s.secret.length < MIN_WEBHOOK_SECRET), why: `is shorter than ${MIN_WEBHOOK_SECRET} characters` },
  // A typo in a binding must not quietly widen or drop it. The text before ':' is not echoed: it may be part of a secret.
  { bad: (_, secrets) => secrets.some((s) => s.badCluster !== undefined), why: `binds a secret to a cluster name that is not ${CLUSTER_NAME_RULE} (<cluster>:<secret>; a secret cannot contain ':')` },
];

/** What is wrong with a configured webhook secret (undefined when unset or fine), naming the setting, never the value. */
export function webhookSecretProblem(setting: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const secrets = webhookSecrets(value);
  const problem = SECRET_PROBLEMS.find((p) => p.bad(value, secrets));
  return problem && `${setting} ${problem.why}`;
}

export const configSchema = z
  .object({
    AzureWebJobsStorage: z
      .string()
      .min(1)
      .optional()
      .describe('Functions host storage. Locally: UseDevelopmentStorage=true or an Azurite connection string; in Azure: AzureWebJobsStorage__blobServiceUri, __queueServiceUri and __tableServiceUri (managed identity) instead. It also holds the Event Hubs checkpoints and leases'),
    KUBESIFT_STORAGE_CONNECTION: z
      .string()
      .min(1)
      .optional()
      .describe('Connection string for Blob/Queue (Azurite locally). Leave unset in Azure to use KUBESIFT_STORAGE_ACCOUNT with managed identity'),
    KUBESIFT_STORAGE_ACCOUNT: z
      .string()
      .regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name (3-24 lower-case letters/digits)')
      .optional()
      .describe('Storage account name used with managed identity'),
    KUBESIFT_STORAGE_BLOB_URL: z
      .url()
      .optional()
      .describe('Blob endpoint of KUBESIFT_STORAGE_ACCOUNT (set by Bicep from the account; needed outside the public cloud); default https://<account>.blob.core.windows.net'),
    KUBESIFT_LANDING_CONTAINER: containerName.default('landing').describe('Blob container for ingestion-ready landed files (blob sink)'),
    KUBESIFT_DEADLETTER_CONTAINER: containerName.default('deadletter').describe('Blob container for dead letters: deadletter/{yyyy}/{mm}/{dd}/...'),
    KUBESIFT_DATASETS_CONTAINER: containerName.default('datasets').describe('Blob container for generated datasets'),
    KUBESIFT_CAPTURE_CONTAINER: containerName.default('capture').describe('Blob container Event Hubs Capture writes Avro files to'),
    KUBESIFT_AKS_HUB: z.string().default('aks-diagnostics').describe('Event Hub that AKS diagnostic settings stream to'),
    KUBESIFT_WEBHOOK_HUB: z.string().default('webhook-events').describe('Event Hub the webhook HTTP functions forward to'),
    KUBESIFT_CONSUMER_GROUP: z.string().default('kubesift').describe('Consumer group of the Event Hub triggers'),
    KUBESIFT_SINK: z.enum(SINKS).default('blob').describe('Where rows land: blob (files + .ingest commands, no Kusto), queued, streaming, managed (streaming with queued fallback), direct (Kustainer)'),
    KUBESIFT_KUSTO_CLUSTER_URL: z.url().optional().describe('ADX query/engine URL, e.g. https://mycluster.westeurope.kusto.windows.net (direct/streaming); Kustainer: http://localhost:8080'),
    KUBESIFT_KUSTO_INGEST_URL: z.url().optional().describe('ADX data-management URL, e.g. https://ingest-mycluster.westeurope.kusto.windows.net (queued/managed)'),
    KUBESIFT_KUSTO_DATABASE: z.string().default('kubesift').describe('ADX database'),
    KUBESIFT_KUSTO_AUTH: z
      .enum(['managed-identity', 'default', 'none'])
      .default('managed-identity')
      .describe('managed-identity (Azure), default (DefaultAzureCredential: az login locally), none (Kustainer / loopback)'),
    AZURE_CLIENT_ID: z.string().optional().describe('Client id of the user-assigned managed identity (set by Bicep)'),
    KUBESIFT_POLICY: z.string().optional().describe('Detection policy as inline JSON (overrides KUBESIFT_POLICY_PATH)'),
    KUBESIFT_POLICY_PATH: z.string().optional().describe('Path to a detection policy JSON file'),
    KUBESIFT_POLICY_PROFILE: z.enum(['aks', 'falco']).default('aks').describe('Base policy profile: aks (knows AKS system users/add-ons) or falco (Falco defaults)'),
    // Checked per source (webhookSecretProblem), not here: one short secret must not stop
    // every trigger that loads the settings, the AKS pipeline included.
    KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT: z.string().optional().describe(`Shared secret for POST /api/audit-webhook/{cluster} and /api/webhooks/k8s-audit (Bearer token or HMAC key), at least ${MIN_WEBHOOK_SECRET} characters: a shorter one turns only that source off (503) and fails sift config --check. Two secrets separated by a space ("<new> <old>") are both accepted, for rotation. "<cluster>:<secret>" binds a secret to one cluster: its sender cannot post as another (one entry per cluster)`),
    KUBESIFT_WEBHOOK_SECRET_FALCO: z.string().optional().describe(`Shared secret for POST /api/webhooks/falco (at least ${MIN_WEBHOOK_SECRET} characters; rotation and "<cluster>:<secret>" as for K8S_AUDIT; a bound secret's alerts keep its cluster whatever k8s.cluster.name says, and another name there is flagged: kubesift:webhook-cluster-mismatch)`),
    KUBESIFT_WEBHOOK_SECRET_KUBEARMOR: z.string().optional().describe(`Shared secret for POST /api/webhooks/kubearmor (at least ${MIN_WEBHOOK_SECRET} characters; rotation and "<cluster>:<secret>" as for K8S_AUDIT; a bound secret's alerts keep its cluster whatever ClusterName says, and another name there is flagged: kubesift:webhook-cluster-mismatch)`),
    KUBESIFT_WEBHOOK_REQUIRE_TIMESTAMP: bool
      .default(false)
      .describe(`Refuse HMAC-signed webhook requests without X-KubeSift-Timestamp (Unix seconds, signed as "<timestamp>.<body>", within ${MAX_SIGNATURE_SKEW_S} s of the receiver clock) so a captured request cannot be replayed; Bearer requests are not affected`),
    KUBESIFT_WEBHOOK_MAX_BYTES: positiveInt(1_048_576).describe('Largest accepted webhook body (bytes); larger → 413'),
    // Lower-cased like every other cluster name (ADX compares them case-sensitively).
    KUBESIFT_DEFAULT_CLUSTER: z
      .string()
      .default('unknown')
      .transform((v, ctx) => {
        const name = clusterName(v);
        if (name === null) ctx.addIssue({ code: 'custom', message: `must be ${CLUSTER_NAME_RULE}` });
        return name ?? z.NEVER;
      })
      .describe(`Cluster name for webhook events that carry no resourceId. Lower-cased like every cluster name; one that is not ${CLUSTER_NAME_RULE} stops the settings from loading (sift config --check names it)`),
    KUBESIFT_LAND_RETRIES: z.coerce.number().int().min(0).max(10).default(3).describe('Sink retries (exponential backoff) before the batch fails'),
    KUBESIFT_LAND_RETRY_BASE_MS: positiveInt(200).describe('First retry delay in ms (doubles each retry)'),
    KUBESIFT_LAND_TIMEOUT_MS: positiveInt(30_000).describe('Timeout of one sink attempt in ms; a timed-out attempt is retried under the same ingestion tag (a late completion that committed first stops the retry; two in flight together can both land: see docs/adx.md)'),
    KUBESIFT_STREAMING_MAX_BYTES: positiveInt(4_000_000).describe('managed sink: larger payloads go queued instead of streaming'),
    KUBESIFT_INGEST_TAGS: z
      .enum(['batch', 'off'])
      .default('batch')
      .describe(
        'queued/managed sinks: batch tags each landing ingest-by:<batchKey>/<Table> with ingestIfNotExists (a redelivered batch adds no rows); off sends no tags, which ADX advises at high ingestion rates (a unique tag per ingestion can hurt its performance, and a tagged blob is ingested alone, never batched), and a redelivered batch then lands again for the <Table>Unique views to collapse: see docs/adx.md',
      ),
    KUBESIFT_DATASET_MAX_COUNT: positiveInt(1_000_000).describe('Largest count accepted by POST /api/datasets'),
    KUBESIFT_INGEST_DATASETS: bool.default(false).describe('Queue generated datasets into ADX by default'),
  })
  .superRefine((c, ctx) => {
    const needsKusto = c.KUBESIFT_SINK !== 'blob';
    if (c.KUBESIFT_SINK === 'direct' || c.KUBESIFT_SINK === 'streaming' || c.KUBESIFT_SINK === 'managed') {
      if (!c.KUBESIFT_KUSTO_CLUSTER_URL)
        ctx.addIssue({ code: 'custom', path: ['KUBESIFT_KUSTO_CLUSTER_URL'], message: `required when KUBESIFT_SINK=${c.KUBESIFT_SINK}` });
    }
    if ((c.KUBESIFT_SINK === 'queued' || c.KUBESIFT_SINK === 'managed') && !c.KUBESIFT_KUSTO_INGEST_URL)
      ctx.addIssue({ code: 'custom', path: ['KUBESIFT_KUSTO_INGEST_URL'], message: `required when KUBESIFT_SINK=${c.KUBESIFT_SINK}` });
    const urls = [c.KUBESIFT_KUSTO_CLUSTER_URL, c.KUBESIFT_KUSTO_INGEST_URL].filter((u): u is string => !!u);
    if (needsKusto && c.KUBESIFT_SINK !== 'direct' && c.KUBESIFT_KUSTO_AUTH === 'none' && !urls.every(isLoopback))
      ctx.addIssue({ code: 'custom', path: ['KUBESIFT_KUSTO_AUTH'], message: 'none is only allowed with the direct sink (Kustainer) or a loopback URL' });
  });

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

export type Config = z.output<typeof configSchema>;

/** Setting names, for drift tests against Bicep and local.settings.example.json. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof Config)[];

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid KubeSift configuration:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** What writing dead letters needs: storage, container, credentials, the hub's name. */
const STORAGE_KEYS = ['AzureWebJobsStorage', 'KUBESIFT_STORAGE_CONNECTION', 'KUBESIFT_STORAGE_ACCOUNT', 'KUBESIFT_DEADLETTER_CONTAINER', 'KUBESIFT_KUSTO_AUTH', 'AZURE_CLIENT_ID', 'KUBESIFT_AKS_HUB', 'KUBESIFT_WEBHOOK_HUB'] as const;

/**
 * The settings with only those dead-lettering needs taken from `env` (the rest at their
 * defaults): when the full settings do not load, a batch can still be kept whole.
 */
export function loadStorageConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(Object.fromEntries(STORAGE_KEYS.map((k) => [k, env[k]])));
}

/** Validate settings (process.env by default); throws ConfigError naming every bad key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return parsed.data;
}
