// Webhook secrets of the local runner: generated once, kept, and a damaged file starts over.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localWebhookSecrets } from '../scripts/local/secrets.js';

const root = mkdtempSync(path.join(tmpdir(), 'kubesift-secrets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('local webhook secrets', () => {
  it('are generated once, kept across runs, and the environment wins', () => {
    const dir = path.join(root, 'a');
    const first = localWebhookSecrets(dir, {});
    expect(Object.values(first).every((v) => typeof v === 'string' && v.length >= 16)).toBe(true);
    expect(localWebhookSecrets(dir, {})).toEqual(first);
    expect(localWebhookSecrets(dir, { KUBESIFT_WEBHOOK_SECRET_FALCO: 'from-the-environment-123' }).falco).toBe('from-the-environment-123');
  });

  it('a damaged file (null, [], a string, non-string values) starts over instead of failing start-up', () => {
    for (const [i, text] of ['null', '[]', '"x"', '{"falco": 5, "kubearmor": null}', '{broken'].entries()) {
      const dir = path.join(root, `bad-${i}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'webhook-secrets.json'), text);
      const s = localWebhookSecrets(dir, {});
      expect(Object.values(s).every((v) => typeof v === 'string' && v.length >= 16), text).toBe(true);
      const saved = JSON.parse(readFileSync(path.join(dir, 'webhook-secrets.json'), 'utf8')) as Record<string, unknown>;
      expect(saved, text).toMatchObject(s);
      expect(localWebhookSecrets(dir, {}), text).toEqual(s);
    }
  });
});
