// End-to-end in real Chromium: the built extension, the demo CRM and the widget simulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  buildDevExtension, launchChromium, waitForSiteRegistration, waitForFrame, demoConfig, openWidgetHostPage,
  requestsHandledByWorker, accessibilityViolations,
} from './lib/extension.mjs';

let crm;
let browser;
const consoleErrors = [];

before(async () => {
  crm = await startDemoCrm();
  const dir = await buildDevExtension('chrome', demoConfig(crm.origin));
  browser = await launchChromium(dir);
  browser.worker.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`worker: ${m.text()}`); });
  await waitForSiteRegistration(browser.worker);
});

after(async () => {
  await browser?.context.close();
  await crm?.close();
});

async function waitUntil(check, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function openWatched(url) {
  const page = await browser.context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  await page.goto(url);
  return page;
}

const isWidgetHost = () => (frame) => frame.url().startsWith(`chrome-extension://${browser.extensionId}/widget.html`);

async function assertWidgetRelays(page) {
  await page.waitForSelector('[data-crm-bridge="phone"]', { state: 'attached' });
  const host = await waitForFrame(page, isWidgetHost());
  // A ping from the widget host reached the Rust worker and its answer came back.
  await host.waitForSelector('body[data-ping="ok"]', { timeout: 10_000 });
  // The simulator's service request went widget → host → worker and its answer came back.
  const widget = await waitForFrame(page, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-relay="answered"]', { timeout: 10_000 });
  assert.equal(await host.locator('#rc-widget-adapter-frame').getAttribute('allow'), 'microphone; autoplay');
  return widget;
}

test('the widget host appears on an enabled CRM page and relays both ways', async () => {
  const page = await openWatched(`${crm.origin}/contacts`);
  await assertWidgetRelays(page);
  await page.close();
});

test('the widget simulator gets one registration and valid answers to every recorded request', async () => {
  const page = await openWatched(`${crm.origin}/contacts`);
  const widget = await assertWidgetRelays(page);
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
  const summary = await widget.locator('body').getAttribute('data-suite-summary');
  const failures = await widget.locator('#log li.fail').allTextContents();
  assert.equal(await widget.locator('body').getAttribute('data-suite'), 'passed', `${summary}\n${failures.join('\n')}`);
  assert.match(summary, /^(\d+) passed, 0 failed/);
  assert.ok(Number(summary.split(' ')[0]) >= 60, summary);
  // Exactly one registration in this widget lifetime, even though login status repeats.
  await widget.evaluate(() => window.parent.postMessage({ type: 'rc-login-status-notify', loggedIn: true }, '*'));
  await page.waitForTimeout(300);
  const state = await widget.evaluate(() => window.simState());
  assert.equal(state.registrations, 1);
  assert.equal(await widget.locator('body').getAttribute('data-registration'), 'registered');
  // A widget-side settings toggle is stored in the user's settings (and so survives the worker).
  const toggle = widget.locator('#settings input[type="checkbox"]').first();
  assert.equal(await toggle.isChecked(), true);
  await toggle.uncheck();
  await waitUntil(async () => (await browser.worker.evaluate(() => chrome.storage.local.get('settings')))
    .settings.widgetToggles?.openRecordOnRing === false);
  // The authorization button round trip: the host answers and updates the widget's state.
  await widget.locator('#auth-button').click();
  await widget.waitForFunction(() => document.getElementById('auth-state').textContent.startsWith('Not connected'));
  await widget.locator('#auth-button').click();
  await widget.waitForFunction(() => document.getElementById('auth-state').textContent.startsWith('Connected'));
  await page.close();
});

test('200 requests in flight survive the service worker being stopped, each answered once', async () => {
  const page = await openWatched(`${crm.origin}/contacts`);
  const widget = await assertWidgetRelays(page);
  await widget.waitForSelector('body[data-registration="registered"]');
  const cdp = await browser.context.newCDPSession(page);
  const states = [];
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const v of versions) if (v.scriptURL.startsWith(`chrome-extension://${browser.extensionId}/`)) states.push(v.runningStatus);
  });
  await cdp.send('ServiceWorker.enable');
  const burst = widget.evaluate(() => window.simBurst(200));
  await page.waitForTimeout(5);
  await cdp.send('ServiceWorker.stopAllWorkers');
  const result = await burst;
  // The DevTools event saying so may trail the burst on a busy machine.
  for (let waited = 0; !states.includes('stopped') && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  assert.ok(states.includes('stopped'), `the worker was never stopped: ${states.join(', ')}`);
  // The new worker instance handled part of the burst: requests really crossed the restart.
  const handled = await requestsHandledByWorker(browser.context, browser.extensionId);
  assert.ok(handled > 1, `the restarted worker handled ${handled - 1} of the burst`);
  assert.deepEqual({ answered: result.answered, timedOut: result.timedOut, duplicates: result.duplicates },
    { answered: 200, timedOut: 0, duplicates: 0 });
  const state = await widget.evaluate(() => window.simState());
  assert.equal(state.stats.late, 0, 'no answer arrived for an unknown or finished request');
  await page.close();
});

test('a strict page CSP (frame-src none, script-src self) does not block the widget host', async () => {
  const page = await openWatched(`${crm.origin}/strict-csp`);
  const csp = await page.evaluate(async () => (await fetch(location.href)).headers.get('content-security-policy'));
  assert.match(csp, /frame-src 'none'/);
  await assertWidgetRelays(page);
  await page.close();
});

test('a site that is not enabled gets no content script and no widget', async () => {
  const other = crm.origin.replace('127.0.0.1', 'localhost');
  const page = await openWatched(`${other}/contacts`);
  await page.waitForLoadState('load');
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('[data-crm-bridge="phone"]').count(), 0);
  assert.equal(page.frames().filter(isWidgetHost()).length, 0);
  await page.close();
});

test('the widget can be minimised and restored, and keeps its place per site', async () => {
  const page = await openWatched(`${crm.origin}/contacts/101`);
  await page.waitForSelector('[data-crm-bridge="phone"]', { state: 'attached' });
  const box = async () => page.locator('[data-crm-bridge="phone"]').evaluate((el) => el.style.transform);
  // Drag the title bar 200 px left with real input events (the shadow root is closed to scripts).
  const before = await box();
  const [x, y] = before.match(/-?\d+/g).map(Number);
  await page.mouse.move(x + 60, y + 16);
  await page.mouse.down();
  await page.mouse.move(x - 140, y + 16, { steps: 5 });
  await page.mouse.up();
  const moved = await box();
  assert.notEqual(moved, before);
  await page.reload();
  await page.waitForSelector('[data-crm-bridge="phone"]', { state: 'attached' });
  await page.waitForFunction((t) => document.querySelector('[data-crm-bridge="phone"]').style.transform === t, moved);
  // Minimise with the bar's button (top right of the 320 px panel), restore with the round button.
  const [mx, my] = moved.match(/-?\d+/g).map(Number);
  await page.mouse.click(mx + 320 - 19, my + 16);
  const minimised = await box();
  const [fx, fy] = minimised.match(/-?\d+/g).map(Number);
  assert.deepEqual([fx - mx, fy - my], [320 - 52, 588 - 52], 'the button keeps the panel corner');
  await page.mouse.click(fx + 26, fy + 26);
  assert.equal(await box(), moved);
  await page.close();
});

test('an unreachable widget URL shows a message naming it, never a blank box', async () => {
  const unreachable = 'http://127.0.0.1:9/app.html'; // the discard port: nothing listens
  const saved = await browser.worker.evaluate(() => chrome.storage.local.get('settings'));
  await browser.worker.evaluate((url) => chrome.storage.local.get('settings').then(({ settings }) =>
    chrome.storage.local.set({ settings: { ...settings, widget: { ...settings.widget, appUrl: url } } })), unreachable);
  try {
    const page = await openWidgetHostPage(browser.context, browser.extensionId);
    const notice = page.locator('#widget-notice');
    await notice.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await notice.textContent(), new RegExp(`could not be loaded from ${unreachable.replace(/[.:/]/g, '\\$&')}`));
    await page.close();
  } finally {
    await browser.worker.evaluate((items) => chrome.storage.local.set(items), saved);
  }
});

test('the side panel page hosts the widget on its own, admitted without a ticket in its address', async () => {
  const panel = await openWatched(`chrome-extension://${browser.extensionId}/panel.html`);
  await panel.waitForSelector('body[data-ping="ok"]');
  assert.deepEqual(await accessibilityViolations(panel), [], 'widget host');
  const widget = await waitForFrame(panel, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-registration="registered"]', { timeout: 10_000 });
  await widget.waitForSelector('body[data-relay="answered"]', { timeout: 10_000 });
  await panel.close();
});

test('no errors in the service worker or page consoles', () => {
  assert.deepEqual(consoleErrors, []);
});
