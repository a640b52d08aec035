// End-to-end: the page in Debian's Chromium (playwright-core, headless) against the real
// handlers served by the local runner's HTTP server over the trigger registry, with Azurite
// for Blob. Fills the form, previews, generates, checks the result against the blob itself,
// copies the ingest command, shows an API validation error beside its field, filters landed
// detections, and saves screenshots to test-results/ for a human to look at.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BlobServiceClient } from '@azure/storage-blob';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResult, Detection } from '../functions/contracts.js';
import { httpTriggers } from '../functions/triggers/registry.js';
import { useAzurite } from './support/azurite.js';

const CHROMIUM = process.env.KUBESIFT_CHROMIUM ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
const SKIP_REASON = `no Chromium at ${CHROMIUM} (install it with \`apt-get install -y chromium\`, or set KUBESIFT_CHROMIUM)`;
if (!haveBrowser) console.warn(`test/ui.e2e.test.ts skipped: ${SKIP_REASON}`);

const RESULTS = path.resolve('test-results');
/** Waits for the page (lazy module loads and a shared 2-core machine make the first answers slow). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });
/** Pixels the page is wider than the viewport (horizontal scrolling). */
const OVERFLOW_X = 'document.documentElement.scrollWidth - document.documentElement.clientWidth';
const LANDING = 'landing-e2e';
const DATASETS = 'datasets-e2e';

/** Detections covering every source, action and a spread of priorities, across ~2 hours. */
function demoDetections(): Detection[] {
  const mk = (i: number, d: Partial<Detection>): Detection => ({
    TimeGenerated: new Date(Date.UTC(2024, 0, 1, 10, i * 7)).toISOString().replace('Z', '000Z'),
    DetectionId: `e2e-${i}`,
    RuleId: 'k8s.privileged-pod',
    Rule: 'Create Privileged Pod',
    Priority: 'WARNING',
    Source: 'k8s-audit',
    Cluster: 'aks-demo',
    Namespace: 'default',
    User: 'alice@contoso.com',
    Resource: 'pods',
    Name: `pod-${i}`,
    Verb: 'create',
    Operation: '',
    Action: '',
    Output: '',
    Evidence: {},
    AuditIds: [],
    Tags: [],
    ...d,
  });
  const withOutput = (r: Detection): Detection => ({ ...r, Output: `${r.Rule} (user=${r.User || '-'} ns=${r.Namespace || '-'} ${r.Resource}/${r.Name})` });
  return [
    ...Array.from({ length: 6 }, (_, i) => mk(i, {})),
    mk(6, { RuleId: 'k8s.cluster-admin-binding', Rule: 'Attach to cluster-admin Role', Priority: 'CRITICAL', User: 'mallory', Resource: 'clusterrolebindings', Namespace: '' }),
    mk(7, { RuleId: 'k8s.anonymous', Rule: 'Anonymous Request Allowed', Priority: 'ERROR', User: 'system:anonymous', Source: 'apiserver', Namespace: '' }),
    mk(8, { RuleId: 'falco.shell', Rule: 'Terminal shell in container', Priority: 'NOTICE', Source: 'falco', Namespace: 'payments', User: '', Operation: 'Process', Action: 'Audit' }),
    mk(9, { RuleId: 'falco.shell', Rule: 'Terminal shell in container', Priority: 'NOTICE', Source: 'falco', Namespace: 'payments', User: '', Operation: 'Process', Action: 'Audit' }),
    mk(10, { RuleId: 'ksp-block-shadow', Rule: 'ksp-block-shadow', Priority: 'CRITICAL', Source: 'kubearmor', Namespace: 'payments', User: '', Operation: 'File', Action: 'Block' }),
    mk(14, { RuleId: 'ksp-audit-net', Rule: 'ksp-audit-net', Priority: 'WARNING', Source: 'kubearmor', Namespace: 'payments', User: '', Operation: 'Network', Action: 'Audit' }),
  ].map(withOutput);
}

describe.skipIf(!haveBrowser)(haveBrowser ? 'web page in Chromium' : `web page in Chromium (skipped: ${SKIP_REASON})`, () => {
  const azurite = useAzurite();
  let close: (() => Promise<void>) | undefined;
  let baseUrl = '';
  let context: BrowserContext;
  let page: Page;
  let userDir = '';
  const offOrigin: string[] = [];
  const problems: string[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    process.env.KUBESIFT_STORAGE_CONNECTION = azurite.current.connectionString;
    process.env.KUBESIFT_LANDING_CONTAINER = LANDING;
    process.env.KUBESIFT_DATASETS_CONTAINER = DATASETS;
    process.env.KUBESIFT_SINK = 'blob';
    process.env.KUBESIFT_INGEST_DATASETS = 'false';

    await import('../functions/index.js');
    await landDetections(demoDetections());

    const { startHttpServer } = await import('../scripts/local/httpServer.js');
    const { HubBus } = await import('../scripts/local/hubBus.js');
    const log = (line: string) => {
      if (/error/i.test(line)) problems.push(line);
    };
    const server = await startHttpServer(httpTriggers, new HubBus([], log), log, 0);
    baseUrl = server.url;
    close = server.close;

    mkdirSync(RESULTS, { recursive: true });
    userDir = mkdtempSync(path.join(tmpdir(), 'kubesift-chromium-'));
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      viewport: { width: 1280, height: 900 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => {
      if (!r.url().startsWith(baseUrl) && !r.url().startsWith('data:')) offOrigin.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  });

  afterAll(async () => {
    await context?.close();
    await close?.();
    if (userDir) rmSync(userDir, { recursive: true, force: true });
    process.env = saved;
  });

  /**
   * Lands the rows through the project's own blob sink (functions/land), in two batches, and
   * lands the second one again as Event Hubs would on redelivery: the page must show each once.
   */
  async function landDetections(rows: Detection[]): Promise<void> {
    const [{ createLander }, { loadConfig }] = await Promise.all([import('../functions/land/index.js'), import('../functions/config.js')]);
    const lander = createLander('blob', { config: loadConfig() });
    const batch = (detections: Detection[]): BatchResult => ({
      rows: { AksAudit: [], AksControlPlane: [] },
      detections,
      deadLetters: [],
      summary: { records: detections.length, rows: { Detections: detections.length }, detections: detections.length, deadLetters: 0, duplicates: 0 },
    });
    await lander.land(batch(rows.slice(0, 7)), 'aks-diagnostics/0/100-106');
    await lander.land(batch(rows.slice(7)), 'aks-diagnostics/0/107-111');
    await lander.land(batch(rows.slice(7)), 'aks-diagnostics/0/107-111');
    await lander.close();
  }

  it('loads with no external requests, no CSP violations, and keyboard focus visible', async () => {
    // Browser-side code is passed as strings: the project's tsconfig has no DOM lib.
    await page.addInitScript({
      content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    });
    const res = await page.goto(`${baseUrl}/api/ui`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    await poll(() => page.locator('#f-logType option').count()).toBeGreaterThan(0);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate('({ cls: document.activeElement.className, outline: getComputedStyle(document.activeElement).outlineStyle })');
    expect(focused).toEqual({ cls: 'skip', outline: 'solid' });
  });

  it('previews, generates into Blob and shows blob link, row count and sha256 that match the blob', async () => {
    await page.selectOption('#f-logType', 'syslog');
    await page.selectOption('#f-format', 'csv');
    await page.fill('#f-count', '500');
    await page.fill('#f-seed', '0');
    await page.fill('#f-start', '2024-03-01T08:00:00');
    await page.fill('#f-end', '2024-03-01T09:00:00');
    const firstScenario = page.locator('#scenarios input[type=checkbox]').first();
    const scenario = await firstScenario.getAttribute('value');
    await firstScenario.check();

    await page.click('#btn-preview');
    await poll(() => page.locator('#preview-lines').textContent()).toMatch(/2024-03-01T08:00/);
    const preview = ((await page.locator('#preview-lines').textContent()) ?? '').split('\n');
    expect(preview).toHaveLength(20);
    expect(preview[0]).toMatch(/TimeGenerated/); // the CSV header is line 1 of the file

    await page.click('#btn-generate');
    await page.locator('#result').waitFor({ state: 'visible' });
    expect(await page.locator('#out-rows').textContent()).toBe('500');
    const sha = (await page.locator('#out-sha256').textContent()) ?? '';
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    // The container is private (a blob URL answers 403 in a browser): the link is the app's download route.
    const href = (await page.locator('#out-blobs a').first().getAttribute('href')) ?? '';
    expect(href).toMatch(/^\/api\/datasets\/syslog\/[0-9a-f]{16}\/data\.csv\.gz$/);
    expect(await page.locator('#out-blobs a').first().textContent()).toContain(`${DATASETS}/syslog/`);

    // The numbers on the page are the blob's: download it, gunzip, hash, compare with the preview.
    const blobName = href.replace(/^\/api\/datasets\//, '');
    const container = BlobServiceClient.fromConnectionString(azurite.current.connectionString).getContainerClient(DATASETS);
    const stored = await container.getBlobClient(blobName).downloadToBuffer();
    const text = (stored[0] === 0x1f ? gunzipSync(stored) : stored).toString('utf8');
    expect(createHash('sha256').update(text).digest('hex')).toBe(sha);
    expect(text.split(/\r?\n/).slice(0, 20)).toEqual(preview); // lines without their CRLF
    expect(scenario).toBeTruthy();

    // Clicking the link saves those bytes (fetched with the function key, saved from a Blob URL).
    const [saved] = await Promise.all([page.waitForEvent('download'), page.locator('#out-blobs a').first().click()]);
    expect(saved.suggestedFilename()).toBe(blobName.replaceAll('/', '-'));
    expect(readFileSync(await saved.path()).equals(stored)).toBe(true);
    const [labels] = await Promise.all([page.waitForEvent('download'), page.locator('#out-labels a').first().click()]);
    expect(labels.suggestedFilename()).toMatch(/^syslog-[0-9a-f]{16}-labels\.json$/);
    expect(JSON.parse(readFileSync(await labels.path(), 'utf8')).labels[0].scenario).toBe(scenario);

    await page.screenshot({ path: path.join(RESULTS, 'ui-generate.png'), fullPage: true });
  });

  it('copies the ingest command to the clipboard', async () => {
    const shown = (await page.locator('#out-ingest').textContent()) ?? '';
    expect(shown).toMatch(/^\.ingest/m);
    await page.click('button[data-copy="out-ingest"]');
    await poll(() => page.locator('#copy-status').textContent()).toMatch(/Copied/);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(shown);
    await page.click('button[data-copy="out-schema"]');
    expect(await page.evaluate('navigator.clipboard.readText()')).toMatch(/\.create(-merge)? table/);
  });

  it('shows an API validation error next to the field it names', async () => {
    await page.fill('#f-count', '0');
    await page.click('#btn-generate');
    const err = page.locator('#err-count');
    await poll(() => err.textContent()).not.toBe('');
    expect(await page.locator('#f-count').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('f-count');
    expect(await page.locator('#err-seed').textContent()).toBe('');

    // Both end and rate: the API names `rate`; fixing count clears the old message.
    await page.fill('#f-count', '100');
    await page.fill('#f-rate', '5');
    await page.click('#btn-generate');
    await poll(() => page.locator('#err-rate').textContent()).toMatch(/end or rate|rate/);
    expect(await err.textContent()).toBe('');
    await page.screenshot({ path: path.join(RESULTS, 'ui-validation-error.png'), fullPage: false });
    await page.fill('#f-rate', '');
  });

  it('labels every control and works from the keyboard', async () => {
    // Every form control has an accessible name from a <label> (or aria-label/-labelledby).
    const unlabelled = await page.evaluate(
      "[...document.querySelectorAll('input, select, textarea')].filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).map((e) => e.id || e.name)",
    );
    expect(unlabelled).toEqual([]);
    expect(await page.getByLabel('Count', { exact: true }).inputValue()).toBe('100');
    expect(await page.getByLabel('Log type').inputValue()).toBe('syslog');

    // Enter in a field submits the form; the stale answer is hidden while the new one is made.
    await page.getByLabel('Count', { exact: true }).fill('250');
    await page.getByLabel('Count', { exact: true }).press('Enter');
    await poll(() => page.locator('#out-rows').textContent()).toBe('250');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('h-result'); // focus moves to the answer

    // The views are links: Tab to one and press Enter.
    await page.focus('#tab-generate');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('tab-detections');
    await page.keyboard.press('Enter');
    await page.locator('#view-detections').waitFor({ state: 'visible' });
    expect(await page.locator('#tab-detections').getAttribute('aria-current')).toBe('page');
    await page.focus('#tab-generate');
    await page.keyboard.press('Enter');
    await page.locator('#view-generate').waitFor({ state: 'visible' });
  });

  it('lists landed detections, filters them, and charts them over time', async () => {
    await page.click('#tab-detections');
    const rows = page.locator('#det-table tbody.det');
    // Rows of an earlier visit may still be on screen while the view reloads: wait for the answer.
    await poll(() => page.locator('#det-status').textContent()).toMatch(/12 of 12/);
    await poll(() => rows.count()).toBe(12);
    expect(await page.locator('#det-chart svg rect.bar').count()).toBeGreaterThan(3);
    expect(await page.locator('#det-chart svg title').first().textContent()).toMatch(/Detections over time/);

    // A filter change shows "Loading…" at once and replaces rows and status together when its
    // answer arrives, so waiting for "n of 12" never accepts the previous filter's rows.
    const expectRows = async (n: number) => {
      await poll(() => page.locator('#det-status').textContent()).toMatch(new RegExp(`^${n} of 12 `));
      expect(await rows.count()).toBe(n);
    };
    await page.selectOption('#flt-source', 'falco');
    await expectRows(2);
    await page.selectOption('#flt-source', 'kubearmor');
    await expectRows(2);
    await page.selectOption('#flt-action', 'Block');
    await expectRows(1);
    expect(await rows.first().textContent()).toContain('ksp-block-shadow');
    await page.click('#det-reset');
    await expectRows(12);

    await page.selectOption('#flt-priority', 'CRITICAL');
    await expectRows(2);
    await page.selectOption('#flt-user', 'mallory');
    await expectRows(1);
    await page.click('#det-reset');
    await page.selectOption('#flt-rule', 'Create Privileged Pod');
    await expectRows(6);
    await page.selectOption('#flt-namespace', 'default');
    await expectRows(6);
    await page.selectOption('#flt-source', 'apiserver');
    await expectRows(0);
    await poll(() => page.locator('#det-status').textContent()).toMatch(/0 of 12/);
    await page.click('#det-reset');
    await expectRows(12);

    // "(none)": the detections without a namespace (it used to be "All" under another name).
    const asked: string[] = [];
    const onRequest = (r: import('playwright-core').Request) => void (r.url().includes('/api/detections') && asked.push(new URL(r.url()).search));
    page.on('request', onRequest);
    await page.selectOption('#flt-namespace', { label: '(none)' });
    await expectRows(2);
    expect(asked.at(-1)).toBe('?namespace=');
    expect(await rows.allTextContents()).toEqual([expect.stringContaining('Anonymous Request Allowed'), expect.stringContaining('Attach to cluster-admin Role')]);
    await page.selectOption('#flt-priority', 'CRITICAL');
    await expectRows(1);
    expect(await page.locator('#flt-namespace option:checked').textContent()).toBe('(none)'); // kept across the facet refresh
    page.off('request', onRequest);
    await page.click('#det-reset');
    await expectRows(12);

    // Priority dropdown lists the most severe first.
    const prios = await page.locator('#flt-priority option').allTextContents();
    expect(prios.slice(1)).toEqual(['CRITICAL', 'ERROR', 'WARNING', 'NOTICE']);
    await page.screenshot({ path: path.join(RESULTS, 'ui-detections.png'), fullPage: true });
  });

  it('is readable on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.selectOption('#flt-source', 'kubearmor');
    await poll(() => page.locator('#det-table tbody.det').count()).toBe(2);
    const overflow = await page.evaluate(OVERFLOW_X);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(RESULTS, 'ui-detections-phone.png'), fullPage: true });
    await page.click('#tab-generate');
    const overflowGen = await page.evaluate(OVERFLOW_X);
    expect(overflowGen).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(RESULTS, 'ui-generate-phone.png'), fullPage: true });
  });

  it('takes the function key from ?code= once, drops it from the address and sends it as a header', async () => {
    const keys: (string | undefined)[] = [];
    const onRequest = (r: import('playwright-core').Request) => {
      if (r.url().includes('/api/log-types')) keys.push(r.headers()['x-functions-key']);
    };
    page.on('request', onRequest);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${baseUrl}/api/ui?code=test-key-123#generate`);
    await poll(() => keys.length).toBeGreaterThan(0);
    expect(keys).toEqual(['test-key-123']);
    expect(page.url()).toBe(`${baseUrl}/api/ui#generate`);
    expect(await page.locator('#key-state').textContent()).toBe('set');
    // Forget clears it: the next call goes without the header.
    await page.click('#key-panel summary');
    await page.click('#key-clear');
    await page.fill('#key-input', '');
    await page.reload();
    await poll(() => keys.length).toBeGreaterThan(1);
    expect(keys.at(-1)).toBeUndefined();
    // The local server answered without a key: the page says none is needed, not "not set".
    await poll(() => page.locator('#key-state').textContent()).toBe('not needed here');
    page.off('request', onRequest);
  });

  it('starts the ingest box from the deployment default and sends ingest only when the user changes it', async () => {
    const [{ setDatasetsConfig }, { loadConfig }] = await Promise.all([import('../functions/triggers/datasets.js'), import('../functions/config.js')]);
    const bodies: Record<string, unknown>[] = [];
    const onRequest = (r: import('playwright-core').Request) => {
      if (r.url().endsWith('/api/ui/preview')) bodies.push(JSON.parse(r.postData() ?? '{}') as Record<string, unknown>);
    };
    page.on('request', onRequest);
    try {
      for (const ingestDefault of [true, false]) {
        setDatasetsConfig(loadConfig({ ...process.env, KUBESIFT_INGEST_DATASETS: String(ingestDefault) }));
        await page.goto(`${baseUrl}/api/ui#generate`);
        await page.reload(); // a goto that changes only the hash loads nothing
        await poll(() => page.locator('#f-logType option').count()).toBeGreaterThan(0);
        await poll(() => page.locator('#f-ingest').isChecked()).toBe(ingestDefault);
        await page.selectOption('#f-logType', 'syslog');
        await page.selectOption('#f-format', 'csv');
        await page.fill('#f-count', '10');
        // Left alone: no `ingest`, so the API applies the default (it always sent ingest:false).
        await page.click('#btn-preview');
        await poll(() => bodies.length).toBe(1);
        expect(bodies.pop()).not.toHaveProperty('ingest');
        await page.locator('#f-ingest').setChecked(!ingestDefault);
        await page.click('#btn-preview');
        await poll(() => bodies.length).toBe(1);
        expect(bodies.pop()).toHaveProperty('ingest', !ingestDefault);
      }
      // This deployment has no ingest endpoint: preview refuses ingest:true under the box, as Generate does.
      await poll(() => page.locator('#err-ingest').textContent()).toMatch(/no ADX ingestion endpoint/);
    } finally {
      page.off('request', onRequest);
      setDatasetsConfig(undefined);
    }
  });

  it('keeps the form when a key is given, hides a preview the form no longer matches, gives AKS its own format, and names the cluster of each detection', async () => {
    await page.goto(`${baseUrl}/api/ui#generate`);
    await page.reload();
    await poll(() => page.locator('#f-logType option').count()).toBeGreaterThan(0);
    // A type's own default format until the user picks one (aks stayed on raw).
    await page.selectOption('#f-logType', 'aks-audit');
    expect(await page.locator('#f-format').inputValue()).toBe('eventhub');
    await page.selectOption('#f-logType', 'windows');
    await page.locator('#scenarios input[value="password-spray"]').check();
    await page.fill('#f-count', '777');
    // "Use key" (the way back from a 401) loaded the log types again and reset type and scenarios.
    await page.click('#key-panel summary');
    await page.fill('#key-input', 'some-key');
    await page.locator('#key-form button[type=submit]').click();
    await poll(() => page.locator('#key-state').textContent()).toBe('set');
    expect(await page.locator('#f-logType').inputValue()).toBe('windows');
    expect(await page.locator('#scenarios input[value="password-spray"]').isChecked()).toBe(true);
    expect(await page.locator('#f-count').inputValue()).toBe('777');
    await page.click('#key-clear');
    // This server checks no keys: forgetting one says so again ("not set" read as a problem).
    expect(await page.locator('#key-state').textContent()).toBe('not needed here');

    // A preview stays only while the form is the one it answered.
    await page.fill('#f-count', '300');
    await page.click('#btn-preview');
    await page.locator('#preview').waitFor({ state: 'visible' });
    await page.fill('#f-count', '1');
    expect(await page.locator('#preview').isHidden()).toBe(true);
    await page.click('#btn-preview'); // count 1 cannot hold the scenario: a 400 beside Count, no old lines
    await poll(() => page.locator('#err-count').textContent()).not.toBe('');
    expect(await page.locator('#preview').isHidden()).toBe(true);
    // Random sets the seed by code (no input event): the preview goes too.
    await page.fill('#f-count', '300');
    await page.click('#btn-preview');
    await page.locator('#preview').waitFor({ state: 'visible' });
    await page.click('#seed-random');
    expect(await page.locator('#preview').isHidden()).toBe(true);

    // raw output has no ingestion mapping (a JSON one was offered with its Copy button).
    await page.locator('#scenarios input[value="password-spray"]').uncheck();
    await page.selectOption('#f-format', 'raw');
    await page.fill('#f-count', '50');
    await page.click('#btn-generate');
    await page.locator('#result').waitFor({ state: 'visible' });
    expect(await page.locator('#out-mapping').textContent()).toMatch(/^No ingestion mapping for raw/);
    expect(await page.locator('button[data-copy="out-mapping"]').isDisabled()).toBe(true);
    // The picked format stays with a type that has it.
    await page.selectOption('#f-logType', 'syslog');
    expect(await page.locator('#f-format').inputValue()).toBe('raw');
    // Count is events: an auditd event writes several rows, and the result says both.
    await page.selectOption('#f-logType', 'auditd');
    await page.fill('#f-count', '30');
    await page.click('#btn-generate');
    await poll(() => page.locator('#out-rows').textContent()).toMatch(/^\d[\d,]* \(from 30 events\)$/);

    await page.click('#tab-detections');
    await poll(() => page.locator('#det-status').textContent()).toMatch(/of 12/);
    expect(await page.locator('#det-table thead').textContent()).toContain('Cluster');
    expect(await page.locator('#det-table tbody.det td[data-label="Cluster"]').first().textContent()).toBe('aks-demo');
  });

  it('a request that never gets an answer ends with a message and the buttons back, not "Generating…" for good', async () => {
    const other = await context.newPage();
    try {
      await other.clock.install();
      await other.goto(`${baseUrl}/api/ui#generate`);
      await poll(() => other.locator('#f-logType option').count()).toBeGreaterThan(0);
      // Storage that hangs: the app never answers.
      await other.route('**/api/datasets', () => undefined);
      await other.selectOption('#f-logType', 'syslog');
      await other.fill('#f-count', '10');
      await other.click('#btn-generate');
      await poll(() => other.locator('#gen-status').textContent()).toBe('Generating…');
      await other.clock.fastForward(241_000);
      await poll(() => other.locator('#global-error').textContent()).toMatch(/no answer within 240 s \(the app or its storage is not responding\)/);
      expect(await other.locator('#btn-generate').isDisabled()).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('made no request outside its own origin and logged no errors', () => {
    expect(offOrigin).toEqual([]);
    expect(problems.filter((p) => !/Failed to load resource: the server responded with a status of 400/.test(p))).toEqual([]);
  });
});
