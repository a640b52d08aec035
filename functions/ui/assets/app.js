// @ts-check
// KubeSift page: plain ES module, no framework, no bundler, no network beyond this app's
// own /api routes (the CSP enforces that). Type-checked by tsc via functions/ui/assets/tsconfig.json.

/**
 * @typedef {{ name: string, description?: string, technique?: string, tactic?: string }} ScenarioMeta
 * @typedef {{ name: string, description?: string, formats?: string[], defaultFormat?: string,
 *             scenarios?: (ScenarioMeta | string)[], table?: string | { name: string } | null }} LogTypeMeta
 * @typedef {{ path: string, message: string }} FieldIssue
 * @typedef {{ TimeGenerated: string, RuleId: string, Rule: string, Priority: string, Source: string,
 *             Cluster: string, Namespace: string, User: string, Resource: string, Name: string, Verb: string,
 *             Operation: string, Action: string, Output: string }} DetectionRow
 * @typedef {{ start: string, count: number }} Bucket
 * @typedef {{ bucketMs: number, buckets: Bucket[], from?: string, to?: string }} Histogram
 * @typedef {{ total: number, matched: number, detections: DetectionRow[],
 *             facets: Record<string, string[]>, histogram: Histogram,
 *             note?: string, blobsRead?: number, blobsFound?: number, truncated?: boolean }} DetectionsResponse
 */

const KEY_STORAGE = 'kubesift.functionKey';
const FILTERS = /** @type {const} */ (['cluster', 'priority', 'rule', 'namespace', 'user', 'source', 'action']);
const FORM_FIELDS = ['logType', 'format', 'count', 'seed', 'start', 'end', 'rate', 'syslog', 'scenarios', 'ingest'];
const SVG_NS = 'http://www.w3.org/2000/svg';
/** Longer than Azure's 230 s limit on an HTTP answer. */
const REQUEST_TIMEOUT_MS = 240_000;

/** API prefix from the server-rendered page ("/api" by default). */
const API = document.documentElement.dataset.api ?? '/api';

/** @type {LogTypeMeta[]} */
let logTypes = [];
/** The deployment's KUBESIFT_INGEST_DATASETS (from GET /api/log-types): what a request without `ingest` gets. */
let ingestDefault = false;
/** The user picked an output format: a log type that has it keeps it (else each type's default). */
let formatChosen = false;
/** This server answered without a key (npm start checks none): "not set" would read as a problem. */
let keysUnchecked = false;

// ---------- small DOM helpers ----------

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new (...args: any[]) => T} [type]
 * @returns {T}
 */
function byId(id, type) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  if (type && !(el instanceof type)) throw new Error(`#${id} is not a ${type.name}`);
  return /** @type {T} */ (el);
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node | string)[]} [children]
 */
function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 */
function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// ---------- function key: typed once (or ?code=), kept in sessionStorage, sent as a header ----------

function getKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

/** @param {string} key */
function setKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  const state = byId('key-state');
  state.textContent = key ? 'set' : keysUnchecked ? 'not needed here' : 'not set';
  state.classList.toggle('set', Boolean(key));
}

/** Take ?code= from the address once, then remove it so it doesn't stay in history or bookmarks. */
function adoptKeyFromUrl() {
  const url = new URL(location.href);
  const code = url.searchParams.get('code');
  if (code) {
    url.searchParams.delete('code');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    setKey(code);
  } else setKey(getKey());
}

/**
 * Fetches from this app's API with the function key; a 401/403 opens the key panel.
 * @param {string} path
 * @param {RequestInit} [init]
 */
async function apiFetch(path, init = {}) {
  const headers = new Headers(init.headers);
  const key = getKey();
  if (key) headers.set('x-functions-key', key);
  // Azure answers an HTTP function within 230 s or not at all: past that nothing will come
  // (storage that hangs left the page on "Generating…" with its buttons off for good).
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, REQUEST_TIMEOUT_MS);
  /** @type {Response} */
  let res;
  try {
    res = await fetch(API + path, { ...init, headers, credentials: 'same-origin', signal: abort.signal });
  } catch (e) {
    if (timedOut) throw new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s (the app or its storage is not responding)`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 401 || res.status === 403) {
    showBanner('The API refused the request: set the function key (top right) and try again.');
    /** @type {HTMLDetailsElement} */ (byId('key-panel')).open = true;
  }
  return res;
}

/**
 * Calls this app's API with the function key; resolves to the status and parsed body.
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<{ status: number, body: any, text: string }>}
 */
async function api(path, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  const res = await apiFetch(path, { ...init, headers });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: res.status, body, text };
}

/** @param {string} message */
function showBanner(message) {
  const b = byId('global-error');
  b.textContent = message;
  b.hidden = !message;
}

// ---------- views (hash routing keeps Back and deep links working) ----------

function showView() {
  const view = location.hash === '#detections' ? 'detections' : 'generate';
  for (const name of ['generate', 'detections']) {
    byId(`view-${name}`).hidden = name !== view;
    const tab = byId(`tab-${name}`);
    if (name === view) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  if (view === 'detections') void loadDetections();
}

// ---------- generate view ----------

/** @param {LogTypeMeta['scenarios']} list @returns {ScenarioMeta[]} */
function scenarioList(list) {
  return (list ?? []).map((s) => (typeof s === 'string' ? { name: s } : s));
}

function currentLogType() {
  const name = /** @type {HTMLSelectElement} */ (byId('f-logType')).value;
  return logTypes.find((t) => t.name === name);
}

function renderLogTypeDetails() {
  const lt = currentLogType();
  byId('logType-desc').textContent = lt?.description ?? '';
  const format = /** @type {HTMLSelectElement} */ (byId('f-format'));
  const previous = format.value;
  format.replaceChildren(...(lt?.formats ?? ['raw']).map((f) => h('option', { value: f }, [f])));
  // The type's own default (eventhub for AKS), unless the user chose a format it also has.
  const wanted = formatChosen && (lt?.formats ?? []).includes(previous) ? previous : lt?.defaultFormat;
  if (wanted) format.value = wanted;

  const box = byId('scenarios');
  const scenarios = scenarioList(lt?.scenarios);
  box.replaceChildren(
    ...scenarios.map((s) => {
      const id = `sc-${s.name}`;
      const detail = [s.technique, s.description].filter(Boolean).join(' · ');
      return h('label', { for: id }, [
        h('input', { type: 'checkbox', id, name: 'scenarios', value: s.name }),
        h('span', {}, [s.name, ...(detail ? [h('small', {}, [detail])] : [])]),
      ]);
    }),
  );
  byId('scenarios-none').hidden = scenarios.length > 0;
  byId('syslog-options').hidden = lt?.name !== 'syslog';
  syncPri();
}

/** <PRI> is an RFC 3164 choice only (RFC 5424 always has it). */
function syncPri() {
  const rfc5424 = /** @type {HTMLSelectElement} */ (byId('f-syslog')).value === 'rfc5424';
  /** @type {HTMLInputElement} */ (byId('f-syslogPri')).disabled = rfc5424;
}

async function loadLogTypes() {
  /** @type {{ status: number, body: any }} */
  let answer;
  try {
    answer = await api('/log-types');
  } catch (e) {
    showBanner(`Could not load log types: ${e instanceof Error ? e.message : String(e)}. Reload the page to try again.`);
    return;
  }
  const { status, body } = answer;
  /** @type {unknown} */
  const list = Array.isArray(body) ? body : body?.logTypes;
  if (status !== 200 || !Array.isArray(list)) {
    if (status !== 401 && status !== 403) showBanner(`Could not load log types (HTTP ${status}${body?.error ? `: ${body.error}` : ''}).`);
    return;
  }
  // Loaded again (a key was just given): what the user set in the form stays.
  const again = logTypes.length > 0;
  logTypes = /** @type {LogTypeMeta[]} */ (list);
  // Answered without a key: this server does not check keys (npm start), so "not set" would
  // read as a problem to fix.
  if (!getKey()) {
    keysUnchecked = true;
    byId('key-state').textContent = 'not needed here';
  }
  // Start from the deployment's default, so leaving the box alone never overrides it.
  ingestDefault = body?.defaults?.ingest === true;
  const select = /** @type {HTMLSelectElement} */ (byId('f-logType'));
  if (again && logTypes.some((t) => t.name === select.value)) return;
  /** @type {HTMLInputElement} */ (byId('f-ingest')).checked = ingestDefault;
  select.replaceChildren(...logTypes.map((t) => h('option', { value: t.name }, [t.name])));
  renderLogTypeDetails();
}

/** datetime-local gives "YYYY-MM-DDTHH:MM[:SS]" without a zone; the form says UTC, so append Z. */
/** @param {string} v */
function utcInstant(v) {
  if (!v) return undefined;
  return (v.length === 16 ? `${v}:00` : v) + 'Z';
}

/** Builds the POST /api/datasets body from the form, sending only what the user set. */
function requestBody() {
  const form = /** @type {HTMLFormElement} */ (byId('gen-form'));
  const data = new FormData(form);
  /** @type {Record<string, unknown>} */
  const body = { logType: String(data.get('logType') ?? '') };
  const format = String(data.get('format') ?? '');
  if (format) body.format = format;
  for (const name of ['count', 'seed', 'rate']) {
    const raw = String(data.get(name) ?? '').trim();
    // Send what was typed (even if not a number) so the API, not the browser, names the error.
    if (raw !== '') body[name] = Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  for (const name of ['start', 'end']) {
    const iso = utcInstant(String(data.get(name) ?? ''));
    if (iso) body[name] = iso;
  }
  if (body.logType === 'syslog') {
    const protocol = String(data.get('syslogProtocol') ?? 'rfc5424');
    body.syslog = protocol === 'rfc3164' ? { protocol, pri: data.get('syslogPri') === 'on' } : { protocol };
  }
  const scenarios = data.getAll('scenarios').map(String);
  if (scenarios.length) body.scenarios = scenarios;
  // Sent only when it differs from the deployment's default: left alone, the API applies that
  // default (and says why a dataset could not be queued instead of refusing the request).
  const ingest = data.get('ingest') === 'on';
  if (ingest !== ingestDefault) body.ingest = ingest;
  return body;
}

function clearFieldErrors() {
  for (const f of FORM_FIELDS) {
    byId(`err-${f}`).textContent = '';
    const control = f === 'scenarios' ? byId('scenarios-fieldset') : byId(`f-${f}`);
    control.removeAttribute('aria-invalid');
  }
  byId('form-error').textContent = '';
  showBanner('');
}

/**
 * Pulls "field → message" pairs out of a 400 body, whatever shape the API uses
 * ({issues:[{path,message}]}, {errors:[...]}, {field,message}, {error:{field,...}}).
 * @param {any} body
 * @returns {FieldIssue[]}
 */
export function fieldIssues(body) {
  if (!body || typeof body !== 'object') return [];
  const nested = body.error && typeof body.error === 'object' ? body.error : null;
  const list = body.issues ?? body.errors ?? nested?.issues ?? nested?.errors;
  /** @type {any[]} */
  const raw = Array.isArray(list) ? list : body.field || nested?.field ? [nested ?? body] : [];
  return raw.map((i) => {
    const p = i.path ?? i.field ?? '';
    const path = Array.isArray(p) ? p.map(String).join('.') : String(p);
    return { path, message: String(i.message ?? i.error ?? 'invalid value') };
  });
}

/** Shows each API error beside the control it names; unknown fields go under the form. */
/** @param {FieldIssue[]} issues @param {string} fallback */
function showFieldErrors(issues, fallback) {
  /** @type {HTMLElement | null} */
  let first = null;
  for (const issue of issues) {
    const field = FORM_FIELDS.find((f) => issue.path === f || issue.path.startsWith(`${f}.`));
    if (!field) {
      byId('form-error').textContent += `${issue.path ? issue.path + ': ' : ''}${issue.message} `;
      continue;
    }
    const err = byId(`err-${field}`);
    err.textContent = err.textContent ? `${err.textContent}; ${issue.message}` : issue.message;
    const control = field === 'scenarios' ? byId('scenarios-fieldset') : byId(`f-${field}`);
    control.setAttribute('aria-invalid', 'true');
    first ??= field === 'scenarios' ? document.querySelector('#scenarios input') : control;
  }
  if (!issues.length) byId('form-error').textContent = fallback;
  first?.focus();
}

/** Hides the preview and the result: they answered the form as it was. */
function hideAnswers() {
  byId('preview').hidden = true;
  byId('result').hidden = true;
}

/** Counts form edits: a preview whose form changed while it was made is not shown. */
let formEdits = 0;
function formEdited() {
  formEdits++;
  byId('preview').hidden = true;
}

/** @param {string} text */
function setStatus(text) {
  byId('gen-status').textContent = text;
}

/** @param {boolean} busy */
function setBusy(busy) {
  for (const id of ['btn-preview', 'btn-generate']) /** @type {HTMLButtonElement} */ (byId(id)).disabled = busy;
}

async function preview() {
  clearFieldErrors();
  // Neither an older preview nor a generated result may stand beside this request's answer.
  hideAnswers();
  setBusy(true);
  setStatus('Generating a preview…');
  const asked = formEdits;
  try {
    const { status, body } = await api('/ui/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(requestBody()),
    });
    if (status !== 200) {
      setStatus('');
      showFieldErrors(fieldIssues(body), body?.message ?? body?.error ?? `Preview failed (HTTP ${status}).`);
      return;
    }
    if (asked !== formEdits) {
      setStatus('The form changed while the preview was made: preview again.');
      return;
    }
    byId('preview').hidden = false;
    const lines = /** @type {string[]} */ (body.lines ?? []);
    byId('preview-lines').textContent = lines.join('\n');
    byId('preview-meta').textContent = `First ${lines.length} line(s) of ${body.format ?? 'the'} output for this seed.`;
    setStatus('Preview ready.');
  } catch (e) {
    setStatus('');
    showBanner(`Preview failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    setBusy(false);
  }
}

/**
 * The parts of the POST /api/datasets answer the page shows (functions/generate/api.ts).
 * @typedef {{ name: string, kind: 'json' | 'csv', command: string }} MappingInfo
 * @typedef {{ name: string, schema: string[], mappings: MappingInfo[] }} TableInfo
 * @typedef {{ request: { logType: string, format: string }, blobs: { data: string, labels: string },
 *             downloads: { data: string, labels: string },
 *             rows: number, events: number, bytes: { uncompressed: number, compressed: number },
 *             sha256: { value: string }, labels: { scenario: string, technique: string, records: number }[],
 *             table: TableInfo | null, ingestCommand: string | null,
 *             ingestion: { queued: boolean, ingestionId?: string, reason?: string } }} DatasetAnswer
 */

/** Container and blob name of a blob URL, for a readable link text. */
/** @param {string} url */
function blobName(url) {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || url;
  } catch {
    return url;
  }
}

/**
 * Fills a copyable block; when there is nothing to copy, says why and disables its button.
 * @param {string} id @param {string | null} text @param {string} why
 */
function setCopyable(id, text, why) {
  const pre = byId(id);
  const button = /** @type {HTMLButtonElement} */ (document.querySelector(`button[data-copy="${id}"]`));
  pre.textContent = text ?? why;
  pre.classList.toggle('muted', !text);
  button.disabled = !text;
}

/** @param {number} n */
const num = (n) => Number(n).toLocaleString('en-US');

/**
 * The name a dataset file is saved under, `<logType>-<hash>-<file>` (as the route's
 * Content-Disposition names it).
 * @param {string} path route under the API prefix (`datasets/<logType>/<hash>/<file>`)
 */
const downloadName = (path) => path.split('/').slice(1).join('-');

/**
 * Saves a dataset file. The container is private, so the file comes through the app's download
 * route, and a plain link cannot send the function key header: fetch it with the key, then save
 * the bytes from a Blob URL.
 * @param {string} path route under the API prefix (`datasets/<logType>/<hash>/<file>`)
 */
async function saveFile(path) {
  const name = downloadName(path);
  try {
    const res = await apiFetch(`/${path}`);
    if (!res.ok) {
      if (res.status !== 401 && res.status !== 403) showBanner(`Download of ${name} failed (HTTP ${res.status}).`);
      return;
    }
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: name, hidden: '' });
    document.body.append(a);
    a.click();
    a.remove();
    // The download has its own copy by the time this runs out.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (e) {
    showBanner(`Download of ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** @param {DatasetAnswer} body */
function renderResult(body) {
  /** A link to the file's download route (what "copy link" gives); a click downloads it with the key. */
  const link = (/** @type {string} */ path, /** @type {string} */ url, /** @type {string} */ cls) => {
    const a = h('a', { href: `${API}/${path}`, download: downloadName(path), rel: 'noreferrer', class: cls }, [blobName(url)]);
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      void saveFile(path);
    });
    return a;
  };
  byId('out-blobs').replaceChildren(link(body.downloads.data, body.blobs.data, 'blob-link'));
  // Count is events; an auditd event writes several records: say both when they differ.
  byId('out-rows').textContent = body.events !== undefined && body.events !== body.rows ? `${num(body.rows)} (from ${num(body.events)} events)` : num(body.rows);
  byId('out-bytes').textContent = `${num(body.bytes.uncompressed)} uncompressed, ${num(body.bytes.compressed)} gzip`;
  byId('out-sha256').textContent = body.sha256.value;

  const ingestionId = body.ingestion.ingestionId;
  byId('out-ingestion').textContent = body.ingestion.queued ? `queued (${ingestionId ?? 'no id'})` : body.ingestion.reason ?? '';
  byId('out-ingestion').hidden = byId('out-ingestion-label').hidden = !body.ingestion.queued && !body.ingestion.reason;

  const summary = body.labels.length
    ? body.labels.map((l) => `${l.scenario} (${l.technique}): ${num(l.records)} records`).join('; ')
    : 'no scenarios: every record is benign';
  byId('out-labels').replaceChildren(link(body.downloads.labels, body.blobs.labels, 'labels-link'), h('div', { class: 'hint' }, [summary]));
  byId('out-labels').hidden = byId('out-labels-label').hidden = false;

  const format = body.request.format;
  const table = body.table;
  const noTable = format === 'raw'
    ? `${body.request.logType} raw output is each record's log text (an audit Event or a klog line) per line, not table rows; choose eventhub or jsonl for records the pipeline takes (sift send), which lands AksAudit / AksControlPlane.`
    : `${body.request.logType} datasets are diagnostic records (${format === 'eventhub' ? 'Event Hub bodies' : 'one per line'}), not table rows: send them through the pipeline (sift send), which lands AksAudit / AksControlPlane.`;
  setCopyable('out-schema', table ? table.schema.join('\n\n') : null, noTable);
  const mappingKind = format === 'csv' ? 'csv' : format === 'jsonl' ? 'json' : undefined;
  const mapping = table?.mappings.find((m) => m.kind === mappingKind);
  setCopyable('out-mapping', mapping ? mapping.command : null, table ? `No ingestion mapping for ${format}: choose csv or jsonl.` : noTable);
  setCopyable('out-ingest', body.ingestCommand, table ? `${format} output is not table rows: choose csv or jsonl for an .ingest command.` : noTable);
  byId('result').hidden = false;
}

/** @param {SubmitEvent} ev */
async function generate(ev) {
  ev.preventDefault();
  clearFieldErrors();
  // An older answer must not stand next to a new request's error.
  hideAnswers();
  setBusy(true);
  setStatus('Generating…');
  const started = performance.now();
  try {
    const { status, body } = await api('/datasets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(requestBody()),
    });
    if (status !== 200 && status !== 201 && status !== 202) {
      setStatus('');
      showFieldErrors(fieldIssues(body), body?.message ?? body?.error ?? `Generation failed (HTTP ${status}).`);
      return;
    }
    renderResult(body);
    setStatus(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    byId('h-result').focus();
  } catch (e) {
    setStatus('');
    showBanner(`Generation failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    setBusy(false);
  }
}

/** Clipboard API where allowed (https or localhost); otherwise select the text so Ctrl+C works. */
/** @param {HTMLButtonElement} button */
async function copyFrom(button) {
  const source = byId(button.dataset.copy ?? '');
  const text = source.textContent ?? '';
  const status = byId('copy-status');
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = `Copied ${button.getAttribute('aria-describedby') === 'h-ingest' ? 'the ingest command' : 'to the clipboard'}.`;
    button.textContent = 'Copied';
    setTimeout(() => (button.textContent = 'Copy'), 2000);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    const sel = getSelection();
    sel?.removeAllRanges();
    sel?.addRange(range);
    source.focus();
    status.textContent = 'Clipboard not available here: the text is selected, press Ctrl+C (⌘C).';
  }
}

// ---------- detections view ----------

/** @type {Record<string, string>} */
/** One per filter: the type check fails on a filter without its label (the page showed "All undefined"). @type {Record<typeof FILTERS[number], string>} */
const FILTER_LABELS = { cluster: 'clusters', priority: 'priorities', rule: 'rules', namespace: 'namespaces', user: 'users', source: 'sources', action: 'actions' };

// An empty value is a real one ("(none)": a cluster-scoped detection has no namespace), so
// each facet value's option is "=" + the value, and "All" is the one option without the "=".
const ALL = '';
/** @param {string} v */
const optionValue = (v) => `=${v}`;

function filterQuery() {
  const params = new URLSearchParams();
  for (const f of FILTERS) {
    const v = /** @type {HTMLSelectElement} */ (byId(`flt-${f}`)).value;
    // `namespace=` (empty) asks the API for the detections without a namespace.
    if (v !== ALL) params.set(f, v.slice(1));
  }
  return params;
}

/** Keeps the current choice while refreshing the option list from the API's facets. */
/** @param {Record<string, string[]>} facets */
function renderFacets(facets) {
  for (const f of FILTERS) {
    const select = /** @type {HTMLSelectElement} */ (byId(`flt-${f}`));
    const current = select.value;
    const values = (facets[f] ?? []).map(optionValue);
    if (current !== ALL && !values.includes(current)) values.push(current);
    select.replaceChildren(
      h('option', { value: ALL }, [`All ${FILTER_LABELS[f]}`]),
      ...values.map((v) => h('option', { value: v }, [v === '=' ? '(none)' : v.slice(1)])),
    );
    select.value = current;
  }
}

/** @param {string} iso */
function shortTime(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '';
}

/** @param {DetectionRow[]} rows */
function renderRows(rows) {
  // Empty cells show a dash so phone cards don't look broken; screen readers hear "none".
  const cell = (/** @type {string} */ label, /** @type {string} */ text, cls = '') =>
    text
      ? h('td', { 'data-label': label, ...(cls ? { class: cls } : {}) }, [text])
      : h('td', { 'data-label': label, class: `${cls} empty`.trim() }, [h('span', { 'aria-hidden': 'true' }, ['—']), h('span', { class: 'sr-only' }, ['none'])]);
  // One <tbody> per detection: its fields on one row, the Output line spanning the row below,
  // so long outputs don't squeeze the columns.
  const table = byId('det-table');
  for (const old of table.querySelectorAll('tbody')) old.remove();
  table.append(
    ...rows.map((d) => {
      const object = [d.Resource, [d.Namespace, d.Name].filter(Boolean).join('/')].filter(Boolean).join(' ');
      const prio = h('td', { 'data-label': 'Priority' }, [h('span', { class: `prio prio-${d.Priority}` }, [d.Priority])]);
      const fields = h('tr', {}, [
        cell('Time', shortTime(d.TimeGenerated), 'time'),
        prio,
        cell('Rule', d.Rule),
        cell('Source', d.Source),
        // Rows of two clusters read alike without it (the Cluster filter alone told them apart).
        cell('Cluster', d.Cluster),
        cell('Namespace', d.Namespace),
        cell('User', d.User),
        cell('Object', object),
        cell('Action', d.Action),
      ]);
      const output = h('tr', { class: 'out' }, [
        h('td', { colspan: '9', class: 'output', 'data-label': 'Output' }, [h('span', { class: 'sr-only' }, ['Output: ']), d.Output || '—']),
      ]);
      return h('tbody', { class: 'det' }, [fields, output]);
    }),
  );
}

/** Bar chart of detections per time bucket as inline SVG (no library, CSP-safe: no inline styles). */
/** @param {Histogram} histogram */
function renderChart(histogram) {
  const host = byId('det-chart');
  const caption = byId('det-chart-caption');
  const buckets = histogram.buckets;
  if (!buckets.length) {
    host.replaceChildren();
    caption.textContent = 'No detections to chart.';
    return;
  }
  // Drawn at the container's pixel width so text keeps its real size on a phone.
  const W = Math.max(280, Math.round(host.clientWidth || 720)), H = 160, left = 36, bottom = 22, top = 8;
  const max = Math.max(...buckets.map((b) => b.count));
  const bw = (W - left) / buckets.length;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'det-chart-title', focusable: 'false' });
  const title = svg('title', { id: 'det-chart-title' });
  // The detections' own first and last times (the first bar starts on a whole bucket, before them).
  const first = histogram.from ?? buckets[0]?.start ?? '';
  const last = histogram.to ?? buckets[buckets.length - 1]?.start ?? '';
  const peak = buckets.reduce((a, b) => (b.count > a.count ? b : a));
  title.textContent = `Detections over time, ${buckets.length} ${buckets.length === 1 ? 'bar' : 'bars'} of ${formatSpan(histogram.bucketMs)} from ${shortTime(first)} to ${shortTime(last)}; peak ${peak.count} in the one from ${shortTime(peak.start)}.`;
  root.append(title);
  root.append(svg('line', { class: 'axis', x1: left, y1: H - bottom, x2: W, y2: H - bottom }));
  root.append(svg('line', { class: 'axis', x1: left, y1: top, x2: left, y2: H - bottom }));
  const maxLabel = svg('text', { x: left - 4, y: top + 10, 'text-anchor': 'end' });
  maxLabel.textContent = String(max);
  root.append(maxLabel);
  const zero = svg('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end' });
  zero.textContent = '0';
  root.append(zero);
  buckets.forEach((b, i) => {
    const bh = max ? ((H - bottom - top) * b.count) / max : 0;
    const rect = svg('rect', {
      class: 'bar',
      x: left + i * bw + 1,
      y: H - bottom - bh,
      width: Math.max(1, bw - 2),
      height: bh,
    });
    const tip = svg('title', {});
    tip.textContent = `${shortTime(b.start)}: ${b.count}`;
    rect.append(tip);
    root.append(rect);
  });
  for (const [i, anchor] of /** @type {[number, string][]} */ ([[0, 'start'], [buckets.length - 1, 'end']])) {
    const t = svg('text', { x: anchor === 'start' ? left : W, y: H - 6, 'text-anchor': anchor });
    t.textContent = shortTime(buckets[i]?.start ?? '');
    root.append(t);
  }
  host.replaceChildren(root);
  caption.textContent = `Detections per ${formatSpan(histogram.bucketMs)} (peak ${peak.count}).`;
}

/** @param {number} ms */
function formatSpan(ms) {
  /** @param {number} n @param {string} unit */
  const of = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (ms >= 86_400_000) return of(Math.round(ms / 86_400_000), 'day');
  if (ms >= 3_600_000) return of(Math.round(ms / 3_600_000), 'hour');
  if (ms >= 60_000) return of(Math.round(ms / 60_000), 'minute');
  return of(Math.max(1, Math.round(ms / 1000)), 'second');
}

/** @type {Histogram | null} */
let lastHistogram = null;

let detectionsSeq = 0;
async function loadDetections() {
  const seq = ++detectionsSeq; // ignore answers overtaken by a newer filter change
  const status = byId('det-status');
  status.textContent = 'Loading detections…';
  try {
    const { status: code, body } = await api(`/detections?${filterQuery()}`);
    if (seq !== detectionsSeq) return;
    if (code !== 200) {
      status.textContent = `Could not load detections (HTTP ${code})${body?.error ? `: ${body.error}` : ''}.`;
      return;
    }
    const res = /** @type {DetectionsResponse} */ (body);
    renderFacets(res.facets);
    renderRows(res.detections);
    lastHistogram = res.histogram;
    renderChart(res.histogram);
    const shown = res.detections.length < res.matched ? ` (showing the ${res.detections.length} most recent)` : '';
    // The view reads the newest landed files only: say when older ones were left out.
    const cut = !res.truncated
      ? ''
      : (res.blobsRead ?? 0) < (res.blobsFound ?? 0)
        ? ` Read the ${res.blobsRead} newest of ${res.blobsFound} landed Detections files: older detections are not counted here (query the Detections table in ADX for all).`
        : ` Read the newest ${res.total} detections, the most this view reads: older ones are not counted here (query the Detections table in ADX for all).`;
    status.textContent = res.total
      ? `${res.matched} of ${res.total} detections match${shown}.${cut}`
      : res.note ?? 'No detections landed yet. Run npm start (it lands a demo dataset) or send events.';
  } catch (e) {
    if (seq === detectionsSeq) status.textContent = `Could not load detections: ${e instanceof Error ? e.message : String(e)}`;
  }
}

// ---------- wiring ----------

function init() {
  adoptKeyFromUrl();
  byId('key-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = /** @type {HTMLInputElement} */ (byId('key-input'));
    setKey(input.value.trim());
    input.value = '';
    showBanner('');
    void loadLogTypes();
  });
  byId('key-clear').addEventListener('click', () => setKey(''));

  byId('f-logType').addEventListener('change', renderLogTypeDetails);
  byId('f-format').addEventListener('change', () => (formatChosen = true));
  byId('f-syslog').addEventListener('change', syncPri);
  // Editing a field clears its error: the message was about the old value.
  // A changed form: the preview shown was of the old one (a result keeps its own request).
  byId('gen-form').addEventListener('change', formEdited);
  byId('gen-form').addEventListener('input', (ev) => {
    formEdited();
    const target = /** @type {HTMLElement} */ (ev.target);
    const field = target.closest('#scenarios-fieldset') ? 'scenarios' : target.id.replace(/^f-/, '');
    if (!FORM_FIELDS.includes(field)) return;
    byId(`err-${field}`).textContent = '';
    (field === 'scenarios' ? byId('scenarios-fieldset') : target).removeAttribute('aria-invalid');
  });
  byId('seed-random').addEventListener('click', () => {
    const seed = /** @type {HTMLInputElement} */ (byId('f-seed'));
    seed.value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
    formEdited(); // set by code: no input event
    seed.focus();
  });
  byId('btn-preview').addEventListener('click', () => void preview());
  byId('gen-form').addEventListener('submit', (ev) => void generate(/** @type {SubmitEvent} */ (ev)));
  for (const b of document.querySelectorAll('button.copy')) {
    b.addEventListener('click', () => void copyFrom(/** @type {HTMLButtonElement} */ (b)));
  }

  const filters = byId('det-filters');
  filters.addEventListener('change', () => void loadDetections());
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadDetections();
  });
  byId('det-reset').addEventListener('click', () => {
    for (const f of FILTERS) /** @type {HTMLSelectElement} */ (byId(`flt-${f}`)).value = ALL;
    void loadDetections();
  });

  window.addEventListener('hashchange', showView);
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => lastHistogram && !byId('view-detections').hidden && renderChart(lastHistogram), 150);
  });
  renderFacets({});
  showView();
  void loadLogTypes();
}

init();
