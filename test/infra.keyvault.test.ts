// The webhook shared secrets, read from the templates: main.bicep's @secure() parameters go
// to the Key Vault module only, become one vault secret each (none when empty), and reach the
// Function App only as versionless @Microsoft.KeyVault(SecretUri=...) references, resolved
// with the app's user-assigned identity, which holds Key Vault Secrets User on that vault.
import { describe, expect, it } from 'vitest';
import {
  declarationBody,
  identifiers,
  literalString,
  objectEntries,
  objectPath,
  objectsIn,
  readBicep,
  type BicepFile,
  type Node,
} from './infra-bicep.js';

const main = readBicep('infra/main.bicep');
const kv = readBicep('infra/modules/keyvault.bicep');
const app = readBicep('infra/modules/functionapp.bicep');

const WEBHOOK_PARAMS = ['webhookSecretK8sAudit', 'webhookSecretFalco', 'webhookSecretKubeArmor'];
const WEBHOOK_SETTINGS = ['KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT', 'KUBESIFT_WEBHOOK_SECRET_FALCO', 'KUBESIFT_WEBHOOK_SECRET_KUBEARMOR'];

const secureParams = (b: BicepFile) => b.params.filter((p) => p.decorators.includes('secure')).map((p) => p.name);

/** `params: { ... }` of a module in main.bicep, as name → value text. */
function moduleArgs(symbol: string): Map<string, string> {
  const m = main.modules.find((x) => x.symbol === symbol);
  expect(m, `module ${symbol}`).toBeDefined();
  return new Map(objectEntries(objectPath(declarationBody(m!.node)!, 'params')!).map(([k, v]) => [k, v.text]));
}

function enclosing(n: Node, type: string): Node | null {
  let x = n.parent;
  while (x && x.type !== type) x = x.parent;
  return x;
}

/** References to the named parameters in a file (the declarations themselves left out). */
function uses(b: BicepFile, names: string[]): Node[] {
  return identifiers(b.root).filter((i) => names.includes(i.text) && i.parent?.type !== 'parameter_declaration');
}

/** App-setting value nodes from the `*Settings` variables of functionapp.bicep. */
function appSetting(key: string): Node | undefined {
  for (const [name, value] of app.vars) {
    if (!name.endsWith('Settings') || name === 'appSettings') continue;
    for (const obj of objectsIn(value)) {
      const hit = objectEntries(obj).find(([k]) => k === key);
      if (hit) return hit[1];
    }
  }
  return undefined;
}

describe('webhook secrets: main.bicep → Key Vault', () => {
  it('main.bicep takes them as @secure() parameters with an empty default', () => {
    for (const name of WEBHOOK_PARAMS) {
      const p = main.params.find((x) => x.name === name);
      expect(p?.decorators, name).toContain('secure');
      expect(p?.hasDefault, name).toBe(true);
    }
  });

  it('passes them to the Key Vault module and nowhere else (not to the Function App, not to an output)', () => {
    const refs = uses(main, secureParams(main));
    expect(refs.length).toBeGreaterThanOrEqual(WEBHOOK_PARAMS.length);
    for (const r of refs) {
      const mod = enclosing(r, 'module_declaration');
      expect(mod?.namedChildren[0]?.text, `${r.text} at line ${r.startPosition.row + 1}`).toBe('keyVault');
    }
    const args = moduleArgs('keyVault');
    for (const name of WEBHOOK_PARAMS) expect(args.get(name), name).toBe(name);
  });

  it('the Key Vault module keeps them @secure() and writes each into its own secret, only when given', () => {
    const secure = secureParams(kv);
    expect(secure.sort()).toEqual([...WEBHOOK_PARAMS].sort());
    const secrets = kv.resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets' && !r.existing);
    expect(secrets).toHaveLength(WEBHOOK_PARAMS.length);
    const vault = kv.resources.find((r) => r.type === 'Microsoft.KeyVault/vaults' && !r.existing)!;
    const configured = kv.vars.get('configured')!;
    const written = new Set<string>();
    const names = new Set<string>();
    for (const s of secrets) {
      const body = declarationBody(s.node)!;
      expect(objectPath(body, 'parent')?.text, s.symbol).toBe(vault.symbol);
      const value = objectPath(body, 'properties', 'value')!.text;
      expect(secure, `${s.symbol} value`).toContain(value);
      written.add(value);
      names.add(literalString(objectPath(body, 'name')) ?? objectPath(body, 'name')!.text);
      // `if (configured.<k>)` with configured.<k> = !empty(<that same parameter>)
      const cond = /=\s*if\s*\(configured\.(\w+)\)/.exec(s.node.text)?.[1];
      expect(cond, `${s.symbol} is conditional on configured.*`).toBeDefined();
      expect(objectPath(configured, cond!)?.text, `configured.${cond}`).toBe(`!empty(${value})`);
    }
    expect([...written].sort()).toEqual([...WEBHOOK_PARAMS].sort());
    expect(names.size).toBe(WEBHOOK_PARAMS.length);
  });

  it('no output of the Key Vault module or of main.bicep reads a secure parameter or a versioned URI', () => {
    for (const b of [kv, main]) {
      for (const [name, out] of b.outputs) {
        expect(uses(b, secureParams(b)).filter((i) => enclosing(i, 'output_declaration') === out), `${b.path}: ${name}`).toEqual([]);
        expect(out.text, `${b.path}: ${name}`).not.toMatch(/secretUriWithVersion|\.value\b/);
      }
    }
  });
});

describe('webhook secrets: Key Vault → Function App settings', () => {
  it('the Function App module takes no secure value', () => {
    expect(secureParams(app)).toEqual([]);
  });

  it.each(WEBHOOK_SETTINGS)('%s is a versionless Key Vault reference to the secret the vault module writes', (key) => {
    const v = appSetting(key);
    expect(v, `${key} is set`).toBeDefined();
    const param = /^'@Microsoft\.KeyVault\(SecretUri=\$\{(\w+)\}\)'$/.exec(v!.text)?.[1];
    expect(param, `${key} = ${v!.text}`).toBeDefined();
    expect(app.params.find((p) => p.name === param), param).toBeDefined();
    // Written only when the URI is non-empty (empty parameter = endpoint not configured).
    const guard = enclosing(v!, 'ternary_expression');
    expect(guard?.childForFieldName('condition')?.text, key).toBe(`empty(${param})`);
    expect(guard?.childForFieldName('consequence')?.text, key).toBe('{}');
    // main.bicep feeds it the module output, which is the secret's versionless URI (or '').
    const output = /^keyVault\.outputs\.(\w+)$/.exec(moduleArgs('functionApp').get(param!) ?? '')?.[1];
    expect(output, `main.bicep functionApp.${param}`).toBeDefined();
    const out = kv.outputs.get(output!);
    const expr = out?.namedChildren[out.namedChildren.length - 1];
    expect(expr?.type, output).toBe('ternary_expression');
    expect(expr!.childForFieldName('condition')?.text, output).toMatch(/^configured\.\w+$/);
    const uri = /^(\w+)\.properties\.secretUri$/.exec(expr!.childForFieldName('consequence')?.text ?? '')?.[1];
    expect(kv.resources.find((r) => r.symbol === uri)?.type, `${output} reads a vault secret's secretUri`).toBe('Microsoft.KeyVault/vaults/secrets');
    expect(literalString(expr!.childForFieldName('alternative')), output).toBe('');
  });

  it('each webhook setting points at a different secret', () => {
    const params = WEBHOOK_SETTINGS.map((k) => /\$\{(\w+)\}/.exec(appSetting(k)!.text)![1]);
    const outputs = params.map((p) => moduleArgs('functionApp').get(p!));
    expect(new Set(outputs).size).toBe(WEBHOOK_SETTINGS.length);
  });

  it('every Key Vault reference in app settings is a versionless SecretUri', () => {
    const refs = [...app.vars.values()].flatMap((v) => (v.text.match(/@Microsoft\.KeyVault\([^)]*\)/g) ?? []));
    expect(refs.length).toBe(WEBHOOK_SETTINGS.length);
    for (const r of refs) expect(r).toMatch(/^@Microsoft\.KeyVault\(SecretUri=\$\{\w+\}\)$/);
  });
});

describe('Key Vault references resolve with the app identity', () => {
  const site = declarationBody(app.resources.find((r) => r.type === 'Microsoft.Web/sites' && !r.existing)!.node)!;

  it('the site names its user-assigned identity as keyVaultReferenceIdentity', () => {
    expect(objectPath(site, 'properties', 'keyVaultReferenceIdentity')?.text).toBe('identityId');
    const assigned = objectEntries(objectPath(site, 'identity', 'userAssignedIdentities')!).map(([k]) => k);
    expect(assigned).toEqual(["'${identityId}'"]); // the key is the interpolated string
  });

  it('that identity holds Key Vault Secrets User on this vault before the app is created', () => {
    expect(moduleArgs('functionApp').get('identityId')).toBe('identity.outputs.appIdentityId');
    const roles = moduleArgs('roles');
    expect(roles.get('principalId')).toBe('identity.outputs.appPrincipalId');
    expect(roles.get('keyVaultName')).toBe('keyVault.outputs.name');
    expect(moduleArgs('keyVault').get('name')).toBe('names.keyVault');
    const fa = declarationBody(main.modules.find((m) => m.symbol === 'functionApp')!.node)!;
    expect(identifiers(objectPath(fa, 'dependsOn')!).map((i) => i.text)).toContain('roles');
  });
});

describe('the vault', () => {
  const vault = declarationBody(kv.resources.find((r) => r.type === 'Microsoft.KeyVault/vaults' && !r.existing)!.node)!;
  const prop = (...k: string[]) => objectPath(vault, 'properties', ...k);

  it('uses RBAC only (no access policies), soft delete, the standard SKU', () => {
    expect(prop('enableRbacAuthorization')?.text).toBe('true');
    expect(prop('accessPolicies')?.text.replace(/\s/g, '')).toBe('[]');
    expect(prop('enableSoftDelete')?.text).toBe('true');
    const days = Number(prop('softDeleteRetentionInDays')?.text);
    expect(days).toBeGreaterThanOrEqual(7);
    expect(days).toBeLessThanOrEqual(90);
    expect(literalString(prop('sku', 'name'))).toBe('standard');
    expect(literalString(prop('sku', 'family'))).toBe('A');
    for (const k of ['enabledForDeployment', 'enabledForDiskEncryption', 'enabledForTemplateDeployment']) expect(prop(k)?.text, k).toBe('false');
  });

  it('leaves purge protection off unless asked, and never sends false (the API refuses it once on)', () => {
    expect(prop('enablePurgeProtection')?.text).toBe('enablePurgeProtection ? true : null');
    expect(kv.params.find((p) => p.name === 'enablePurgeProtection')?.node.text).toMatch(/= false$/);
    expect(moduleArgs('keyVault').get('enablePurgeProtection')).toBe('keyVaultPurgeProtection');
    expect(main.params.find((p) => p.name === 'keyVaultPurgeProtection')?.node.text).toMatch(/bool = false$/);
  });

  it('has the same public network access as the storage account', () => {
    const storage = readBicep('infra/modules/storage.bicep');
    const account = declarationBody(storage.resources.find((r) => r.type === 'Microsoft.Storage/storageAccounts' && !r.existing)!.node)!;
    expect(literalString(prop('publicNetworkAccess'))).toBe(literalString(objectPath(account, 'properties', 'publicNetworkAccess')));
  });

  it('gets a valid Key Vault name (3-24 letters, digits, hyphens; starts with a letter; no "--") for every namePrefix', () => {
    expect(main.vars.get('names') && objectPath(main.vars.get('names')!, 'keyVault')?.text).toBe("take('kv${compactPrefix}${suffix}', 24)");
    expect(main.vars.get('compactPrefix')?.text).toBe("toLower(replace(namePrefix, '-', ''))");
    const prefix = main.params.find((p) => p.name === 'namePrefix')!;
    const [min, max] = [/@minLength\((\d+)\)/, /@maxLength\((\d+)\)/].map((re) => Number(re.exec(prefix.node.previousNamedSibling!.text)![1]));
    const suffix = 'abcdefghij123'; // uniqueString() is 13 lower-case letters and digits
    for (let n = min!; n <= max!; n++) {
      for (const namePrefix of ['k'.repeat(n), `k-${'8'.repeat(Math.max(0, n - 3))}-`.slice(0, n)]) {
        const name = `kv${namePrefix.replace(/-/g, '').toLowerCase()}${suffix}`.slice(0, 24);
        expect(name, namePrefix).toMatch(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/);
        expect(name, namePrefix).not.toContain('--');
      }
    }
  });
});
