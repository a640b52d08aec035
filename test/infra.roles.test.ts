// Least privilege, read from the templates: which role each identity gets, at which scope.
// Widening a scope (e.g. a hub role to the namespace) or adding a role fails here, so the
// change has to be made on purpose, here and in docs/deploy.md.
import { describe, expect, it } from 'vitest';
import { bicepFiles, declarationBody, literalString, objectPath, readBicep } from './infra-bicep.js';

const ROLE_NAMES: Record<string, string> = {
  'a638d3c7-ab3a-418d-83e6-5f17a39d4fde': 'Azure Event Hubs Data Receiver',
  '2b629674-e913-4c01-ae53-ef4638d8f975': 'Azure Event Hubs Data Sender',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
};

/** role assignments in a file as `principal-param → role @ scope-resource-type`. */
function assignments(file: string): string[] {
  const b = readBicep(file);
  const roleIds = new Map<string, string>();
  for (const [name, value] of b.vars) {
    const lit = literalString(value);
    if (lit && ROLE_NAMES[lit]) roleIds.set(name, lit);
    if (value.type === 'object') {
      for (const p of value.namedChildren) {
        const k = p.namedChildren[0]?.text;
        const v = literalString(p.namedChildren[p.namedChildren.length - 1]);
        if (k && v && ROLE_NAMES[v]) roleIds.set(`${name}.${k}`, v);
      }
    }
  }
  const types = new Map(b.resources.map((r) => [r.symbol, r.type]));
  return b.resources
    .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments')
    .map((r) => {
      const body = declarationBody(r.node)!;
      // A loop's scope is `symbol[i]`: the resource type is the symbol's.
      const scope = (objectPath(body, 'scope')?.text ?? '(deployment scope)').replace(/\[\w+\]$/, '');
      const principal = objectPath(body, 'properties', 'principalId')?.text ?? '?';
      const roleExpr = objectPath(body, 'properties', 'roleDefinitionId')?.text ?? '';
      const ref = roleExpr.match(/,\s*([\w.]+)\)$/)?.[1] ?? '';
      const role = ROLE_NAMES[roleIds.get(ref) ?? ''] ?? `unknown role ${ref}`;
      expect(literalString(objectPath(body, 'properties', 'principalType')), r.symbol).toBe('ServicePrincipal');
      return `${principal} → ${role} @ ${types.get(scope) ?? scope}`;
    })
    .sort();
}

describe('role assignments', () => {
  it('app identity (roles.bicep)', () => {
    expect(assignments('infra/modules/roles.bicep')).toEqual(
      [
        'principalId → Azure Event Hubs Data Receiver @ Microsoft.EventHub/namespaces/eventhubs',
        'principalId → Azure Event Hubs Data Receiver @ Microsoft.EventHub/namespaces/eventhubs',
        'principalId → Azure Event Hubs Data Sender @ Microsoft.EventHub/namespaces/eventhubs',
        'principalId → Storage Blob Data Owner @ Microsoft.Storage/storageAccounts',
        'principalId → Storage Queue Data Contributor @ Microsoft.Storage/storageAccounts',
        'principalId → Storage Table Data Contributor @ Microsoft.Storage/storageAccounts',
        'principalId → Monitoring Metrics Publisher @ Microsoft.Insights/components',
        'principalId → Key Vault Secrets User @ Microsoft.KeyVault/vaults',
        'kustoClusterPrincipalId → Storage Blob Data Reader @ Microsoft.Storage/storageAccounts/blobServices/containers',
      ].sort(),
    );
  });

  it("ADX's identity reads only the containers it ingests from (datasets, landing), not dead letters, Capture files or the app package", () => {
    const main = readBicep('infra/main.bicep');
    const rolesModule = main.modules.find((m) => m.symbol === 'roles')!;
    expect(objectPath(declarationBody(rolesModule.node)!, 'params', 'kustoReadContainers')?.text.replace(/\s+/g, ' ')).toBe('[ containerNames.datasets containerNames.landing ]');
    const src = readBicep('infra/modules/roles.bicep');
    const reader = declarationBody(src.resources.find((r) => r.symbol === 'kustoBlobReader')!.node)!;
    expect(objectPath(reader, 'scope')?.text).toBe('kustoReadContainer[i]');
  });

  it('the sender role is on the webhook hub only; receivers on each hub', () => {
    const src = readBicep('infra/modules/roles.bicep');
    const scopeOf = (symbol: string) => objectPath(declarationBody(src.resources.find((r) => r.symbol === symbol)!.node)!, 'scope')?.text;
    expect(scopeOf('webhookHubSender')).toBe('webhookHub');
    expect(scopeOf('webhookHubReceiver')).toBe('webhookHub');
    expect(scopeOf('aksHubReceiver')).toBe('aksHub');
  });

  it('Key Vault Secrets User is on the KubeSift vault only, named like the other assignments', () => {
    const src = readBicep('infra/modules/roles.bicep');
    const body = declarationBody(src.resources.find((r) => r.symbol === 'keyVaultSecretsUser')!.node)!;
    expect(objectPath(body, 'scope')?.text).toBe('keyVault');
    expect(objectPath(body, 'name')?.text).toBe('guid(keyVault.id, principalId, roles.keyVaultSecretsUser)');
    const vault = src.resources.find((r) => r.symbol === 'keyVault')!;
    expect(vault.type).toBe('Microsoft.KeyVault/vaults');
    expect(vault.existing).toBe(true);
    expect(objectPath(declarationBody(vault.node)!, 'name')?.text).toBe('keyVaultName');
  });

  it('capture identity writes only to the capture container (storage.bicep)', () => {
    expect(assignments('infra/modules/storage.bicep')).toEqual([
      'capturePrincipalId → Storage Blob Data Contributor @ Microsoft.Storage/storageAccounts/blobServices/containers',
    ]);
  });

  it('the Event Grid topic writes only to its dead-letter container (captureEvents.bicep)', () => {
    expect(assignments('infra/modules/captureEvents.bicep')).toEqual([
      'topic.identity.principalId → Storage Blob Data Contributor @ Microsoft.Storage/storageAccounts/blobServices/containers',
    ]);
    const b = readBicep('infra/modules/captureEvents.bicep');
    const sub = declarationBody(b.resources.find((r) => r.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions')!.node)!;
    const dl = objectPath(sub, 'properties', 'deadLetterWithResourceIdentity')!;
    expect(literalString(objectPath(dl, 'identity', 'type'))).toBe('SystemAssigned');
    expect(literalString(objectPath(dl, 'deadLetterDestination', 'endpointType'))).toBe('StorageBlob');
    expect(objectPath(dl, 'deadLetterDestination', 'properties', 'blobContainerName')?.text).toBe('deadLetterContainerName');
    const topic = declarationBody(b.resources.find((r) => r.type === 'Microsoft.EventGrid/systemTopics')!.node)!;
    expect(literalString(objectPath(topic, 'identity', 'type'))).toBe('SystemAssigned');
  });

  it('no other file assigns roles', () => {
    const checked = ['infra/modules/roles.bicep', 'infra/modules/storage.bicep', 'infra/modules/captureEvents.bicep'];
    const others = bicepFiles().filter((f) => !checked.includes(f));
    expect(others).toEqual(expect.arrayContaining(['infra/main.bicep', 'infra/modules/functionapp.bicep', 'infra/modules/keyvault.bicep']));
    for (const f of others) {
      expect(readBicep(f).resources.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments'), f).toEqual([]);
    }
  });
});

describe('Function App shape (Flex Consumption, managed identity)', () => {
  const app = readBicep('infra/modules/functionapp.bicep');
  const site = declarationBody(app.resources.find((r) => r.type === 'Microsoft.Web/sites' && !r.existing)!.node)!;
  const plan = declarationBody(app.resources.find((r) => r.type === 'Microsoft.Web/serverfarms')!.node)!;

  it('runs on an FC1 plan with the Node runtime from functionAppConfig', () => {
    expect(literalString(objectPath(plan, 'sku', 'name'))).toBe('FC1');
    expect(literalString(objectPath(plan, 'sku', 'tier'))).toBe('FlexConsumption');
    expect(literalString(objectPath(site, 'properties', 'functionAppConfig', 'runtime', 'name'))).toBe('node');
    const version = app.params.find((p) => p.name === 'nodeVersion')!;
    expect(version.node.previousNamedSibling?.text).toMatch(/'20'[\s\S]*'22'/);
    // Node 20 left Azure Functions support on 2026-04-30: a new deployment defaults to 22.
    expect(version.node.text).toMatch(/= '22'$/);
  });

  it('runs as the user-assigned identity and reads its package with it', () => {
    expect(literalString(objectPath(site, 'identity', 'type'))).toBe('UserAssigned');
    const auth = objectPath(site, 'properties', 'functionAppConfig', 'deployment', 'storage', 'authentication')!;
    expect(literalString(objectPath(auth, 'type'))).toBe('UserAssignedIdentity');
    expect(objectPath(auth, 'userAssignedIdentityResourceId')?.text).toBe('identityId');
    expect(objectPath(site, 'properties', 'httpsOnly')?.text).toBe('true');
  });

  it('disables basic-auth publishing', () => {
    const policies = app.resources.filter((r) => r.type === 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((r) => literalString(objectPath(declarationBody(r.node)!, 'name'))).sort()).toEqual(['ftp', 'scm']);
    for (const r of policies) expect(objectPath(declarationBody(r.node)!, 'properties', 'allow')?.text).toBe('false');
  });
});
