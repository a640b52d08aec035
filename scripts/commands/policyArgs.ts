// The detection policy a CLI command runs: --policy FILE (an overlay) over --profile, else the
// environment's KUBESIFT_POLICY / KUBESIFT_POLICY_PATH over KUBESIFT_POLICY_PROFILE, as the
// deployed app reads them. `sift process` ignored the environment, so checking a deployment's
// policy with it quietly ran the defaults; `sift kql` rendered the default windows only.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, type Config } from '../../functions/config.js';
import { policyFromConfig, policyFromText, PolicyError, type Policy } from '../../functions/detect/index.js';
import { UsageError } from './args.js';

export const POLICY_OPTIONS = { policy: { type: 'string' }, profile: { type: 'string' } } as const;

export const POLICY_USAGE = `  --policy FILE       detection policy overlay (JSON, see docs/detections.md); without it, the
                      environment's KUBESIFT_POLICY or KUBESIFT_POLICY_PATH, as the app reads them
  --profile NAME      base policy profile, aks or falco (default KUBESIFT_POLICY_PROFILE, else aks)`;

// The app's own definitions of the three settings (the whole schema also checks unrelated ones).
const { KUBESIFT_POLICY, KUBESIFT_POLICY_PATH, KUBESIFT_POLICY_PROFILE } = configSchema.shape;
const POLICY_SETTINGS = z.object({ KUBESIFT_POLICY, KUBESIFT_POLICY_PATH, KUBESIFT_POLICY_PROFILE });

export function commandPolicy(values: { policy?: string | undefined; profile?: string | undefined }, env: NodeJS.ProcessEnv = process.env): Policy {
  // Empty settings are unset, as loadConfig takes them.
  const given = (k: keyof z.infer<typeof POLICY_SETTINGS>): string | undefined => (env[k] === '' ? undefined : env[k]);
  let profile = values.profile;
  if (profile === undefined) {
    const fromEnv = KUBESIFT_POLICY_PROFILE.safeParse(given('KUBESIFT_POLICY_PROFILE'));
    if (!fromEnv.success) throw new UsageError(`KUBESIFT_POLICY_PROFILE must be aks or falco, got '${env.KUBESIFT_POLICY_PROFILE}'`);
    profile = fromEnv.data;
  }
  if (profile !== 'aks' && profile !== 'falco') throw new UsageError(`--profile must be aks or falco, got ${profile}`);
  if (values.policy !== undefined) return readPolicy(values.policy, profile);
  const settings = POLICY_SETTINGS.parse({ KUBESIFT_POLICY: given('KUBESIFT_POLICY'), KUBESIFT_POLICY_PATH: given('KUBESIFT_POLICY_PATH'), KUBESIFT_POLICY_PROFILE: profile });
  try {
    return policyFromConfig(settings as Config);
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(`policy from the environment:\n  - ${err.issues.join('\n  - ')}`);
    throw err;
  }
}

function readPolicy(file: string, profile: 'aks' | 'falco'): Policy {
  let text: string;
  try {
    // Policy files are small: read synchronously while parsing arguments.
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read policy ${file}: ${(err as Error).message}`);
  }
  try {
    return policyFromText(text, profile);
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(`policy ${file}:\n  - ${err.issues.join('\n  - ')}`);
    throw err;
  }
}
