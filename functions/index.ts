// Function app entry (package.json "main"): importing a trigger module registers it with
// the host. Keep this file to imports and the worker's start-up settings; heavy modules load
// lazily inside handlers.
import { applyRuntimeV8Flags } from './eventhub/runtimeV8Flags.js';
import './triggers/aksDiagnostics.js';
import './triggers/ui.js';
import './triggers/webhooks.js';
import './triggers/webhookEvents.js';
import './triggers/eventGrid.js';
import './triggers/datasets.js';

// Runs once the modules above have registered their triggers, before the host sends a batch.
applyRuntimeV8Flags();
