// `sift config`: print the settings table (README source) or `--check` the current environment.
import type { ZodType } from 'zod';
import { configSchema, loadConfig, ConfigError } from '../../functions/config.js';
import { webhookSecretProblems } from '../../functions/webhooks/sources.js';
import { parseCommandArgs } from './args.js';

const USAGE = 'usage: sift config [--check]\n  prints the settings table; --check validates the current environment\n';

export function settingsTable(): string {
  const rows = ['| Setting | Default | Meaning |', '|---|---|---|'];
  for (const [key, schema] of Object.entries(configSchema.shape) as [string, ZodType][]) {
    const probe = schema.safeParse(undefined);
    const def = probe.success && probe.data !== undefined ? `\`${String(probe.data)}\`` : '';
    rows.push(`| \`${key}\` | ${def} | ${(schema.description ?? '').replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs('sift config', USAGE, argv, { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (typeof args === 'number') return args;
  const { values } = args;
  if (!values.check) {
    process.stdout.write(settingsTable() + '\n');
    return 0;
  }
  try {
    const cfg = loadConfig();
    // The policy is read at the first batch: check it here too, or a broken one passes.
    const { policyFromConfig, PolicyError } = await import('../../functions/detect/index.js');
    try {
      policyFromConfig(cfg);
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      process.stderr.write(`policy: ${e.issues.join('; ')}\n`);
      return 1;
    }
    const secrets = webhookSecretProblems(cfg);
    if (secrets.length > 0) {
      process.stderr.write(`${secrets.join('\n')}\n`);
      return 1;
    }
    // Without storage the settings load, but the first dead letter (and with the blob sink,
    // the first row) fails, as do replay, generate --blob and /api/datasets.
    const { blobServiceFor, storageSetting, NO_STORAGE } = await import('../../functions/land/clients.js');
    const storage = storageSetting(cfg);
    if (storage === null) {
      process.stderr.write(`${NO_STORAGE}: the triggers write dead letters there${cfg.KUBESIFT_SINK === 'blob' ? ', and every row with KUBESIFT_SINK=blob' : ''}; sift replay, generate --blob and /api/datasets need it too\n`);
      return 1;
    }
    // The client, built offline as the app builds it: a connection string the SDK cannot parse fails here, not at the first dead letter.
    try {
      blobServiceFor(cfg);
    } catch (e) {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
    process.stdout.write(`configuration OK (storage: ${storage}, sink: ${cfg.KUBESIFT_SINK}, profile: ${cfg.KUBESIFT_POLICY_PROFILE}, policy ${cfg.KUBESIFT_POLICY ? 'KUBESIFT_POLICY' : cfg.KUBESIFT_POLICY_PATH ? cfg.KUBESIFT_POLICY_PATH : 'built in'})\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      return 1;
    }
    throw err;
  }
}
