// Key Vault for the webhook shared secrets. The Function App reads them through Key Vault
// references (functionapp.bicep) with its user-assigned identity, which holds Key Vault
// Secrets User on this vault only (roles.bicep). Nothing else goes in here: every other
// connection is identity-based and has no secret to store.
//
//   RBAC authorization, no access policies   one permission model, granted where the other roles are
//   soft delete (7 days)                     a deleted secret or vault can be recovered for a week;
//                                            short, because the vault name is fixed per environment
//                                            and a soft-deleted vault holds it (docs/deploy.md)
//   purge protection off by default          irreversible once on; the vault holds only copies of
//                                            deployment parameters, nothing that cannot be re-supplied
//
// One secret per non-empty webhook secret: an empty parameter writes no secret, and the app
// gets no setting for it (that source is then disabled: 403). Secret values never leave this
// module; the outputs are versionless secret URIs, so the app follows new versions.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Key Vault name (3-24 letters, digits and hyphens; globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Turn on purge protection. Irreversible: a deleted vault then keeps its name for the whole retention period, and `azd down --purge` cannot purge it.')
param enablePurgeProtection bool = false

@description('Shared secret for POST /api/webhooks/k8s-audit (empty = no secret).')
@secure()
param webhookSecretK8sAudit string = ''

@description('Shared secret for POST /api/webhooks/falco (empty = no secret).')
@secure()
param webhookSecretFalco string = ''

@description('Shared secret for POST /api/webhooks/kubearmor (empty = no secret).')
@secure()
param webhookSecretKubeArmor string = ''

// Whether each secret is given. The outputs read these booleans, never a secure parameter
// (outputs land in the deployment history; the linter flags any that touches one).
var configured = {
  k8sAudit: !empty(webhookSecretK8sAudit)
  falco: !empty(webhookSecretFalco)
  kubeArmor: !empty(webhookSecretKubeArmor)
}

// Secret names (1-127 letters, digits, hyphens). docs/deploy.md names them for rotation.
var secretNames = {
  k8sAudit: 'webhook-secret-k8s-audit'
  falco: 'webhook-secret-falco'
  kubeArmor: 'webhook-secret-kubearmor'
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    accessPolicies: []
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // The API refuses false once purge protection is on; null leaves it off without saying so.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    // Public endpoint, like storage and Event Hubs; every data-plane call still needs an Entra
    // token and a role on this vault.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource k8sAuditSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (configured.k8sAudit) {
  parent: vault
  name: secretNames.k8sAudit
  properties: {
    value: webhookSecretK8sAudit
    contentType: 'text/plain'
  }
}

resource falcoSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (configured.falco) {
  parent: vault
  name: secretNames.falco
  properties: {
    value: webhookSecretFalco
    contentType: 'text/plain'
  }
}

resource kubeArmorSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (configured.kubeArmor) {
  parent: vault
  name: secretNames.kubeArmor
  properties: {
    value: webhookSecretKubeArmor
    contentType: 'text/plain'
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
// Versionless URIs (secretUri, not secretUriWithVersion): the app follows rotations. Empty
// when the secret was not written. Reading them also orders the app after the secrets.
output k8sAuditSecretUri string = configured.k8sAudit ? k8sAuditSecret.properties.secretUri : ''
output falcoSecretUri string = configured.falco ? falcoSecret.properties.secretUri : ''
output kubeArmorSecretUri string = configured.kubeArmor ? kubeArmorSecret.properties.secretUri : ''
