// Webhook secrets for local runs: taken from the environment when set (an empty value counts
// as unset), otherwise generated once and kept in the git-ignored state folder so senders keep
// working across restarts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WEBHOOK_SOURCES, type SourceName } from '../../functions/webhooks/sources.js';

export type LocalSecrets = Record<SourceName, string>;

export function localWebhookSecrets(stateDir: string, env: NodeJS.ProcessEnv = process.env): LocalSecrets {
  const file = path.join(stateDir, 'webhook-secrets.json');
  let stored: Partial<LocalSecrets> = {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    // Anything but an object of strings (a hand-edited null, [] or "x") starts over.
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) stored = parsed as Partial<LocalSecrets>;
  } catch {
    // first run
  }
  const out = {} as LocalSecrets;
  let changed = false;
  for (const s of Object.values(WEBHOOK_SOURCES)) {
    const fromEnv = env[s.secretSetting];
    if (fromEnv) out[s.name] = fromEnv;
    else if (typeof stored[s.name] === 'string' && stored[s.name]) out[s.name] = stored[s.name]!;
    else {
      out[s.name] = randomBytes(24).toString('base64url');
      stored[s.name] = out[s.name];
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
  }
  return out;
}
