// KubeSift — the whole stack in one resource-group deployment:
//
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json
//   (or `azd up`, see azure.yaml)
//
// Storage · Event Hubs · Log Analytics + Application Insights · user-assigned identity ·
// Key Vault (webhook secrets) · Function App (Flex Consumption, Node) · least-privilege
// roles · ADX cluster/database with the rendered schema · optional AKS diagnostic setting,
// Event Hubs Capture and Event Grid.
// docs/deploy.md walks through it.

targetScope = 'resourceGroup'

// ----- General ---------------------------------------------------------------------------

@description('Short prefix for resource names (letters, digits, hyphens).')
@minLength(2)
@maxLength(11)
param namePrefix string = 'kubesift'

@description('Region for every new resource. AKS diagnostic settings need the Event Hubs namespace in the cluster region.')
param location string = resourceGroup().location

@description('Tags applied to every new resource.')
param tags object = {}

// ----- Function App ----------------------------------------------------------------------

@description('Node.js major version of the Function App.')
// Node 20 left Azure Functions support on 2026-04-30; 22 is supported to 2027-04-30.
@allowed([
  '20'
  '22'
])
param nodeVersion string = '22'

@description('Flex Consumption instance memory (MB). No 512: on a full trigger batch (100 bodies of up to 1 MB) the worker alone peaks at 0.4-0.5 GB, and the Functions host runs beside it (docs/ingest.md).')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption scale-out limit (cost guard).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Where rows land: queued (ADX queued ingestion, cheapest), streaming / managed (low latency; enables streaming ingestion), blob (files + .ingest commands only).')
@allowed([
  'blob'
  'queued'
  'streaming'
  'managed'
])
param sink string = 'queued'

@description('Detection policy profile.')
@allowed([
  'aks'
  'falco'
])
param policyProfile string = 'aks'

@description('Inline detection policy JSON (empty = profile defaults).')
param policyJson string = ''

@description('Queue generated datasets into ADX by default.')
param ingestDatasets bool = true

@description('Shared secret for POST /api/webhooks/k8s-audit (>= 16 chars; empty = endpoint not configured).')
@secure()
param webhookSecretK8sAudit string = ''

@description('Shared secret for POST /api/webhooks/falco (>= 16 chars; empty = endpoint not configured).')
@secure()
param webhookSecretFalco string = ''

@description('Shared secret for POST /api/webhooks/kubearmor (>= 16 chars; empty = endpoint not configured).')
@secure()
param webhookSecretKubeArmor string = ''

@description('Turn on Key Vault purge protection. Irreversible: the vault (whose name is fixed per environment) then cannot be purged, so after a teardown the name stays taken for the 7-day soft-delete period.')
param keyVaultPurgeProtection bool = false

@description('Refuse HMAC-signed webhook requests without X-KubeSift-Timestamp (replay window). Turn on once every signing sender sends one.')
param webhookRequireTimestamp bool = false

@description('Grant the app Storage Table Data Contributor for the Functions host\'s diagnostic events (false = least privilege; the host then logs a 403 warning every 10 minutes).')
param grantHostDiagnosticsTables bool = true

// ----- Event Hubs ------------------------------------------------------------------------

@description('Event Hubs throughput units.')
@minValue(1)
@maxValue(40)
param eventHubsCapacity int = 1

@description('Auto-inflate Event Hubs up to this many throughput units (0 = off).')
@minValue(0)
@maxValue(40)
param eventHubsMaxThroughputUnits int = 0

@description('Partitions per hub (cannot be changed later on Standard).')
@minValue(1)
@maxValue(32)
param eventHubsPartitionCount int = 4

@description('Days events stay in the hubs.')
@minValue(1)
@maxValue(7)
param eventHubsRetentionDays int = 1

@description('Capture the AKS hub to the capture container as Avro (billed per throughput unit).')
param enableCapture bool = false

@description('Send CaptureFileCreated events to POST /api/eventgrid. Needs enableCapture and the function code already deployed.')
param enableCaptureEvents bool = false

// ----- Azure Data Explorer ---------------------------------------------------------------

@description('Resource id of an existing ADX cluster to use; empty = create a new cluster.')
param kustoClusterResourceId string = ''

@description('SKU of a new ADX cluster.')
param kustoSkuName string = 'Dev(No SLA)_Standard_E2a_v4'

@description('Tier of a new ADX cluster (Basic for Dev(No SLA) SKUs).')
@allowed([
  'Basic'
  'Standard'
])
param kustoSkuTier string = 'Basic'

@description('Instances of a new ADX cluster.')
@minValue(1)
param kustoSkuCapacity int = 1

@description('Auto-stop a new ADX cluster when idle.')
param kustoEnableAutoStop bool = true

@description('ADX database name.')
param kustoDatabaseName string = 'kubesift'

@description('ADX retention of the database and the pipeline tables, as ISO 8601 days (PnD, e.g. P90D).')
param kustoSoftDeletePeriod string = 'P365D'

@description('ADX hot cache (ISO 8601 duration).')
param kustoHotCachePeriod string = 'P31D'

// ----- AKS -------------------------------------------------------------------------------

@description('Resource id of an existing AKS cluster to stream control-plane logs from; empty = connect later.')
param aksClusterResourceId string = ''

@description('AKS log categories to stream. Default: kube-audit-admin, kube-apiserver, guard. Replace kube-audit-admin with kube-audit to see get/list/watch (secret reads, exec over WebSocket) at much higher volume.')
param aksLogCategories array = [
  'kube-audit-admin'
  'kube-apiserver'
  'guard'
]

// ----- Monitoring ------------------------------------------------------------------------

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Log Analytics daily cap in GB (-1 = none).')
param logDailyQuotaGb int = 1

// ----- Names -----------------------------------------------------------------------------

// KubeSift's default names (functions/config.ts defaults; test/infra.settings.test.ts
// checks they agree).
var containerNames = {
  landing: 'landing'
  deadletter: 'deadletter'
  datasets: 'datasets'
  capture: 'capture'
}
// Event Grid's own dead letters (capture events it gave up delivering): apart from
// KubeSift's, whose blobs `sift replay` reads.
var eventGridDeadLetterContainer = 'eventgrid-deadletter'
var hubNames = {
  aks: 'aks-diagnostics'
  webhook: 'webhook-events'
}
var consumerGroup = 'kubesift'
var deploymentContainer = 'app-package'

var suffix = uniqueString(subscription().id, resourceGroup().id, namePrefix)
var compactPrefix = toLower(replace(namePrefix, '-', ''))
var names = {
  appIdentity: 'id-${namePrefix}-${suffix}'
  captureIdentity: 'id-${namePrefix}-capture-${suffix}'
  workspace: 'log-${namePrefix}-${suffix}'
  appInsights: 'appi-${namePrefix}-${suffix}'
  storage: take('st${compactPrefix}${suffix}', 24)
  eventHubs: 'evhns-${namePrefix}-${suffix}'
  plan: 'plan-${namePrefix}-${suffix}'
  functionApp: 'func-${namePrefix}-${suffix}'
  kustoCluster: take('adx${compactPrefix}${suffix}', 22)
  // 3-24 letters, digits, hyphens, starting with a letter, no "--": the compact prefix keeps
  // namePrefix's hyphens out, and take() trims at most 2 characters of the suffix.
  keyVault: take('kv${compactPrefix}${suffix}', 24)
}

// Resource ids are /subscriptions/<sub>/resourceGroups/<rg>/providers/<ns>/<type>/<name>.
// An empty id falls back to this resource group so module scopes always evaluate.
var here = '/subscriptions/${subscription().subscriptionId}/resourceGroups/${resourceGroup().name}/providers/none/none/none'
var createKustoCluster = empty(kustoClusterResourceId)
var kustoParts = split(createKustoCluster ? here : kustoClusterResourceId, '/')
var connectAks = !empty(aksClusterResourceId)
var aksParts = split(connectAks ? aksClusterResourceId : here, '/')

// ----- Resources -------------------------------------------------------------------------

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    tags: tags
    appIdentityName: names.appIdentity
    captureIdentityName: names.captureIdentity
    enableCapture: enableCapture
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
    dailyQuotaGb: logDailyQuotaGb
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: names.storage
    dataContainers: [
      containerNames.landing
      containerNames.deadletter
      containerNames.datasets
      containerNames.capture
      eventGridDeadLetterContainer
    ]
    deploymentContainer: deploymentContainer
    captureContainer: containerNames.capture
    capturePrincipalId: identity.outputs.capturePrincipalId
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'eventhubs'
  params: {
    location: location
    tags: tags
    name: names.eventHubs
    capacity: eventHubsCapacity
    maxThroughputUnits: eventHubsMaxThroughputUnits
    aksHubName: hubNames.aks
    webhookHubName: hubNames.webhook
    consumerGroup: consumerGroup
    partitionCount: eventHubsPartitionCount
    retentionInDays: eventHubsRetentionDays
    allowLocalAuth: connectAks
    enableCapture: enableCapture
    // Referencing the storage module also orders Capture after the capture identity's
    // role assignment on the container (storage.bicep).
    captureStorageAccountId: storage.outputs.id
    captureContainer: containerNames.capture
    captureIdentityId: identity.outputs.captureIdentityId
  }
}

module adx 'modules/adx.bicep' = {
  name: 'adx'
  scope: resourceGroup(kustoParts[2], kustoParts[4])
  params: {
    location: location
    tags: tags
    createCluster: createKustoCluster
    clusterName: createKustoCluster ? names.kustoCluster : last(kustoParts)
    skuName: kustoSkuName
    skuTier: kustoSkuTier
    skuCapacity: kustoSkuCapacity
    enableAutoStop: kustoEnableAutoStop
    enableStreamingIngest: sink == 'streaming' || sink == 'managed'
    databaseName: kustoDatabaseName
    softDeletePeriod: kustoSoftDeletePeriod
    hotCachePeriod: kustoHotCachePeriod
    appClientId: identity.outputs.appClientId
  }
}

// Holds the webhook secrets; the app reads them through Key Vault references. The secure
// parameters go here only, never to the Function App module.
module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: names.keyVault
    enablePurgeProtection: keyVaultPurgeProtection
    webhookSecretK8sAudit: webhookSecretK8sAudit
    webhookSecretFalco: webhookSecretFalco
    webhookSecretKubeArmor: webhookSecretKubeArmor
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.appPrincipalId
    storageAccountName: storage.outputs.name
    eventHubsNamespaceName: eventHubs.outputs.name
    aksHubName: hubNames.aks
    webhookHubName: hubNames.webhook
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultName: keyVault.outputs.name
    kustoClusterPrincipalId: adx.outputs.clusterPrincipalId
    kustoReadContainers: [
      containerNames.datasets
      containerNames.landing
    ]
    grantHostDiagnosticsTables: grantHostDiagnosticsTables
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    planName: names.plan
    name: names.functionApp
    nodeVersion: nodeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    identityId: identity.outputs.appIdentityId
    identityClientId: identity.outputs.appClientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainer: deploymentContainer
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    eventHubsFqdn: eventHubs.outputs.fullyQualifiedNamespace
    containers: containerNames
    aksHubName: hubNames.aks
    webhookHubName: hubNames.webhook
    consumerGroup: consumerGroup
    sink: sink
    kustoClusterUrl: adx.outputs.clusterUri
    kustoIngestUrl: adx.outputs.ingestUri
    kustoDatabase: adx.outputs.databaseName
    policyProfile: policyProfile
    policyJson: policyJson
    defaultClusterName: connectAks ? last(aksParts) : 'unknown'
    ingestDatasets: ingestDatasets
    // Versionless secret URIs, empty for a secret not given (no setting is written then).
    webhookSecretUriK8sAudit: keyVault.outputs.k8sAuditSecretUri
    webhookSecretUriFalco: keyVault.outputs.falcoSecretUri
    webhookSecretUriKubeArmor: keyVault.outputs.kubeArmorSecretUri
    webhookRequireTimestamp: webhookRequireTimestamp
  }
  dependsOn: [
    // The host starts with the identity's data-plane roles in place (Flex reads the
    // deployment package and AzureWebJobsStorage with them, and resolves the Key Vault
    // references with Key Vault Secrets User).
    roles
  ]
}

module aksDiagnostics 'modules/aksDiagnostics.bicep' = if (connectAks) {
  name: 'aks-diagnostics'
  scope: resourceGroup(aksParts[2], aksParts[4])
  params: {
    aksClusterName: last(aksParts)
    eventHubAuthorizationRuleId: eventHubs.outputs.diagnosticsRuleId
    eventHubName: hubNames.aks
    categories: aksLogCategories
  }
}

module captureEvents 'modules/captureEvents.bicep' = if (enableCapture && enableCaptureEvents) {
  name: 'capture-events'
  params: {
    location: location
    tags: tags
    eventHubsNamespaceName: eventHubs.outputs.name
    hubName: hubNames.aks
    functionAppName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    deadLetterContainerName: eventGridDeadLetterContainer
  }
}

// ----- Outputs (azd writes them to .azure/<env>/.env) -------------------------------------

output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_EVENTHUBS_NAMESPACE string = eventHubs.outputs.name
output AZURE_EVENTHUBS_FQDN string = eventHubs.outputs.fullyQualifiedNamespace
output KUBESIFT_AKS_HUB string = hubNames.aks
output KUBESIFT_WEBHOOK_HUB string = hubNames.webhook
output KUBESIFT_CONSUMER_GROUP string = consumerGroup
output KUBESIFT_KUSTO_CLUSTER_URL string = adx.outputs.clusterUri
output KUBESIFT_KUSTO_INGEST_URL string = adx.outputs.ingestUri
output KUBESIFT_KUSTO_DATABASE string = adx.outputs.databaseName
output KUSTO_DATABASE_URI string = '${adx.outputs.clusterUri}/${adx.outputs.databaseName}'
output KUBESIFT_STORAGE_ACCOUNT string = storage.outputs.name
output AZURE_CLIENT_ID string = identity.outputs.appClientId
// The vault's name, for rotating a webhook secret (docs/deploy.md); no secret or URI of one.
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_EVENTHUBS_DIAGNOSTICS_RULE_ID string = eventHubs.outputs.diagnosticsRuleId
output AKS_LOG_CATEGORIES array = connectAks ? aksLogCategories : []
