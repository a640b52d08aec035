// Bicep checks that need no Bicep CLI and no network: syntax (tree-sitter-bicep), module
// contracts between main.bicep and modules/, the parameters file, API versions, and the
// absence of secrets. What only `bicep build` / a deployment can validate (types, property
// names against the resource schemas, runtime values) is listed in docs/deploy.md.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bicepFiles,
  callStringArgs,
  infraDir,
  moduleOutputRefs,
  parseBicep,
  readBicep,
  repoRoot,
  syntaxProblems,
  type BicepFile,
} from './infra-bicep.js';

const files = bicepFiles();

describe('Bicep syntax (tree-sitter-bicep)', () => {
  it('finds the main template and one module per concern', () => {
    expect(files).toContain('infra/main.bicep');
    for (const m of ['identity', 'monitoring', 'storage', 'eventhubs', 'keyvault', 'functionapp', 'roles', 'adx', 'aksDiagnostics']) {
      expect(files).toContain(`infra/modules/${m}.bicep`);
    }
  });

  it.each(files)('%s parses with no ERROR or MISSING node', (file) => {
    const root = parseBicep(readFileSync(join(repoRoot, file), 'utf8'));
    expect(root.type).toBe('infrastructure');
    expect(syntaxProblems(root)).toEqual([]);
  });

  // The check above is only worth something if the parser rejects broken input.
  it.each([
    ['unclosed object', "resource a 'Microsoft.Storage/storageAccounts@2024-01-01' = {\n  name: 'a'\n"],
    ['parameter without type', 'param x = 1\n'],
    ['property without value', 'var a = {\n  b:\n}\n'],
    ['unterminated string', "var a = 'abc\n"],
  ])('the parser reports a %s', (_, src) => {
    expect(syntaxProblems(parseBicep(src)).length).toBeGreaterThan(0);
  });
});

const main = readBicep('infra/main.bicep');
const modulesByPath = new Map<string, BicepFile>();
for (const m of main.modules) {
  const p = join('infra', m.path);
  if (existsSync(join(repoRoot, p))) modulesByPath.set(m.path, readBicep(p));
}

describe('module contracts (main.bicep ↔ modules/)', () => {
  it.each(main.modules.map((m) => [m.symbol, m.path] as const))('module %s (%s) exists', (_, path) => {
    expect(existsSync(join(infraDir, path))).toBe(true);
  });

  it.each(main.modules.map((m) => [m.symbol, m] as const))('module %s gets only declared params and every required one', (_, m) => {
    const mod = modulesByPath.get(m.path)!;
    const declared = new Set(mod.params.map((p) => p.name));
    expect(m.params.filter((p) => !declared.has(p)), 'params the module does not declare').toEqual([]);
    const required = mod.params.filter((p) => !p.hasDefault).map((p) => p.name);
    expect(required.filter((p) => !m.params.includes(p)), 'required params not passed').toEqual([]);
  });

  it('every <module>.outputs.<name> reference names a declared output', () => {
    const symbols = new Map(main.modules.map((m) => [m.symbol, modulesByPath.get(m.path)!]));
    const bad = moduleOutputRefs(main.root)
      .filter((r) => symbols.has(r.symbol))
      .filter((r) => !symbols.get(r.symbol)!.outputs.has(r.output))
      .map((r) => `${r.symbol}.outputs.${r.output} (line ${r.line})`);
    expect(bad).toEqual([]);
  });

  it('every loadTextContent() file exists', () => {
    for (const f of files) {
      const b = readBicep(f);
      for (const path of callStringArgs(b.root, 'loadTextContent')) {
        expect(existsSync(join(repoRoot, dirname(f), path)), `${f}: ${path}`).toBe(true);
      }
    }
  });
});

describe('infra/main.parameters.json', () => {
  const doc = JSON.parse(readFileSync(join(infraDir, 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value?: unknown; reference?: unknown }>;
  };
  const given = Object.keys(doc.parameters);
  const byName = new Map(main.params.map((p) => [p.name, p]));

  it('sets only parameters main.bicep declares', () => {
    expect(given.filter((n) => !byName.has(n))).toEqual([]);
  });

  it('sets every parameter main.bicep has no default for', () => {
    expect(main.params.filter((p) => !p.hasDefault && !given.includes(p.name)).map((p) => p.name)).toEqual([]);
  });

  it('gives values of the declared types', () => {
    const jsonType = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
    const expected: Record<string, string> = { string: 'string', int: 'number', bool: 'boolean', array: 'array', object: 'object' };
    for (const [name, { value }] of Object.entries(doc.parameters)) {
      const t = byName.get(name)?.type ?? '';
      if (expected[t]) expect(jsonType(value), name).toBe(expected[t]);
    }
  });

  it('carries no value for @secure() parameters', () => {
    const secure = main.params.filter((p) => p.decorators.includes('secure')).map((p) => p.name);
    expect(secure.length).toBeGreaterThan(0);
    expect(given.filter((n) => secure.includes(n))).toEqual([]);
  });
});

// Allow-list of resource API versions (checked 2025: the newest stable version each
// provider documents for the properties used here, or a stable one not older than two
// years). Update deliberately, with a reason, when bumping.
const API_VERSIONS: Record<string, string> = {
  'Microsoft.ManagedIdentity/userAssignedIdentities': '2023-01-31',
  'Microsoft.OperationalInsights/workspaces': '2023-09-01',
  // Application Insights components have had no stable API version since 2020-02-02.
  'Microsoft.Insights/components': '2020-02-02',
  'Microsoft.Storage/storageAccounts': '2024-01-01',
  'Microsoft.Storage/storageAccounts/blobServices': '2024-01-01',
  'Microsoft.Storage/storageAccounts/blobServices/containers': '2024-01-01',
  'Microsoft.Storage/storageAccounts/managementPolicies': '2024-01-01',
  'Microsoft.Authorization/roleAssignments': '2022-04-01',
  'Microsoft.EventHub/namespaces': '2024-01-01',
  'Microsoft.EventHub/namespaces/eventhubs': '2024-01-01',
  'Microsoft.EventHub/namespaces/eventhubs/consumergroups': '2024-01-01',
  'Microsoft.EventHub/namespaces/authorizationRules': '2024-01-01',
  'Microsoft.Web/serverfarms': '2024-04-01',
  'Microsoft.Web/sites': '2024-04-01',
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies': '2024-04-01',
  'Microsoft.Kusto/clusters': '2024-04-13',
  'Microsoft.Kusto/clusters/databases': '2024-04-13',
  'Microsoft.Kusto/clusters/databases/scripts': '2024-04-13',
  'Microsoft.Kusto/clusters/databases/principalAssignments': '2024-04-13',
  'Microsoft.ContainerService/managedClusters': '2024-09-01',
  // Only preview versions exist for diagnostic settings newer than 2016; this is the one
  // Azure Monitor documents for templates. The single whitelisted preview.
  'Microsoft.Insights/diagnosticSettings': '2021-05-01-preview',
  'Microsoft.EventGrid/systemTopics': '2025-02-15',
  'Microsoft.EventGrid/systemTopics/eventSubscriptions': '2025-02-15',
  // Stable, with every property used here (enableRbacAuthorization, publicNetworkAccess,
  // secretUri); newer stable versions exist and add nothing this template needs.
  'Microsoft.KeyVault/vaults': '2024-11-01',
  'Microsoft.KeyVault/vaults/secrets': '2024-11-01',
};
const PREVIEW_WHITELIST = new Set(['Microsoft.Insights/diagnosticSettings']);
const OLD_WHITELIST = new Set(['Microsoft.Insights/components', 'Microsoft.Insights/diagnosticSettings']);
const OLDEST = '2022-04-01';

describe('API versions', () => {
  const used = files.flatMap((f) => readBicep(f).resources.map((r) => ({ file: f, ...r })));

  it('declares resources', () => {
    expect(used.length).toBeGreaterThan(20);
  });

  it.each(used.map((r) => [`${r.type}@${r.apiVersion}`, r] as const))('%s is in the allow-list', (_, r) => {
    expect(API_VERSIONS[r.type], `${r.file}: ${r.type} has no allow-listed version`).toBeDefined();
    expect(r.apiVersion, `${r.file}: ${r.type}`).toBe(API_VERSIONS[r.type]);
  });

  it('allow-listed versions are stable and recent unless whitelisted', () => {
    for (const [type, v] of Object.entries(API_VERSIONS)) {
      if (!PREVIEW_WHITELIST.has(type)) expect(v, type).not.toMatch(/preview/i);
      if (!OLD_WHITELIST.has(type)) expect(v.slice(0, 10) >= OLDEST, `${type}@${v} older than ${OLDEST}`).toBe(true);
    }
  });

  it('one resource type uses one version across files', () => {
    const seen = new Map<string, Set<string>>();
    for (const r of used) seen.set(r.type, (seen.get(r.type) ?? new Set()).add(r.apiVersion));
    expect([...seen].filter(([, v]) => v.size > 1).map(([t]) => t)).toEqual([]);
  });
});

describe('no secrets in templates', () => {
  const sources = files.map((f) => [f, readFileSync(join(repoRoot, f), 'utf8')] as const);

  // One exception: captureEvents.bicep reads the `eventGrid` function's own key into the
  // Event Grid subscription URL (the endpoint has authLevel 'function'); nowhere else, and
  // never a host key (it opens every route).
  const FUNCTION_KEY_FOR_EVENT_GRID = /listKeys\(resourceId\('Microsoft\.Web\/sites\/functions', functionAppName, endpointFunctionName\), '[0-9-]+'\)\.default/g;

  it.each(sources.map(([f]) => [f]))('%s calls no list*() key or connection-string function', (f) => {
    let src = sources.find(([x]) => x === f)![1];
    if (f === 'infra/modules/captureEvents.bicep') {
      expect(src.match(FUNCTION_KEY_FOR_EVENT_GRID)?.length).toBe(1);
      expect(src).not.toMatch(/Microsoft\.Web\/sites\/host/);
      expect(src).toMatch(/endpointUrl: '[^'\n]*\?code=\$\{listKeys/);
      expect([...readBicep(f).outputs.values()].map((o) => o.text).join('\n')).not.toMatch(/list/i);
      src = src.replace(FUNCTION_KEY_FOR_EVENT_GRID, '');
    }
    expect(src).not.toMatch(/\blist(Keys|AccountSas|ServiceSas|ConnectionStrings|Secrets|Credentials)\s*\(/i);
    expect(src).not.toMatch(/\.list(Keys|ConnectionStrings)\(/i);
    expect(src).not.toMatch(/AccountKey=|SharedAccessKey=|SharedAccessSignature=/);
  });

  it("the key read is the key of the function behind the subscription's path (captureEvents.bicep)", async () => {
    const src = readFileSync(join(infraDir, 'modules/captureEvents.bicep'), 'utf8');
    const fn = /^param endpointFunctionName string = '([^']+)'$/m.exec(src)?.[1];
    const path = /^param endpointPath string = '\/api\/([^']+)'$/m.exec(src)?.[1];
    const { httpTriggers } = await import('../functions/triggers/registry.js');
    await import('../functions/triggers/eventGrid.js');
    const trigger = httpTriggers.find((t) => t.name === fn);
    expect(trigger?.options.route).toBe(path);
    expect(trigger?.options.authLevel).toBe('function');
  });

  // Named like credentials but only identify something: the diagnostics rule's resource id,
  // and the vault's name (azd's conventional name for it).
  const NOT_CREDENTIALS = [/_RULE_ID$/, /^AZURE_KEY_VAULT_NAME$/];

  it('main.bicep outputs nothing named like a credential', () => {
    const credentialLike = [...main.outputs.keys()].filter((n) => /key|secret|password|connectionstring|sas/i.test(n));
    expect(credentialLike.filter((n) => !NOT_CREDENTIALS.some((re) => re.test(n)))).toEqual([]);
    expect(main.outputs.get('AZURE_KEY_VAULT_NAME')?.text).toMatch(/= keyVault\.outputs\.name$/);
  });

  it('storage account has shared-key access off and Event Hubs keeps SAS only for diagnostic settings', () => {
    const storage = readFileSync(join(infraDir, 'modules/storage.bicep'), 'utf8');
    expect(storage).toMatch(/allowSharedKeyAccess:\s*false/);
    const eh = readFileSync(join(infraDir, 'modules/eventhubs.bicep'), 'utf8');
    expect(eh).toMatch(/disableLocalAuth:\s*!allowLocalAuth/);
    expect(main.modules.find((m) => m.symbol === 'eventHubs')?.node.text).toMatch(/allowLocalAuth:\s*connectAks\b/);
  });
});
