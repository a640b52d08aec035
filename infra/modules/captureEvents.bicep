// Event Grid: when Event Hubs Capture finishes an Avro file, POST a CaptureFileCreated
// event to the Function App's `eventgrid` HTTP endpoint (POST /api/eventgrid), which
// answers Event Grid's subscription-validation handshake and replays the file.
//
// Event Grid validates the endpoint when the subscription is created, so the function
// code must already be deployed: enable this on a second `az deployment` / `azd provision`
// after the first code deployment (docs/deploy.md).
//
// An event Event Grid cannot deliver (30 tries or 24 hours) is written to the
// `eventgrid-deadletter` container instead of being dropped. The system topic writes it with
// its own identity (Storage Blob Data Contributor on that container only): the account has
// shared-key access off. Post such an event back to /api/eventgrid to replay its file.
//
// The endpoint has authLevel 'function', so the URL carries a key: the `eventGrid`
// function's own default key, which opens that one route, not the host key, which opens
// every route. It exists once the code is deployed, which this module already requires.
// This is the one place a key is read (listKeys): it goes straight into the subscription's
// endpoint URL, which Event Grid stores write-only (reads return endpointBaseUrl without the
// query string). It is never output or written to app settings. Rotating it: renew the
// function key, then run the deployment again.

@description('Azure region of the Event Hubs namespace.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Event Hubs namespace name.')
param eventHubsNamespaceName string

@description('Hub whose Capture files trigger events.')
param hubName string

@description('Function App name (in this resource group).')
param functionAppName string

@description('Path of the Event Grid endpoint on the Function App.')
param endpointPath string = '/api/eventgrid'

@description('Name of the function behind endpointPath (functions/triggers/eventGrid.ts); its key goes into the subscription URL.')
param endpointFunctionName string = 'eventGrid'

@description('Storage account holding the dead-letter container.')
param storageAccountName string

@description('Container Event Grid writes the events it could not deliver to.')
param deadLetterContainerName string

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: eventHubsNamespaceName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: '${eventHubsNamespaceName}-events'
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: namespace.id
    topicType: 'Microsoft.EventHub.Namespaces'
  }
}

// The topic writes dead letters to their container only.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, topic.id, storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    description: 'KubeSift: Event Grid writes capture events it could not deliver'
  }
}

resource captureFileCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'kubesift-capture-file-created'
  dependsOn: [
    deadLetterWriter
  ]
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${site.properties.defaultHostName}${endpointPath}?code=${listKeys(resourceId('Microsoft.Web/sites/functions', functionAppName, endpointFunctionName), '2024-04-01').default}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.EventHub.CaptureFileCreated'
      ]
      // Subject is the hub name (…/eventhubs/<hub>), so filter to the captured hub.
      subjectEndsWith: hubName
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output systemTopicId string = topic.id
output subscriptionId string = captureFileCreated.id
