// Function App on the Flex Consumption plan (Linux, Node), running as the user-assigned
// identity. Every connection is identity-based; no key, SAS or connection string with a
// secret is written into app settings. The webhook shared secrets, which cannot be
// identity-based, live in Key Vault (keyvault.bicep): their settings hold only
// @Microsoft.KeyVault(...) references, which the platform resolves with that same identity.
//
// Flex Consumption moved runtime and deployment settings into functionAppConfig, so the
// legacy app settings FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION,
// WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENTSHARE, WEBSITE_CONTENTAZUREFILECONNECTIONSTRING,
// WEBSITE_NODE_DEFAULT_VERSION are deliberately absent (test/infra.settings.test.ts checks).
//
// App settings are declared in the `*Settings` objects below; the drift test reads their
// keys and compares them with CONFIG_KEYS in functions/config.ts.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Flex Consumption plan name.')
param planName string

@description('Function App name (globally unique host name).')
param name string

@description('Node.js major version (Flex Consumption supports 20 and 22).')
// Node 20 left Azure Functions support on 2026-04-30; 22 is supported to 2027-04-30.
@allowed([
  '20'
  '22'
])
param nodeVersion string = '22'

@description('Instance memory in MB.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on instances (cost guard).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Storage account name (host storage, deployment package, data).')
param storageAccountName string

@description('Blob endpoint of that account, e.g. https://<name>.blob.core.windows.net/')
param blobEndpoint string

@description('Queue endpoint of that account (host storage).')
param queueEndpoint string

@description('Table endpoint of that account (host storage: the host\'s diagnostic events).')
param tableEndpoint string

@description('Container holding the deployment package.')
param deploymentContainer string

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Event Hubs namespace host name, e.g. <ns>.servicebus.windows.net')
param eventHubsFqdn string

@description('KubeSift data container names.')
param containers {
  landing: string
  deadletter: string
  datasets: string
  capture: string
}

@description('Hub AKS diagnostic settings stream to.')
param aksHubName string

@description('Hub the webhook functions forward to.')
param webhookHubName string

@description('Consumer group of the Event Hub triggers.')
param consumerGroup string

@description('Where rows land (see KUBESIFT_SINK).')
@allowed([
  'blob'
  'queued'
  'streaming'
  'managed'
])
param sink string

@description('ADX engine URL, e.g. https://<cluster>.<region>.kusto.windows.net')
param kustoClusterUrl string

@description('ADX data-management URL, e.g. https://ingest-<cluster>.<region>.kusto.windows.net')
param kustoIngestUrl string

@description('ADX database.')
param kustoDatabase string

@description('Detection policy profile.')
@allowed([
  'aks'
  'falco'
])
param policyProfile string = 'aks'

@description('Inline detection policy JSON (empty = profile defaults).')
param policyJson string = ''

@description('Cluster name for webhook events that carry no resourceId.')
param defaultClusterName string

@description('Queue generated datasets into ADX by default.')
param ingestDatasets bool

// Versionless Key Vault secret URIs (keyvault.bicep outputs), not the secrets: an empty one
// means no secret was given, so no setting is written and that endpoint is not configured.
@description('Key Vault secret URI of the k8s-audit webhook secret (empty = setting not written).')
#disable-next-line secure-secrets-in-params // a secret's URI, not its value
param webhookSecretUriK8sAudit string = ''

@description('Key Vault secret URI of the Falco webhook secret (empty = setting not written).')
#disable-next-line secure-secrets-in-params // a secret's URI, not its value
param webhookSecretUriFalco string = ''

@description('Key Vault secret URI of the KubeArmor webhook secret (empty = setting not written).')
#disable-next-line secure-secrets-in-params // a secret's URI, not its value
param webhookSecretUriKubeArmor string = ''

@description('Signed webhook requests must carry X-KubeSift-Timestamp (false = the schema default: optional).')
param webhookRequireTimestamp bool = false

// --- Host settings (Functions runtime, not KubeSift's config schema) ---------------------
var hostSettings = {
  // Host storage via managed identity (no AzureWebJobsStorage connection string), by the
  // account's own endpoints: __accountName makes the host assume *.core.windows.net, which is
  // wrong in sovereign clouds and with custom domains, and then wins over the URIs in Event Hubs
  // extensions before 6.5.4 (checkpoints).
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Event Hub trigger/output connection `EventHubConnection`, identity-based.
  EventHubConnection__fullyQualifiedNamespace: eventHubsFqdn
  EventHubConnection__credential: 'managedidentity'
  EventHubConnection__clientId: identityClientId
  // Telemetry with Entra auth (the component has local auth disabled).
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // V8 flags for the Node worker (an environment variable, so no worker-arguments setting is
  // needed): a 64 MB young-generation semi-space keeps a trigger batch's rows out of repeated
  // scavenges — about a quarter less CPU per record (docs/performance.md), ~50 MB more RSS.
  // local.settings.example.json carries the same value (test/infra.settings.test.ts).
  NODE_OPTIONS: '--max-semi-space-size=64'
  // glibc malloc of the worker: each batch's landing Buffers (a few MB) come from the heap and
  // go back to it, instead of fresh mmap'd pages the kernel must fault in and zero every batch
  // (~31,000 page faults and ~5% of the pipeline's CPU per 120,000 records; docs/performance.md).
  // Costs up to 256 MB of freed heap kept mapped. local.settings.example.json carries the same.
  MALLOC_MMAP_THRESHOLD_: '67108864'
  MALLOC_TRIM_THRESHOLD_: '268435456'
}

// --- KubeSift settings (keys of configSchema in functions/config.ts) --------------------
var kubesiftSettings = {
  AZURE_CLIENT_ID: identityClientId
  KUBESIFT_STORAGE_ACCOUNT: storageAccountName
  // The account's own endpoint: right in every cloud (sovereign clouds are not *.core.windows.net).
  KUBESIFT_STORAGE_BLOB_URL: blobEndpoint
  KUBESIFT_LANDING_CONTAINER: containers.landing
  KUBESIFT_DEADLETTER_CONTAINER: containers.deadletter
  KUBESIFT_DATASETS_CONTAINER: containers.datasets
  KUBESIFT_CAPTURE_CONTAINER: containers.capture
  KUBESIFT_AKS_HUB: aksHubName
  KUBESIFT_WEBHOOK_HUB: webhookHubName
  KUBESIFT_CONSUMER_GROUP: consumerGroup
  KUBESIFT_SINK: sink
  KUBESIFT_KUSTO_CLUSTER_URL: kustoClusterUrl
  KUBESIFT_KUSTO_INGEST_URL: kustoIngestUrl
  KUBESIFT_KUSTO_DATABASE: kustoDatabase
  KUBESIFT_KUSTO_AUTH: 'managed-identity'
  KUBESIFT_POLICY_PROFILE: policyProfile
  KUBESIFT_DEFAULT_CLUSTER: defaultClusterName
  KUBESIFT_INGEST_DATASETS: ingestDatasets ? 'true' : 'false'
}

// Optional settings: written only when a value is given, so the schema's "unset" meaning holds.
// The webhook secrets are Key Vault references; the app reads the resolved value as usual.
var optionalSettings = union(
  empty(policyJson) ? {} : { KUBESIFT_POLICY: policyJson },
  empty(webhookSecretUriK8sAudit) ? {} : { KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT: '@Microsoft.KeyVault(SecretUri=${webhookSecretUriK8sAudit})' },
  empty(webhookSecretUriFalco) ? {} : { KUBESIFT_WEBHOOK_SECRET_FALCO: '@Microsoft.KeyVault(SecretUri=${webhookSecretUriFalco})' },
  empty(webhookSecretUriKubeArmor) ? {} : { KUBESIFT_WEBHOOK_SECRET_KUBEARMOR: '@Microsoft.KeyVault(SecretUri=${webhookSecretUriKubeArmor})' },
  webhookRequireTimestamp ? { KUBESIFT_WEBHOOK_REQUIRE_TIMESTAMP: 'true' } : {}
)

var appSettings = union(hostSettings, kubesiftSettings, optionalSettings)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the deployment target of service `api` by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the system identity unless told otherwise; this app
    // has only the user-assigned one, which holds Key Vault Secrets User (roles.bicep).
    keyVaultReferenceIdentity: identityId
    clientCertEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [for s in items(appSettings): { name: s.key, value: s.value }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// No basic (user/password) publishing: deployments authenticate with Entra ID.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output url string = 'https://${site.properties.defaultHostName}'
