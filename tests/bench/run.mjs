// `make bench`: the benchmark table, also written to target/bench/results.json as
// [{name, value, unit, target, met}] so runs can be compared across commits.
// Each later issue adds its rows here (browser figures) or to benches/core.rs (criterion, core figures).
import { readFile, writeFile, mkdir, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  ROOT, buildDevExtension, launchChromium, demoConfig, waitForSiteRegistration, waitForFrame,
} from '../e2e/lib/extension.mjs';
import { version } from './version.mjs';
import { benchStore } from './store.mjs';
import { benchDiscovery } from './discovery.mjs';
import { benchLogging } from './logging.mjs';

const rows = [];
/** Records one figure; `target` is {op: '<' | '<=', value} or null when the issue sets none. */
const record = (name, value, unit, target = null) => {
  const compare = { '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>=': (a, b) => a >= b };
  const met = target ? compare[target.op](value, target.value) : null;
  rows.push({ name, value: Number(value.toFixed(unit === 'ratio' ? 3 : 2)), unit, target: target ? `${target.op} ${target.value}` : null, met });
};
/** `BENCH_ONLY=logging,store` runs only those sections (core, discovery, logging, store). */
const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const runs = (section) => only.length === 0 || only.includes(section);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

// Sizes of what ships.
const dist = join(ROOT, 'dist', 'chrome');
const wasm = await readFile(join(dist, 'pkg', 'crm_bridge_bg.wasm'));
const glue = await readFile(join(dist, 'pkg', 'crm_bridge.js'));
const content = await readFile(join(dist, 'content.js'));
record('core .wasm raw', wasm.length / 1024, 'KiB');
record('core .wasm gzip', gzipSync(wasm, { level: 9 }).length / 1024, 'KiB');
record('wasm-bindgen JS glue gzip', gzipSync(glue, { level: 9 }).length / 1024, 'KiB');
record('content script gzip', gzipSync(content, { level: 9 }).length / 1024, 'KiB');
record('Chrome store zip', (await stat(join(ROOT, 'dist', `crm-bridge-chrome-${await version()}.zip`))).size / 1024, 'KiB');

// The service worker's cold start and the bridge round trip, in real Chromium.
const crm = await startDemoCrm();
const dir = await buildDevExtension('chrome', demoConfig(crm.origin), join(ROOT, 'target', 'bench'));
const { context, extensionId, worker } = await launchChromium(dir);
await waitForSiteRegistration(worker); // let the install work finish before stopping the worker
const page = await context.newPage();
// A passive extension page (it holds no port, so the worker can really stop).
await page.goto(`chrome-extension://${extensionId}/manifest.json`);
const cdp = await context.newCDPSession(page);
let workerStatus = '';
cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
  const ours = versions.find((v) => v.scriptURL.startsWith(`chrome-extension://${extensionId}/`));
  if (ours) workerStatus = ours.runningStatus;
});
await cdp.send('ServiceWorker.enable');
const stopWorker = async () => {
  await cdp.send('ServiceWorker.stopAllWorkers');
  const deadline = Date.now() + 5_000;
  while (workerStatus !== 'stopped') {
    if (Date.now() > deadline) throw new Error(`the worker did not stop (${workerStatus})`);
    await page.waitForTimeout(20);
  }
};

/**
 * The worker's JS heap in use (DevTools protocol, `Runtime.getHeapUsage` on the worker's target)
 * and its Wasm memory (from its diagnostics), in bytes.
 */
const workerMemory = async () => {
  const { targetInfos } = await cdp.send('Target.getTargets');
  const target = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extensionId}/`));
  if (!target) throw new Error('no running worker to measure');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  const usage = new Promise((resolve) => {
    const listen = ({ sessionId: from, message }) => {
      const answer = JSON.parse(message);
      if (from === sessionId && answer.id === 1) { cdp.off('Target.receivedMessageFromTarget', listen); resolve(answer.result); }
    };
    cdp.on('Target.receivedMessageFromTarget', listen);
  });
  await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }) });
  const { usedSize } = await usage;
  await cdp.send('Target.detachFromTarget', { sessionId });
  const { worker } = await wakeAndAsk();
  return { jsHeapUsed: usedSize, wasmBytes: worker.wasmMemoryBytes };
};

/**
 * Runs `work` under the DevTools CPU profiler of the running worker when `BENCH_PROFILE` names
 * `section` (e.g. `BENCH_PROFILE=import`), writing target/bench/<section>.cpuprofile; otherwise
 * just runs it.
 */
const profiled = async (section, work) => {
  if (process.env.BENCH_PROFILE !== section) return work();
  const { targetInfos } = await cdp.send('Target.getTargets');
  const target = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extensionId}/`));
  if (!target) throw new Error('no running worker to profile');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  let nextId = 1;
  const call = (method, params = {}) => new Promise((resolve) => {
    const id = nextId++;
    const listen = ({ sessionId: from, message }) => {
      const answer = JSON.parse(message);
      if (from === sessionId && answer.id === id) { cdp.off('Target.receivedMessageFromTarget', listen); resolve(answer.result); }
    };
    cdp.on('Target.receivedMessageFromTarget', listen);
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
  });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 200 });
  await call('Profiler.start');
  const result = await work();
  const { profile } = await call('Profiler.stop');
  await writeFile(join(ROOT, 'target', 'bench', `${section}.cpuprofile`), JSON.stringify(profile));
  await cdp.send('Target.detachFromTarget', { sessionId });
  return result;
};

/** Opens a port, waits for `ready`, asks for diagnostics; times measured inside the page. */
const wakeAndAsk = () => page.evaluate(() => new Promise((resolve, reject) => {
  const started = performance.now();
  const port = chrome.runtime.connect({ name: 'bench' });
  let readyAt = 0;
  const seen = [];
  port.onDisconnect.addListener(() => seen.push('disconnected'));
  port.onMessage.addListener((message) => {
    seen.push(message.kind);
    if (message.kind === 'ready') {
      readyAt = performance.now();
      port.postMessage({ id: 1, body: { kind: 'diagnostics' } });
    } else if (message.kind === 'reply') {
      port.disconnect();
      resolve({ connectToReady: readyAt - started, connectToAnswer: performance.now() - started, worker: message.reply });
    }
  });
  setTimeout(() => reject(new Error(`no answer from the worker (saw: ${seen.join(', ')})`)), 10_000);
}));

if (runs('core')) {
  const coldReady = [];
  const coldAnswer = [];
  const wasmReady = [];
  for (let run = 0; run < 15; run += 1) {
    await stopWorker();
    const result = await wakeAndAsk();
    if (result.worker.requestsHandled !== 1) throw new Error(`the worker was not restarted: ${JSON.stringify(result)}`);
    coldReady.push(result.connectToReady);
    coldAnswer.push(result.connectToAnswer);
    wasmReady.push(result.worker.wasmReadyMs);
  }
  record('worker start → Wasm ready (median, in worker)', median(wasmReady), 'ms');
  record('cold worker: connect → ready (median)', median(coldReady), 'ms');
  record('cold worker: connect → first answer (median)', median(coldAnswer), 'ms', { op: '<', value: 150 });

  // Warm round trip page → worker → page over the port (1,000 pings).
  const trips = await page.evaluate(() => new Promise((resolve) => {
    const port = chrome.runtime.connect({ name: 'bench' });
    const times = [];
    let id = 0;
    let sentAt = 0;
    const next = () => { id += 1; sentAt = performance.now(); port.postMessage({ id, body: { kind: 'ping', sentAtMs: sentAt } }); };
    port.onMessage.addListener((message) => {
      if (message.kind === 'ready') return next();
      times.push(performance.now() - sentAt);
      if (times.length < 1000) next(); else { port.disconnect(); resolve(times); }
    });
  }));
  record('bridge ping round trip p50 (1,000)', median(trips), 'ms');
  record('bridge ping round trip p99 (1,000)', percentile(trips, 99), 'ms', { op: '<', value: 10 });

  // The widget's view (issue 4): contact-match round trips widget → host → worker → widget, and
  // how soon after the widget frame starts loading our service is registered in it.
  const crmPage = await context.newPage();
  await crmPage.goto(`${crm.origin}/contacts`);
  const widget = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-registration="registered"]', { timeout: 10_000 });
  record('service registered, after the widget frame starts loading', Number(await widget.locator('body').getAttribute('data-registered-at-ms')), 'ms', { op: '<', value: 300 });
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
  const matches = await widget.evaluate(() => window.simLatency(1000));
  record('contact match round trip p50 (1,000, via widget)', median(matches), 'ms');
  record('contact match round trip p99 (1,000, via widget)', percentile(matches, 99), 'ms', { op: '<', value: 10 });

  await crmPage.close(); // its widget would re-sync during the store figures
}

// Discovery (issue 6): corpus score, walker cost, the discovery module's cost.
if (runs('discovery')) await benchDiscovery({ record, median });

// Logging (issue 8): durable logging against a plain-JS baseline, the call-log matcher.
if (runs('logging')) await benchLogging({ context, page, crm, record, profiled, median, waitForFrame, stopWorker, wakeAndAsk });

// The contact store at 100,000 contacts (issue 7), with plain-JS baselines from the same run.
const storeCount = Number(process.env.BENCH_CONTACTS ?? 100_000);
if (runs('store')) await benchStore({ context, extensionId, page, crm, record, profiled, stopWorker, waitForFrame, median, percentile, workerMemory, wakeAndAsk, count: storeCount });

await context.close();
await crm.close();

const outDir = join(ROOT, 'target', 'bench');
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'results.json'), `${JSON.stringify(rows, null, 2)}\n`);
const width = Math.max(...rows.map((r) => r.name.length));
console.log(`${'benchmark'.padEnd(width)}  ${'value'.padStart(9)}  unit  target    met`);
for (const r of rows) {
  const met = r.met === null ? '' : r.met ? 'yes' : 'NO';
  console.log(`${r.name.padEnd(width)}  ${String(r.value).padStart(9)}  ${r.unit.padEnd(4)}  ${(r.target ?? '').padEnd(8)}  ${met}`);
}
console.log(`machine: ${(await import('node:os')).cpus().length} cores; written to target/bench/results.json`);
