// The per-site switch in the toolbar popup, in real Chromium: switching on injects the widget
// into the open tab without a reload and keeps it after reloads; switching off takes it out.
// The demo origin is granted in the development copy (devGrantedSites) but not switched on, so
// the popup's permissions.request resolves without a prompt: the flow is otherwise the user's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  ROOT, buildDevExtension, launchChromium, waitForFrame, accessibilityViolations,
} from './lib/extension.mjs';

let crm;
let browser;

before(async () => {
  crm = await startDemoCrm();
  const config = { sites: [], widget: { appUrl: `${crm.origin}/widget-sim/` }, devGrantedSites: [crm.origin] };
  browser = await launchChromium(await buildDevExtension('chrome', config, join(ROOT, 'target', 'e2e-switch')));
});

after(async () => {
  await browser?.context.close();
  await crm?.close();
});

const widgetOn = (page) => page.locator('[data-crm-bridge="phone"]').count();

async function popupFor(page) {
  const [tab] = await browser.worker.evaluate(() => chrome.tabs.query({ url: 'http://127.0.0.1/*' }));
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.extensionId}/popup.html?tab=${tab.id}`);
  await popup.waitForSelector('body:not([data-state="loading"])');
  return popup;
}

test('switching a site on and off from the popup', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${crm.origin}/contacts`);
  await page.waitForTimeout(1000);
  assert.equal(await widgetOn(page), 0, 'not enabled yet');

  const popup = await popupFor(page);
  assert.deepEqual(await accessibilityViolations(popup), [], 'popup (off)');
  assert.equal(await popup.locator('#phone-status').textContent(), 'The phone has not been opened in this browser session yet.');
  assert.equal(await popup.locator('#site').textContent(), '127.0.0.1');
  assert.equal(await popup.locator('body').getAttribute('data-state'), 'off');
  assert.equal(await popup.locator('#site-switch').getAttribute('aria-checked'), 'false');
  await popup.locator('#site-switch').click();
  await popup.waitForSelector('body[data-state="on"]');
  assert.match(await popup.locator('#status').textContent(), /On for http:\/\/127\.0\.0\.1/);
  assert.deepEqual(await accessibilityViolations(popup), [], 'popup (on)');

  // Injected into the open tab without a reload, and working.
  await page.waitForSelector('[data-crm-bridge="phone"]', { state: 'attached', timeout: 5_000 });
  const widget = await waitForFrame(page, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-relay="answered"]', { timeout: 10_000 });
  // And after a reload, through the persistent registration.
  await page.reload();
  await page.waitForSelector('[data-crm-bridge="phone"]', { state: 'attached', timeout: 5_000 });
  const stored = await browser.worker.evaluate(() => chrome.storage.local.get('settings'));
  assert.deepEqual(stored.settings.sites, ['http://127.0.0.1']);

  // The popup shows the same state when opened again; switching off takes the widget out now.
  await popup.close();
  // The simulator replays recorded requests at each load, one of which opens the options page
  // (in the newest blank tab): let it finish before opening popups.
  const phone = await waitForFrame(page, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await phone.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
  let again = await popupFor(page);
  assert.equal(await again.locator('body').getAttribute('data-state'), 'on');
  // The phone's login as the widget announced it (kept for the browser session).
  assert.equal(await again.locator('#phone-status').textContent(), 'Phone logged in as +16505550101*101.');
  await phone.evaluate(() => window.simAnnounceLogin(false));
  await again.close();
  for (let i = 0; i < 50; i += 1) {
    again = await popupFor(page);
    if ((await again.locator('#phone-status').getAttribute('data-kind')) === 'attention') break;
    await again.close();
  }
  assert.match(await again.locator('#phone-status').textContent(), /^Phone not logged in/);
  await again.locator('#site-switch').click();
  await again.waitForSelector('body[data-state="off"]');
  await page.waitForFunction(() => !document.querySelector('[data-crm-bridge="phone"]'), null, { timeout: 5_000 });
  await page.reload();
  await page.waitForTimeout(1000);
  assert.equal(await widgetOn(page), 0, 'gone after a reload too');
  assert.deepEqual(await browser.worker.evaluate(() => chrome.scripting.getRegisteredContentScripts()), []);
  await again.close();
  await page.close();
});

test('a browser page cannot be switched on', async () => {
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.extensionId}/popup.html`); // its own tab: an extension page
  await popup.waitForSelector('body[data-state="cannot"]');
  assert.equal(await popup.locator('#site-switch').isDisabled(), true);
  await popup.close();
});
