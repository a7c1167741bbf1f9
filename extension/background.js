// Background loader. The Rust core does the work; this file only starts it and hands it the
// browser events that an MV3 worker must listen to synchronously at its top level (a worker
// woken by an event gets that event only if the listener exists after the first turn).
// `chrome.*` exists in both browsers' MV3; the Rust platform module picks the namespace for
// everything else.
import init, { start_background, on_installed, on_startup } from './pkg/crm_bridge.js';
// Discovery's glue is small; its Wasm (libphonenumber, ≈2 MB) is instantiated only when a
// page's evidence is first read, never at wake-up (service workers cannot import() later).
import initDiscovery, { interpret_json } from './pkg/crm_discovery.js';

const scriptStart = performance.now();
const ready = init({ module_or_path: new URL('./pkg/crm_bridge_bg.wasm', import.meta.url) })
  .then(() => start_background(scriptStart));

let discovery = null;
globalThis.crmBridgeDiscover = async (evidence, context) => {
  discovery ??= initDiscovery({ module_or_path: new URL('./pkg/crm_discovery_bg.wasm', import.meta.url) });
  await discovery;
  return interpret_json(evidence, context);
};

// The bulk import's page reader where the background can parse HTML itself (Firefox's event
// page); Chrome's worker cannot, and asks its offscreen document instead (src/platform).
globalThis.crmBridgeReadPage = async (request) => (await import('./page_reader.js')).readPage(request);

chrome.runtime.onConnect.addListener((port) => { ready.then((bg) => bg.connect(port)); });
chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  ready.then((bg) => bg.message(message, sender)).then(sendResponse, () => sendResponse(null));
  return true; // the answer comes asynchronously
});
// The user-level settings changed in another of the user's browsers (storage.sync).
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'sync' && changes.settings) ready.then((bg) => bg.synced_settings_changed());
});
// Log deliveries due for a retry (the worker may have been stopped since).
chrome.alarms.onAlarm.addListener((alarm) => { ready.then((bg) => bg.alarm(alarm.name)); });
chrome.runtime.onInstalled.addListener(() => { ready.then(on_installed).catch(console.error); });
chrome.runtime.onStartup.addListener(() => { ready.then(on_startup).catch(console.error); });
