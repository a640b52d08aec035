// Role assignments for the Function App identity, each at the narrowest scope that works.
//
//   Azure Event Hubs Data Receiver   aks-diagnostics hub     trigger `aks-diagnostics`
//   Azure Event Hubs Data Receiver   webhook-events hub      trigger `webhook-events`
//   Azure Event Hubs Data Sender     webhook-events hub      webhook HTTP functions forward events
//   Storage Blob Data Owner          storage account         Functions host (AzureWebJobsStorage:
//                                                            leases, Event Hubs checkpoints, creates
//                                                            its azure-webjobs-* containers), Flex
//                                                            deployment package, and KubeSift's
//                                                            landing / deadletter / datasets / capture
//   Storage Table Data Contributor   storage account         Functions host diagnostic events (its
//                                                            AzureFunctionsDiagnosticEvents* tables);
//                                                            without it, host 4.1037+ logs a 403 every
//                                                            10 minutes (grantHostDiagnosticsTables)
//   Monitoring Metrics Publisher     Application Insights    Entra-authenticated telemetry
//   Key Vault Secrets User           Key Vault               resolves the webhook secrets' Key Vault
//                                                            references (keyVaultReferenceIdentity)
//
// And, for a cluster this deployment creates, its system identity:
//   Storage Blob Data Reader         datasets and landing    ADX native ingestion of datasets and
//                                    containers              landed files (blob URI suffix
//                                                            `;managed_identity=system`; no SAS exists).
//                                                            Not the account: any Ingestor of the
//                                                            database can make ADX read a URI, and
//                                                            dead letters, Capture files and the
//                                                            app package are none of its business
//
// No queue role: the app has no queue or blob trigger and its code uses no storage queue
// (queued ingestion goes through ADX's own queues). test/infra.settings.test.ts fails if
// that changes without grantQueueAccess.
// No Event Hubs namespace-level or Owner/Contributor (control-plane) roles are granted.
// ADX permissions are database principal assignments (adx.bicep), not Azure RBAC.

@description('Principal (object) id of the Function App identity.')
param principalId string

@description('Storage account name.')
param storageAccountName string

@description('Event Hubs namespace name.')
param eventHubsNamespaceName string

@description('Hub AKS diagnostic settings stream to.')
param aksHubName string

@description('Hub the webhook functions forward to.')
param webhookHubName string

@description('Application Insights component name.')
param appInsightsName string

@description('Key Vault name (webhook secrets).')
param keyVaultName string

@description('Grant Storage Queue Data Contributor (needed only by queue / blob triggers or code using storage queues).')
param grantQueueAccess bool = false

@description('Grant Storage Table Data Contributor for the Functions host\'s diagnostic-event tables. Off = least privilege; the host then logs a 403 warning every 10 minutes and the portal\'s diagnostic events stay empty.')
param grantHostDiagnosticsTables bool = true

@description('Principal id of the ADX cluster system identity; empty = no storage role for ADX.')
param kustoClusterPrincipalId string = ''

@description('Containers ADX ingests from with its own identity (datasets; landing for the blob sink).')
param kustoReadContainers array = []

var roles = {
  eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
  eventHubsDataSender: '2b629674-e913-4c01-ae53-ef4638d8f975'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: eventHubsNamespaceName
}

resource aksHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = {
  parent: namespace
  name: aksHubName
}

resource webhookHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = {
  parent: namespace
  name: webhookHubName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource aksHubReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(aksHub.id, principalId, roles.eventHubsDataReceiver)
  scope: aksHub
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventHubsDataReceiver)
    description: 'KubeSift: Event Hub trigger on the AKS diagnostics hub'
  }
}

resource webhookHubReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(webhookHub.id, principalId, roles.eventHubsDataReceiver)
  scope: webhookHub
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventHubsDataReceiver)
    description: 'KubeSift: Event Hub trigger on the webhook hub'
  }
}

resource webhookHubSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(webhookHub.id, principalId, roles.eventHubsDataSender)
  scope: webhookHub
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventHubsDataSender)
    description: 'KubeSift: webhook functions forward events'
  }
}

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    description: 'KubeSift: Functions host storage, deployment package and data containers'
  }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantQueueAccess) {
  name: guid(storage.id, principalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    description: 'KubeSift: storage queues (queue / blob triggers)'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantHostDiagnosticsTables) {
  name: guid(storage.id, principalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    description: 'KubeSift: Functions host diagnostic events (table storage)'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    description: 'KubeSift: Entra-authenticated Application Insights telemetry'
  }
}

// Reads secrets (values and metadata) of this vault only; cannot write or delete them.
resource keyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, principalId, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    description: 'KubeSift: Key Vault references for the webhook secrets'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' existing = {
  parent: storage
  name: 'default'
}

resource kustoReadContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = [for c in kustoReadContainers: {
  parent: blobService
  name: c
}]

resource kustoBlobReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (c, i) in kustoReadContainers: if (!empty(kustoClusterPrincipalId)) {
  name: guid(kustoReadContainer[i].id, kustoClusterPrincipalId, roles.storageBlobDataReader)
  scope: kustoReadContainer[i]
  properties: {
    principalId: kustoClusterPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    description: 'KubeSift: ADX ingests ${c} blobs with its managed identity'
  }
}]
