// Function app entry (package.json "main"): importing a trigger module registers it with
// the host. Keep this file to imports only; heavy modules load lazily inside handlers.
import './triggers/aksDiagnostics.js';
import './triggers/ui.js';
import './triggers/webhooks.js';
import './triggers/webhookEvents.js';
import './triggers/eventGrid.js';
import './triggers/datasets.js';
