import { describe, expect, it } from 'vitest';
import functions from '@azure/functions';
import { loadConfig } from '../functions/config.js';
import { hmacHex } from '../functions/webhooks/auth.js';
import { acceptWebhook, MAX_HUB_MESSAGE_BYTES, type WebhookRequest } from '../functions/webhooks/ingest.js';
import { webhookMessageSchema } from '../functions/webhooks/message.js';
import { webhookSecretProblems } from '../functions/webhooks/sources.js';
import { falcoAlert, falcoAlertSchema, falcoOperation } from '../functions/webhooks/falco.js';
import { kubearmorAction, kubearmorAlert, kubearmorEventSchema, kubearmorPriority } from '../functions/webhooks/kubearmor.js';
import { toDetection } from '../functions/webhooks/runtimeAlert.js';
import { handleAuditWebhook, handleWebhook, webhookHubOutput } from '../functions/triggers/webhooks.js';
import { httpTriggers } from '../functions/triggers/registry.js';
import { auditList, bearer, falcoSample, kubearmorSample, WEBHOOK_SECRETS, webhookRequest } from './support/webhookSamples.js';

const SECRETS = WEBHOOK_SECRETS;
const config = loadConfig({ ...SECRETS, KUBESIFT_WEBHOOK_MAX_BYTES: '200000', KUBESIFT_DEFAULT_CLUSTER: 'Lab' });

const request = webhookRequest;

describe('webhook ingest: auth, limits, schema', () => {
  it('a source whose secret is too short answers 503 without its value; the other sources work', async () => {
    const c = loadConfig({ ...SECRETS, KUBESIFT_WEBHOOK_SECRET_FALCO: 'falco-1' });
    const out = await acceptWebhook(request('falco', JSON.stringify(falcoSample), bearer('falco-1')), c);
    expect(out.status).toBe(503);
    expect(JSON.stringify(out)).not.toContain('falco-1');
    // The caller learns nothing of the configuration (the audit route is anonymous); the log says why, and a Retry-After asks the sender to try again.
    expect(out.body).toEqual({ error: "webhook source 'falco' is unavailable; try again later" });
    expect(out.log).toBe('secret unusable: KUBESIFT_WEBHOOK_SECRET_FALCO is shorter than 16 characters');
    expect(out.retryAfter).toBe(60);
    const armor = await acceptWebhook(request('kubearmor', JSON.stringify(kubearmorSample), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_KUBEARMOR)), c);
    expect(armor.status).toBe(202);
  });

  it('rotation: a setting of two secrets ("<new> <old>") accepts either, Bearer or HMAC; white space around a secret is no part of it', async () => {
    const [oldSecret, newSecret] = ['old-secret-0123456789', 'new-secret-9876543210'];
    const body = JSON.stringify(falcoSample);
    const status = async (setting: string, headers: Record<string, string>) => (await acceptWebhook(request('falco', body, headers), loadConfig({ ...SECRETS, KUBESIFT_WEBHOOK_SECRET_FALCO: setting }))).status;
    const signed = (secret: string) => ({ 'x-kubesift-signature-256': `sha256=${hmacHex(secret, Buffer.from(body))}` });
    for (const secret of [oldSecret, newSecret]) {
      expect(await status(`${newSecret} ${oldSecret}`, bearer(secret))).toBe(202);
      expect(await status(`${newSecret} ${oldSecret}`, signed(secret))).toBe(202);
    }
    expect(await status(newSecret, bearer(oldSecret))).toBe(401);
    expect(await status(`${newSecret}\n`, bearer(newSecret))).toBe(202);
    expect(await status(`${newSecret}\n`, signed(newSecret))).toBe(202);
    // Each secret of the pair must be long enough on its own.
    expect(await status(`${newSecret} short`, bearer(newSecret))).toBe(503);
    expect(await status('   ', bearer(newSecret))).toBe(503);
  });

  it('a Key Vault reference that did not resolve is not a secret: 503, and its text does not authenticate', async () => {
    const reference = '@Microsoft.KeyVault(SecretUri=https://kvkubesift.vault.azure.net/secrets/webhook-secret-falco)';
    const c = loadConfig({ ...SECRETS, KUBESIFT_WEBHOOK_SECRET_FALCO: reference });
    const out = await acceptWebhook(request('falco', JSON.stringify(falcoSample), bearer(reference)), c);
    expect(out.status).toBe(503);
    expect(out.body).toEqual({ error: "webhook source 'falco' is unavailable; try again later" });
    expect(out.log).toBe("secret unusable: KUBESIFT_WEBHOOK_SECRET_FALCO is a Key Vault reference the platform did not resolve (give the app's identity Key Vault Secrets User on the vault)");
    expect(webhookSecretProblems(c)).toEqual([expect.stringMatching(/^KUBESIFT_WEBHOOK_SECRET_FALCO is a Key Vault reference/)]);
  });

  it('accepts a Falcosidekick alert with the Bearer secret and packs one hub message', async () => {
    const out = await acceptWebhook(request('falco', JSON.stringify(falcoSample), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO), 'AKS-Prod'), config, new Date('2025-04-20T10:05:00Z'));
    expect(out.status).toBe(202);
    expect(out.body).toMatchObject({ accepted: 1, messages: 1, source: 'falco', cluster: 'aks-prod' });
    const msg = webhookMessageSchema.parse(JSON.parse(out.messages![0]!));
    expect(msg).toMatchObject({ source: 'falco', cluster: 'aks-prod', receivedTime: '2025-04-20T10:05:00.000Z' });
    expect(msg.events[0]).toMatchObject({ rule: 'Terminal shell in container' });
  });

  it('accepts an HMAC-SHA256 signature over the raw body and rejects a tampered one', async () => {
    const body = JSON.stringify([kubearmorSample, { ...kubearmorSample, Operation: 'Process', Resource: '/bin/sh' }]);
    const sig = hmacHex(SECRETS.KUBESIFT_WEBHOOK_SECRET_KUBEARMOR, Buffer.from(body));
    const ok = await acceptWebhook(request('kubearmor', body, { 'x-kubesift-signature-256': `sha256=${sig}` }), config);
    expect(ok.status).toBe(202);
    expect(ok.body.accepted).toBe(2);
    const bad = await acceptWebhook(request('kubearmor', body + ' ', { 'x-kubesift-signature-256': `sha256=${sig}` }), config);
    expect(bad.status).toBe(401);
    expect(bad.messages).toBeUndefined();
  });

  describe('timestamped signatures (X-KubeSift-Timestamp)', () => {
    const key = SECRETS.KUBESIFT_WEBHOOK_SECRET_KUBEARMOR;
    const body = JSON.stringify(kubearmorSample);
    const signedAt = new Date('2025-04-20T10:00:00Z');
    const ts = String(signedAt.getTime() / 1000);
    const at = (seconds: number) => new Date(signedAt.getTime() + seconds * 1000);
    const signed = (sig: string, t: string = ts) => ({ 'x-kubesift-signature-256': `sha256=${sig}`, 'x-kubesift-timestamp': t });
    const timedSig = hmacHex(key, Buffer.from(body), ts);
    const send = (headers: Record<string, string>, now: Date, c = config) => acceptWebhook(request('kubearmor', body, headers), c, now);

    it('signs "<timestamp>.<body>": accepted within 300 s either way of the receiver clock', async () => {
      expect(timedSig).not.toBe(hmacHex(key, Buffer.from(body)));
      for (const skew of [0, 300, -300]) {
        const ok = await send(signed(timedSig), at(skew));
        expect(ok.status, `skew ${skew}`).toBe(202);
        expect(ok.log).toContain('via hmac-sha256+timestamp');
      }
    });

    it.each([
      ['a replay 301 s later', 301],
      ['a timestamp 301 s ahead', -301],
      ['a replay a day later', 86_400],
    ])('refuses %s (stale-timestamp), nothing forwarded', async (_name, skew) => {
      const out = await send(signed(timedSig), at(skew));
      expect(out.status).toBe(401);
      expect(out.log).toBe('sender auth failed: stale-timestamp');
      expect(out.messages).toBeUndefined();
    });

    it('a fresh timestamp cannot be put on a captured signature, and the body-only signature does not cover one', async () => {
      const later = at(3_600);
      const moved = await send(signed(timedSig, String(later.getTime() / 1000)), later);
      expect(moved.log).toBe('sender auth failed: bad-credentials');
      const bodyOnly = await send(signed(hmacHex(key, Buffer.from(body))), signedAt);
      expect(bodyOnly.log).toBe('sender auth failed: bad-credentials');
      expect([moved.status, bodyOnly.status]).toEqual([401, 401]);
    });

    it.each(['1745143200.5', '-1745143200', '1.7e9', '', '0x67'])('refuses the timestamp %j (bad-timestamp)', async (t) => {
      const out = await send(signed(hmacHex(key, Buffer.from(body), t), t), signedAt);
      expect(out.status).toBe(401);
      expect(out.log).toBe('sender auth failed: bad-timestamp');
    });

    it('KUBESIFT_WEBHOOK_REQUIRE_TIMESTAMP refuses signatures without one; timestamped and Bearer requests still pass', async () => {
      const strict = loadConfig({ ...SECRETS, KUBESIFT_WEBHOOK_REQUIRE_TIMESTAMP: 'true' });
      expect(strict.KUBESIFT_WEBHOOK_REQUIRE_TIMESTAMP).toBe(true);
      expect(config.KUBESIFT_WEBHOOK_REQUIRE_TIMESTAMP).toBe(false);
      const untimed = { 'x-kubesift-signature-256': `sha256=${hmacHex(key, Buffer.from(body))}` };
      expect((await send(untimed, signedAt)).status).toBe(202);
      const refused = await send(untimed, signedAt, strict);
      expect(refused.status).toBe(401);
      expect(refused.log).toBe('sender auth failed: timestamp-required');
      expect((await send(signed(timedSig), signedAt, strict)).status).toBe(202);
      expect((await send(bearer(key), signedAt, strict)).status).toBe(202);
    });
  });

  it.each([
    ['wrong secret', bearer('falco-secret-0123456780')],
    ['another source\'s secret', bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT)],
    ['no credentials', {} as Record<string, string>],
    ['basic auth', { authorization: 'Basic Zm9vOmJhcg==' }],
  ])('401 with %s, nothing forwarded', async (_name, headers) => {
    const out = await acceptWebhook(request('falco', JSON.stringify(falcoSample), headers), config);
    expect(out.status).toBe(401);
    expect(out.messages).toBeUndefined();
    expect(JSON.stringify(out.body)).not.toContain('secret');
  });

  it('400 names the failing field, in the message and as `field`, as /api/datasets does; invalid or empty JSON is a 400 too', async () => {
    const { rule: _r, ...noRule } = falcoSample;
    const missing = await acceptWebhook(request('falco', JSON.stringify(noRule), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO)), config);
    // "missing", not zod's "received undefined".
    expect(missing).toMatchObject({ status: 400, body: { error: 'rule: missing, expected string', field: 'rule' } });

    // Every event of a list bad: nothing to take, a 400 naming the first.
    const list = auditList(3);
    for (const item of list.items as Record<string, unknown>[]) item.auditID = 42;
    const audit = await acceptWebhook(request('k8s-audit', JSON.stringify(list), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT)), config);
    expect(audit).toMatchObject({ status: 400, body: { error: 'items.0.auditID: a number, expected a non-empty string', field: 'items.0.auditID' } });
    expect(audit.messages).toBeUndefined();
    // An empty EventList (a smoke test's first post) is a 400 too, not a crash.
    for (const route of [{}, { cluster: 'dev' }]) {
      const empty = await acceptWebhook({ ...request('k8s-audit', JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] }), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT)), ...route }, config);
      expect(empty).toMatchObject({ status: 400, body: { error: 'items: empty, expected at least one audit Event', field: 'items' } });
      expect(empty.messages).toBeUndefined();
    }

    const prio = await acceptWebhook(request('falco', JSON.stringify({ ...falcoSample, priority: 'Loud' }), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO)), config);
    expect(prio.body.error).toMatch(/^priority: /);

    // The error is the one of the shape sent: a bare Event is not told it lacks "EventList",
    // an array of alerts names the item, a lone string is not told to be an array.
    const { auditID: _a, ...noId } = list.items[0] as Record<string, unknown>;
    const bare = await acceptWebhook(request('k8s-audit', JSON.stringify(noId), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT)), config);
    expect(bare).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^auditID: /) } });
    const wrongKind = await acceptWebhook(request('k8s-audit', JSON.stringify({ ...auditList(2), kind: 'Eventlist' }), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT)), config);
    expect(wrongKind.body.error).toMatch(/^kind: .*EventList/);
    // The first problem, in the schema's field order, not the deepest: a wrong kind and a bad
    // item name the kind.
    const both = await acceptWebhook(request('k8s-audit', JSON.stringify({ ...list, kind: 'Eventlist' }), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT)), config);
    expect(both.body.error).toMatch(/^kind: .*EventList/);
    const second = await acceptWebhook(request('falco', JSON.stringify([noRule, noRule]), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO)), config);
    expect(second.body).toEqual({ error: '0.rule: missing, expected string', field: '0.rule' });
    const lone = await acceptWebhook(request('kubearmor', '"alert"', bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_KUBEARMOR)), config);
    expect(lone.body.error).toMatch(/^body: .*expected object, received string/);

    const notJson = await acceptWebhook(request('falco', '{"output":', bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO)), config);
    expect(notJson).toMatchObject({ status: 400, body: { error: 'body: not valid JSON', field: 'body' } });
    expect(notJson.messages).toBeUndefined();
    for (const empty of ['', ' \n'])
      expect(await acceptWebhook(request('falco', empty, bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO)), config)).toMatchObject({ status: 400, body: { error: 'body: empty, expected JSON', field: 'body' } });

    // A byte that is not UTF-8 inside a string: refused, not forwarded with U+FFFD in its place.
    const text = Buffer.from(JSON.stringify({ ...falcoSample, hostname: 'nodeX' }));
    text[text.indexOf('nodeX') + 4] = 0xff;
    const notUtf8 = await acceptWebhook(request('falco', text, bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO)), config);
    expect(notUtf8).toMatchObject({ status: 400, body: { error: 'body: not valid UTF-8' } });
    expect(notUtf8.messages).toBeUndefined();
  });

  it('a deeply nested body is a 400 naming the body, for every source (it used to overflow the stack when packed: a 500)', async () => {
    const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
    const bodies: [string, string, string][] = [
      ['falco', `{"output":"x","priority":"Notice","rule":"r","time":"2025-04-20T10:00:00Z","output_fields":{"a":${deep(5000)}}}`, SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO],
      ['k8s-audit', JSON.stringify(auditList(1)).replace('"auditID"', `"x":${deep(5000)},"auditID"`), SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT],
    ];
    for (const [source, body, secret] of bodies) {
      const out = await acceptWebhook(request(source, body, bearer(secret)), config);
      expect(out, source).toMatchObject({ status: 400, body: { error: 'body: nests deeper than 1000 levels' } });
      expect(out.messages).toBeUndefined();
    }
    // 1000 levels still go through.
    const ok = await acceptWebhook(request('falco', JSON.stringify({ ...falcoSample, output_fields: { a: JSON.parse(deep(990)) } }), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO)), config);
    expect(ok.status).toBe(202);
  });

  it('forwards each event as the bytes the sender wrote, for every body shape a source accepts', async () => {
    const big = '"big":9007199254740993,"k":"caf\\u00e9"';
    const event = JSON.stringify(auditList(1).items[0]).replace('{', `{${big},`);
    const alert = JSON.stringify(falcoSample).replace('{', `{${big},`);
    const armor = JSON.stringify(kubearmorSample).replace('{', `{${big},`);
    const cases: [string, string, string, string[]][] = [
      ['k8s-audit', SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT, `{"kind":"EventList","items":[ ${event},${event} ]}`, [event, event]],
      ['k8s-audit', SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT, `\ufeff \n${event}\r\n`, [event]],
      ['falco', SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO, ` ${alert} `, [alert]],
      ['kubearmor', SECRETS.KUBESIFT_WEBHOOK_SECRET_KUBEARMOR, `[${armor},\n\t${armor}]`, [armor, armor]],
    ];
    for (const [source, secret, body, events] of cases) {
      const out = await acceptWebhook(request(source, body, bearer(secret)), config);
      expect(out.status, body).toBe(202);
      expect(out.messages, body).toHaveLength(1);
      expect(out.messages![0], body).toContain(`"events":[${events.join(',')}]}`);
    }
  });

  it('413 on a declared Content-Length over the limit and on actual bytes over it (lying header)', async () => {
    const big = JSON.stringify(auditList(1, 250_000));
    const declared = await acceptWebhook(request('k8s-audit', '{}', { ...bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT), 'content-length': '250001' }), config);
    expect(declared.status).toBe(413);
    const lying = await acceptWebhook(request('k8s-audit', big, { ...bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT), 'content-length': '10' }), config);
    expect(lying.status).toBe(413);
    expect(lying.messages).toBeUndefined();
  });

  it('a request without valid Bearer credentials is refused before its body is read (the audit route is anonymous); a signed one is read, then checked', async () => {
    let reads = 0;
    const counted = (headers: Record<string, string>): WebhookRequest => ({
      source: 'k8s-audit',
      headers: new Headers({ 'content-length': '250001', 'content-encoding': 'gzip', ...headers }),
      body: (async function* () {
        reads++;
        yield Buffer.from(JSON.stringify(auditList(1)));
      })(),
    });
    for (const headers of [{}, bearer('wrong'), { authorization: 'Basic eDp5' }]) {
      const out = await acceptWebhook(counted(headers), config);
      // 401, not the 413 or 415 the size and encoding would give: nothing about the limits leaks.
      expect(out, JSON.stringify(headers)).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    }
    expect(reads).toBe(0);
    // The right token passes the early check and the request goes on to its other checks.
    expect((await acceptWebhook(counted(bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT)), config)).status).toBe(415);
    // An HMAC cannot be checked without the body: it is read, and a wrong signature is a 401.
    const signed = { 'x-kubesift-signature-256': `sha256=${hmacHex('wrong', Buffer.from('{}'))}` };
    const out = await acceptWebhook({ ...counted(signed), headers: new Headers(signed) }, config);
    expect(out.status).toBe(401);
    expect(reads).toBe(1);
  });

  it('404 for an unknown source, 403 for a source without a configured secret', async () => {
    expect((await acceptWebhook(request('syslog', '{}', {}), config)).status).toBe(404);
    const noFalco = loadConfig({ KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT: SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT });
    const out = await acceptWebhook(request('falco', JSON.stringify(falcoSample), bearer('')), noFalco);
    expect(out.status).toBe(403);
    expect(out.body).toEqual({ error: "webhook source 'falco' is not enabled on this app" });
    expect(out.log).toBe('source disabled: set KUBESIFT_WEBHOOK_SECRET_FALCO');
  });

  it('splits a large audit EventList into hub messages under the Event Hubs limit, losing nothing', async () => {
    const big = loadConfig({ ...SECRETS, KUBESIFT_WEBHOOK_MAX_BYTES: String(4 * 1024 * 1024), KUBESIFT_DEFAULT_CLUSTER: 'Lab' });
    const list = auditList(60, 40_000); // ≈2.4 MB
    const out = await acceptWebhook(request('k8s-audit', JSON.stringify(list), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT)), big);
    expect(out.status).toBe(202);
    expect(out.messages!.length).toBeGreaterThanOrEqual(3);
    const ids: string[] = [];
    for (const m of out.messages!) {
      expect(Buffer.byteLength(m)).toBeLessThanOrEqual(MAX_HUB_MESSAGE_BYTES);
      const parsed = webhookMessageSchema.parse(JSON.parse(m));
      expect(parsed.cluster).toBe('lab');
      ids.push(...parsed.events.map((e) => (e as { auditID: string }).auditID));
    }
    expect(ids).toEqual(list.items.map((e) => e.auditID));
  });

  it('an audit event too large for one hub message is cut as kube-apiserver cuts one (objects dropped, annotated), not the request refused with its neighbours', async () => {
    const big = loadConfig({ ...SECRETS, KUBESIFT_WEBHOOK_MAX_BYTES: String(4 * 1024 * 1024) });
    const list = auditList(5);
    const huge = { ...list.items[2]!, level: 'RequestResponse', annotations: { 'authorization.k8s.io/decision': 'allow' }, responseObject: { kind: 'SecretList', items: 'x'.repeat(1_100_000) }, requestObject: { kind: 'DeleteOptions' } };
    list.items[2] = huge as (typeof list.items)[number];
    const out = await acceptWebhook(request('k8s-audit', JSON.stringify(list), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT)), big);
    expect(out.status).toBe(202);
    expect(out.body).toMatchObject({ accepted: 5, truncated: 1 });
    const events = out.messages!.flatMap((m) => webhookMessageSchema.parse(JSON.parse(m)).events) as Record<string, unknown>[];
    expect(events.map((e) => e.auditID)).toEqual(list.items.map((e) => e.auditID));
    expect(events[2]).toEqual({ ...huge, requestObject: undefined, responseObject: undefined, annotations: { 'authorization.k8s.io/decision': 'allow', 'audit.k8s.io/truncated': 'true' } } as unknown as Record<string, unknown>);
    expect(events[3]).toEqual(list.items[3]);
    // The landed row says it lost its objects.
    const { processWebhookEvents } = await import('../functions/webhooks/process.js');
    const { defaultPolicy } = await import('../functions/detect/index.js');
    const result = processWebhookEvents(out.messages!.map((body, i) => ({ body, position: { source: 'webhook-events', partitionId: '0', sequenceNumber: i, offset: String(i) } })), { policy: defaultPolicy('aks'), now: new Date('2025-04-20T10:00:00Z') });
    expect(result.rows.AksAudit.map((r) => [r.AuditId, r.Truncated])).toEqual(list.items.map((e, i) => [e.auditID, i === 2]));
    expect(result.deadLetters).toEqual([]);
    // A runtime alert that large still refuses its request (no sender sends one).
    const falco = await acceptWebhook(request('falco', JSON.stringify([falcoSample, { ...falcoSample, output: 'x'.repeat(1_100_000) }]), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO)), big);
    expect(falco.status).toBe(413);
  });

  it('a compressed body is a 415 naming Content-Encoding, not a misleading "not valid UTF-8"', async () => {
    const { gzipSync } = await import('node:zlib');
    const body = gzipSync(JSON.stringify(falcoSample));
    const out = await acceptWebhook(request('falco', body, { ...bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO), 'content-encoding': 'gzip' }), config);
    expect(out).toMatchObject({ status: 415, body: { error: 'Content-Encoding: gzip is not accepted (send the body uncompressed)' } });
    expect(out.messages).toBeUndefined();
    const plain = await acceptWebhook(request('falco', JSON.stringify(falcoSample), { ...bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO), 'content-encoding': 'identity' }), config);
    expect(plain.status).toBe(202);
  });

  it('refuses a bad ?cluster= value', async () => {
    const out = await acceptWebhook(request('falco', JSON.stringify(falcoSample), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO), '../etc'), config);
    expect(out.status).toBe(400);
    expect(out.body).toMatchObject({ error: expect.stringMatching(/^cluster: /), field: 'cluster' });
  });
});

describe('webhook HTTP trigger sets the Event Hub output only on success', () => {
  const env = { ...SECRETS };
  const call = async (source: string, body: string, headers: Record<string, string>) => {
    Object.assign(process.env, env);
    const req = new functions.HttpRequest({ method: 'POST', url: `http://localhost/api/webhooks/${source}`, params: { source }, headers, body: { string: body } });
    const ctx = new functions.InvocationContext({ functionName: 'webhooks', logHandler: () => undefined });
    const res = await handleWebhook(req, ctx);
    return { res, forwarded: ctx.extraOutputs.get(webhookHubOutput) };
  };
  it('202 → messages on the output; 401 → no output', async () => {
    const ok = await call('falco', JSON.stringify(falcoSample), bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO));
    expect(ok.res.status).toBe(202);
    expect(Array.isArray(ok.forwarded) && ok.forwarded.length).toBe(1);
    const bad = await call('falco', JSON.stringify(falcoSample), bearer('nope-nope-nope-nope'));
    expect(bad.res.status).toBe(401);
    expect(bad.forwarded).toBeUndefined();
  });
});

describe('the kube-apiserver audit webhook route', () => {
  // client-go's REST client clears the server URL's query and sends no header but its
  // credentials: a ?code= or x-functions-key never reaches the host.
  const post = async (params: Record<string, string>, headers: Record<string, string>, query = '') => {
    Object.assign(process.env, SECRETS);
    const req = new functions.HttpRequest({ method: 'POST', url: `http://localhost/api/audit-webhook/${params.cluster ?? ''}${query}`, params, headers, body: { string: JSON.stringify(auditList(2)) } });
    const ctx = new functions.InvocationContext({ functionName: 'auditWebhook', logHandler: () => undefined });
    const res = await handleAuditWebhook(req, ctx);
    return { res, forwarded: ctx.extraOutputs.get(webhookHubOutput) as string[] | undefined };
  };

  it('is anonymous at the host and authenticated by the Bearer token; the other sources keep the function key', () => {
    const byName = Object.fromEntries(httpTriggers.map((t) => [t.name, t.options]));
    expect(byName.auditWebhook).toMatchObject({ route: 'audit-webhook/{cluster?}', methods: ['POST'], authLevel: 'anonymous' });
    expect(byName.webhooks).toMatchObject({ route: 'webhooks/{source}', authLevel: 'function' });
  });

  it('takes the cluster from the path, and lands nothing without the k8s-audit secret', async () => {
    const ok = await post({ cluster: 'prod-east' }, bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT));
    expect(ok.res.status).toBe(202);
    expect(ok.forwarded!.map((m) => webhookMessageSchema.parse(JSON.parse(m))).map((m) => [m.source, m.cluster, m.events.length])).toEqual([['k8s-audit', 'prod-east', 2]]);
    for (const headers of [{}, bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_FALCO)]) {
      const refused = await post({ cluster: 'prod-east' }, headers);
      expect(refused.res.status).toBe(401);
      expect(refused.forwarded).toBeUndefined();
    }
    const bad = await post({ cluster: 'Prod East' }, bearer(SECRETS.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT));
    expect(bad.res.status).toBe(400);
  });

  it('an unusable secret: 503 with Retry-After (the apiserver retries a 5xx only when told when), and nothing of the configuration for an anonymous caller', async () => {
    const reference = '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/audit)';
    const lines: string[] = [];
    const saved = process.env.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT;
    try {
      process.env.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT = reference;
      const req = new functions.HttpRequest({ method: 'POST', url: 'http://localhost/api/audit-webhook/prod', params: { cluster: 'prod' }, headers: {}, body: { string: JSON.stringify(auditList(1)) } });
      const ctx = new functions.InvocationContext({ functionName: 'auditWebhook', logHandler: (_level, ...args) => void lines.push(args.join(' ')) });
      const res = await handleAuditWebhook(req, ctx);
      expect(res.status).toBe(503);
      expect(res.headers).toEqual({ 'Retry-After': '60' });
      expect(JSON.stringify(res.jsonBody)).not.toMatch(/KUBESIFT|Key Vault/);
      expect(lines.join('\n')).toContain('KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT is a Key Vault reference');
    } finally {
      process.env.KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT = saved;
    }
  });
});

describe('runtime alert mappers', () => {
  it("Falco's JSON as Falco can write it: no output (json_include_output_property off), null maps and lists, <NA> for an unread field", () => {
    const map = (alert: Record<string, unknown>) => toDetection(falcoAlert(falcoAlertSchema.parse(alert), 'lab'));
    const { output: _o, ...noOutput } = falcoSample;
    expect(map({ ...noOutput, message: 'A shell was spawned (user=root)' }).Output).toBe('A shell was spawned (user=root)');
    expect(map(noOutput).Output).toBe('Terminal shell in container');
    const nulls = map({ ...falcoSample, output_fields: null, tags: null, hostname: null });
    expect([nulls.Namespace, nulls.Name, nulls.Tags, nulls.Operation]).toEqual(['', '', [], '']);
    const na = map({ ...falcoSample, output_fields: { ...falcoSample.output_fields, 'k8s.ns.name': '<NA>', 'k8s.pod.name': '<NA>', 'user.name': '<NA>' } });
    expect([na.Namespace, na.Resource, na.Name, na.User]).toEqual(['', '', '', '']);
    // A field Falco could not read gives way to the next one that names the same thing, as an absent one does.
    const fallback = map({ ...falcoSample, output_fields: { ...falcoSample.output_fields, 'k8s.ns.name': '<NA>', 'ka.target.namespace': 'shop', 'ka.user.name': '<NA>', 'user.name': 'root' } });
    expect([fallback.Namespace, fallback.User]).toEqual(['shop', 'root']);
  });

  it("an alert's own cluster name is lower-cased and checked like the request's; an invalid one gives way to the request's", () => {
    const falco = (name: unknown) => toDetection(falcoAlert(falcoAlertSchema.parse({ ...falcoSample, output_fields: { ...falcoSample.output_fields, 'k8s.cluster.name': name } }), 'lab')).Cluster;
    expect([falco('Prod-East'), falco('Other Cluster/../x'), falco(null), falco('')]).toEqual(['prod-east', 'lab', 'lab', 'lab']);
    const armor = (ClusterName: string) => toDetection(kubearmorAlert(kubearmorEventSchema.parse({ ...kubearmorSample, ClusterName }), 'lab')).Cluster;
    expect([armor('Prod-East'), armor('default'), armor('a'.repeat(64))]).toEqual(['prod-east', 'lab', 'lab']);
  });

  it("Falco: an output field of any JSON type becomes column text (an object's JSON; it used to throw on one whose toString is not a function)", () => {
    const fields = { 'k8s.pod.name': { constructor: 'x', toString: 1 }, 'k8s.ns.name': 7, 'user.name': null };
    const d = toDetection(falcoAlert(falcoAlertSchema.parse({ ...falcoSample, output_fields: fields }), 'lab'));
    expect(d).toMatchObject({ Name: '{"constructor":"x","toString":1}', Namespace: '7', User: '' });
  });

  it('Falco: priority, operation, object and a stable detection id', () => {
    const a = falcoAlertSchema.parse(falcoSample);
    const d = toDetection(falcoAlert(a, 'lab'));
    expect(d).toMatchObject({
      TimeGenerated: '2025-04-20T10:01:02.123456Z',
      RuleId: 'falco:terminal-shell-in-container',
      Rule: 'Terminal shell in container',
      Priority: 'NOTICE',
      Source: 'falco',
      Cluster: 'lab',
      Namespace: 'shop',
      User: 'root',
      Resource: 'pods',
      Name: 'nginx-7d9',
      Operation: 'Process',
      Action: 'Audit',
    });
    expect(d.Tags).toContain('T1059');
    expect(toDetection(falcoAlert(a, 'lab')).DetectionId).toBe(d.DetectionId);
    expect(toDetection(falcoAlert({ ...a, time: '2025-04-20T10:01:03Z' }, 'lab')).DetectionId).not.toBe(d.DetectionId);
  });

  it('Falco without a uuid: alerts that differ only in their fields keep two ids; a reordered redelivery keeps one', () => {
    const { uuid: _, ...rest } = falcoSample as Record<string, unknown>;
    const a = falcoAlertSchema.parse(rest);
    expect(a.uuid).toBeUndefined();
    const id = (x: typeof a): string => toDetection(falcoAlert(x, 'lab')).DetectionId;
    const fields = a.output_fields;
    const reordered = Object.fromEntries(Object.entries(fields).reverse());
    expect(Object.keys(reordered)).not.toEqual(Object.keys(fields));
    expect(id({ ...a, output_fields: reordered })).toBe(id(a));
    expect(id({ ...a, output_fields: { ...fields, 'proc.pid': 4242 } })).not.toBe(id(a));
    expect(id({ ...a, rule: 'Another rule' })).not.toBe(id(a));
    // With a uuid the uuid names the occurrence: the id is what it always was.
    const withUuid = falcoAlertSchema.parse({ ...rest, uuid: 'u-1' });
    expect(id({ ...withUuid, output_fields: { ...fields, 'proc.pid': 4242 } })).toBe(id(withUuid));
  });

  it('Falco operation comes from tags first, then printed fields', () => {
    const base = falcoAlertSchema.parse({ ...falcoSample, tags: [] });
    expect(falcoOperation({ ...base, tags: ['network', 'mitre_exfiltration'] })).toBe('Network');
    expect(falcoOperation({ ...base, output_fields: { 'fd.name': '/etc/shadow', 'proc.name': 'cat' } })).toBe('File');
    expect(falcoOperation({ ...base, output_fields: { 'fd.sip': '10.0.0.1' } })).toBe('Network');
    expect(falcoOperation({ ...base, output_fields: { 'evt.arg.cap': 'CAP_SYS_ADMIN', 'proc.name': 'x' } })).toBe('Capabilities');
    expect(falcoOperation({ ...base, output_fields: {} })).toBe('');
  });

  it('KubeArmor: the whole alert names the occurrence (no id of its own)', () => {
    const e = kubearmorEventSchema.parse(kubearmorSample);
    const id = (x: typeof e): string => toDetection(kubearmorAlert(x, 'lab')).DetectionId;
    const reordered = kubearmorEventSchema.parse(Object.fromEntries(Object.entries(kubearmorSample).reverse()));
    expect(id(reordered)).toBe(id(e));
    // Same policy, host, operation, resource and microsecond, from another pod / container / process.
    for (const other of [{ PodName: 'payments-9z9' }, { ContainerName: 'sidecar' }, { ProcessName: '/usr/bin/head' }, { Result: 'Passed' }])
      expect(id(kubearmorEventSchema.parse({ ...kubearmorSample, ...other }))).not.toBe(id(e));
    // Fields KubeArmor sends beyond the schema (PID, HostPID …) count too.
    expect(id(kubearmorEventSchema.parse({ ...kubearmorSample, PID: 4242 }))).not.toBe(id(kubearmorEventSchema.parse({ ...kubearmorSample, PID: 4243 })));
  });

  it('KubeArmor: severity bands, action normalisation, logs at DEBUG', () => {
    const e = kubearmorEventSchema.parse(kubearmorSample);
    const d = toDetection(kubearmorAlert(e, 'lab'));
    expect(d).toMatchObject({
      TimeGenerated: '2025-04-20T10:01:02.654321Z',
      RuleId: 'kubearmor:block-shadow-read',
      Priority: 'ERROR',
      Source: 'kubearmor',
      Cluster: 'lab', // KubeArmor's "default" cluster name yields to the webhook's
      Namespace: 'shop',
      Name: 'payments-5c4',
      Operation: 'File',
      Action: 'Block',
    });
    expect(d.Tags).toEqual(['MITRE', 'T1003']);
    expect(kubearmorPriority({ ...e, Severity: '10' })).toBe('CRITICAL');
    expect(kubearmorPriority({ ...e, Severity: 1 })).toBe('INFORMATIONAL');
    expect(kubearmorPriority({ ...e, Type: 'ContainerLog' })).toBe('DEBUG');
    expect(kubearmorAction('Audit (Block)')).toBe('Audit');
    expect(kubearmorAction('allow')).toBe('Allow');
    const noTime = kubearmorEventSchema.safeParse({ ...kubearmorSample, Timestamp: undefined, UpdatedTime: 'yesterday' });
    expect(noTime.success).toBe(false);
    // Epoch seconds up to 9999-12-31T23:59:59Z; one more has no ISO text, so it is refused at the door.
    const last = kubearmorEventSchema.parse({ ...kubearmorSample, UpdatedTime: undefined, Timestamp: 253_402_300_799 });
    expect(kubearmorAlert(last, 'c1').time).toBe('9999-12-31T23:59:59.000000Z');
    const past = kubearmorEventSchema.safeParse({ ...kubearmorSample, UpdatedTime: undefined, Timestamp: 253_402_300_800 });
    expect(past.success).toBe(false);
    expect(past.error?.issues[0]?.path).toEqual(['Timestamp']);
  });
});
