// Event Grid: when Event Hubs Capture finishes an Avro file, POST a CaptureFileCreated
// event to the Function App's `eventgrid` HTTP endpoint (POST /api/eventgrid), which
// answers Event Grid's subscription-validation handshake and replays the file.
//
// Event Grid validates the endpoint when the subscription is created, so the function
// code must already be deployed: enable this on a second `az deployment` / `azd provision`
// after the first code deployment (docs/deploy.md).
//
// The endpoint has authLevel 'function', so the URL carries the app's default host key.
// This is the one place a key is read (listKeys): it goes straight into the subscription's
// endpoint URL, which Event Grid stores write-only (reads return endpointBaseUrl without the
// query string). It is never output or written to app settings.

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

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: eventHubsNamespaceName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: '${eventHubsNamespaceName}-events'
  location: location
  tags: tags
  properties: {
    source: namespace.id
    topicType: 'Microsoft.EventHub.Namespaces'
  }
}

resource captureFileCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'kubesift-capture-file-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${site.properties.defaultHostName}${endpointPath}?code=${listKeys(resourceId('Microsoft.Web/sites/host', functionAppName, 'default'), '2024-04-01').functionKeys.default}'
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
  }
}

output systemTopicId string = topic.id
output subscriptionId string = captureFileCreated.id
