// Widget host loader: instantiate the Rust core and start the host page.
import init, { start_widget_host } from './pkg/crm_bridge.js';

await init({ module_or_path: new URL('./pkg/crm_bridge_bg.wasm', import.meta.url) });
await start_widget_host();
