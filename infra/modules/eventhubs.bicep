// Event Hubs namespace (Standard) with the two hubs KubeSift reads:
//   aks-diagnostics  AKS diagnostic settings stream control-plane logs here
//   webhook-events   the webhook HTTP functions forward Falco / KubeArmor / k8s-audit events here
// Each hub has the KubeSift consumer group. Optional Capture writes the aks-diagnostics
// stream to Blob as Avro (for replay / cold storage) with a user-assigned identity.
//
// Local (SAS) auth: the app uses Entra ID only. Azure Monitor diagnostic settings, however,
// can only stream to Event Hubs through a namespace authorization rule, so SAS stays enabled
// when an AKS cluster is connected, with one dedicated rule used by nobody else.

@description('Azure region (AKS diagnostic settings require the namespace in the cluster region).')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Event Hubs namespace name.')
param name string

@description('Throughput units (Standard: 1-40). 1 TU = 1 MB/s or 1000 events/s ingress.')
@minValue(1)
@maxValue(40)
param capacity int = 1

@description('Auto-inflate up to this many TUs (0 = off).')
@minValue(0)
@maxValue(40)
param maxThroughputUnits int = 0

@description('Hub that AKS diagnostic settings stream to.')
param aksHubName string

@description('Hub the webhook functions forward to.')
param webhookHubName string

@description('Consumer group of the KubeSift triggers.')
param consumerGroup string

@description('Partitions per hub (fixed after creation on Standard).')
@minValue(1)
@maxValue(32)
param partitionCount int = 4

@description('Days events stay in the hubs (Standard: 1-7).')
@minValue(1)
@maxValue(7)
param retentionInDays int = 1

@description('Keep SAS (local) auth enabled; needed by Azure Monitor diagnostic settings.')
param allowLocalAuth bool

@description('Enable Event Hubs Capture of the AKS hub to Blob storage.')
param enableCapture bool = false

@description('Resource id of the storage account Capture writes to.')
param captureStorageAccountId string = ''

@description('Container Capture writes to.')
param captureContainer string = ''

@description('Resource id of the user-assigned identity Capture writes with.')
param captureIdentityId string = ''

@description('Capture window in seconds (60-900).')
@minValue(60)
@maxValue(900)
param captureIntervalSeconds int = 300

var hubNames = [
  aksHubName
  webhookHubName
]

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: capacity
  }
  identity: enableCapture
    ? {
        type: 'UserAssigned'
        userAssignedIdentities: {
          '${captureIdentityId}': {}
        }
      }
    : null
  properties: {
    disableLocalAuth: !allowLocalAuth
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    isAutoInflateEnabled: maxThroughputUnits > 0
    maximumThroughputUnits: maxThroughputUnits
  }
}

resource aksHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: aksHubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: retentionInDays
    captureDescription: enableCapture
      ? {
          enabled: true
          encoding: 'Avro'
          intervalInSeconds: captureIntervalSeconds
          sizeLimitInBytes: 314572800
          skipEmptyArchives: true
          destination: {
            name: 'EventHubArchive.AzureBlockBlob'
            identity: {
              type: 'UserAssigned'
              userAssignedIdentity: captureIdentityId
            }
            properties: {
              storageAccountResourceId: captureStorageAccountId
              blobContainer: captureContainer
              archiveNameFormat: '{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}'
            }
          }
        }
      : null
  }
}

resource webhookHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: webhookHubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: retentionInDays
  }
}

resource aksConsumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: aksHub
  name: consumerGroup
  properties: {
    userMetadata: 'KubeSift Functions trigger'
  }
}

resource webhookConsumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: webhookHub
  name: consumerGroup
  properties: {
    userMetadata: 'KubeSift Functions trigger'
  }
}

// Used only by Azure Monitor diagnostic settings (which accept nothing but a namespace
// rule). Azure Monitor documents Manage + Send + Listen for streaming; the key never
// leaves Azure and is never output. Delete the AKS diagnostic setting and this rule
// together.
resource diagnosticsRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = if (allowLocalAuth) {
  parent: namespace
  name: 'kubesift-aks-diagnostics'
  properties: {
    rights: [
      'Listen'
      'Send'
      'Manage'
    ]
  }
}

output id string = namespace.id
output name string = namespace.name
// serviceBusEndpoint is https://<name>.servicebus.windows.net:443/ (cloud-specific suffix).
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
output aksHubId string = aksHub.id
output webhookHubId string = webhookHub.id
output hubNames array = hubNames
output diagnosticsRuleId string = allowLocalAuth ? diagnosticsRule.id : ''
