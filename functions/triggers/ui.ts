// The web page: GET /api/ui (+ its static assets) is anonymous because it is static text;
// the data it shows comes from function-key routes (the page sends the key the user typed
// as x-functions-key). See docs/ui.md.
import { detections, uiAsset, uiPage, uiPreview } from '../ui/handlers.js';
import { httpTrigger } from './registry.js';

httpTrigger('ui', { route: 'ui', methods: ['GET'], authLevel: 'anonymous', handler: uiPage });
httpTrigger('uiAssets', { route: 'ui/assets/{name}', methods: ['GET'], authLevel: 'anonymous', handler: uiAsset });
httpTrigger('uiPreview', { route: 'ui/preview', methods: ['POST'], authLevel: 'function', handler: uiPreview });
httpTrigger('detections', { route: 'detections', methods: ['GET'], authLevel: 'function', handler: detections });
