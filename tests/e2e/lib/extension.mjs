// Shared e2e helpers: build a development copy of the extension with a preset (the same
// non-interactive route `make run CONFIG=…` uses), and launch real browsers with it.
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Chromium flags for this machine kind (docs/toolchain.md): no background networking. */
export const CHROMIUM_FLAGS = [
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic', '--disable-gpu', '--no-default-browser-check',
];

/**
 * Writes `config` (settings JSON, see README "Automation") and derives <dir>/<browser> from
 * dist/<browser> with it (default dir: target/e2e). Returns the folder.
 */
export async function buildDevExtension(browser, config, dir = join(ROOT, 'target', 'e2e')) {
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, `${browser}.config.json`);
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const out = join(dir, browser);
  execFileSync('cargo', ['xtask', 'profile', '--browser', browser, '--config', configPath, '--out', out], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return out;
}

/** Launches headless Chromium without the extension (the walker is injected into pages). */
export async function launchPlainChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
}

/**
 * Launches Chromium with the unpacked extension; resolves to {context, worker, extensionId}.
 * `thirdPartyStorage`: 'allowed' (Chrome's default for users) or 'blocked' (what users who block
 * third-party cookies have, and what a fresh automation profile has).
 */
export async function launchChromium(extensionDir, { headless = true, userDataDir, thirdPartyStorage = 'allowed' } = {}) {
  const { chromium } = await import('playwright-core');
  const profile = userDataDir ?? await mkdtemp(join(tmpdir(), 'crm-bridge-chromium-'));
  if (thirdPartyStorage === 'allowed') {
    await mkdir(join(profile, 'Default'), { recursive: true });
    await writeFile(join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 0 } }));
  }
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless,
    viewport: { width: 1280, height: 800 },
    args: [`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`, ...CHROMIUM_FLAGS],
  });
  const worker = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker');
  const extensionId = new URL(worker.url()).host;
  return { context, worker, extensionId, profile };
}

/** Waits until the background has registered the content script for the preset's sites. */
export async function waitForSiteRegistration(worker, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const scripts = await worker.evaluate(() => chrome.scripting.getRegisteredContentScripts());
    if (scripts.length > 0) return scripts;
    if (Date.now() > deadline) throw new Error('the background registered no content script');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls for a frame of `page` matching `predicate`. */
export async function waitForFrame(page, predicate, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = page.frames().find(predicate);
    if (frame) return frame;
    if (Date.now() > deadline) throw new Error(`no matching frame among ${page.frames().map((f) => f.url()).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The settings preset the e2e tests use: the demo CRM enabled, the widget simulator as widget. */
export function demoConfig(crmOrigin) {
  return { sites: [crmOrigin], widget: { appUrl: `${crmOrigin}/widget-sim/` } };
}

/** Sends one request to the worker over a port of `extensionPage`, as the options page does. */
export function askOver(extensionPage, body) {
  return extensionPage.evaluate((body) => new Promise((resolve) => {
    const port = chrome.runtime.connect({ name: 'test' });
    port.onMessage.addListener((m) => {
      if (m.kind === 'ready') port.postMessage({ id: 1, body });
      else if (m.kind === 'reply') { port.disconnect(); resolve(m.reply); }
    });
  }), body);
}

/**
 * Asks the background one question over a port from a passive extension page (one that holds
 * no port of its own, so the worker can be stopped) and resolves with the reply.
 */
export async function askBackground(context, extensionId, body) {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/manifest.json`);
  const reply = await page.evaluate((question) => new Promise((resolve) => {
    const port = chrome.runtime.connect({ name: 'test' });
    port.onMessage.addListener((m) => {
      if (m.kind === 'ready') port.postMessage({ id: 1, body: question });
      else { port.disconnect(); resolve(m.reply); }
    });
  }), body);
  await page.close();
  return reply;
}

/** Requests the current worker instance has handled (the asking itself counts one). */
export async function requestsHandledByWorker(context, extensionId) {
  return (await askBackground(context, extensionId, { kind: 'diagnostics' })).requestsHandled;
}

/**
 * Opens widget.html as a page the way crm-bridge's own pages do: an extension page asks the
 * background for an admission ticket and opens the host with it.
 */
export async function openWidgetHostPage(context, extensionId, placement = 'window') {
  const { ticket } = await askBackground(context, extensionId, { kind: 'widgetTicket' });
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/widget.html?placement=${placement}#ticket=${ticket}`);
  return page;
}

/**
 * axe-core's serious and critical violations on a page (or frame). The source is evaluated
 * through the DevTools protocol, which extension-page CSP does not govern.
 */
export async function accessibilityViolations(target) {
  const { readFile } = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await target.evaluate(`${source}\n;0`);
  const result = await target.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * The usual start of a Chromium e2e file: the demo CRM, a development copy of the extension
 * with it switched on (in target/e2e-<name>), and a passive extension page to ask the worker
 * from. Resolves to {crm, browser, extensionPage, close}.
 */
export async function startDemoWithExtension(name) {
  const { startDemoCrm } = await import('../../demo-crm/server.mjs');
  const crm = await startDemoCrm();
  const browser = await launchChromium(await buildDevExtension('chrome', demoConfig(crm.origin), join(ROOT, 'target', `e2e-${name}`)));
  await waitForSiteRegistration(browser.worker);
  const extensionPage = await browser.context.newPage();
  await extensionPage.goto(`chrome-extension://${browser.extensionId}/manifest.json`);
  const close = async () => {
    await browser.context.close();
    await crm.close();
  };
  return { crm, browser, extensionPage, close };
}

/** Polls `check()` every `intervalMs` until it resolves truthy, and returns that value; throws naming `what` after `timeoutMs`. */
export async function until(check, timeoutMs, what, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
