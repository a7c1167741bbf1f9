// The opt-in "every site except …" mode, in real Chromium. Three hosts of the demo CRM stand
// for three sites: 127.0.0.1 is switched on one by one, 127.0.0.2 is reached only through the
// mode, 127.0.0.3 is an exception. Access to all sites is pre-granted in the development copy
// (`devGrantAllSites`), so the options page's permissions.request resolves without a prompt;
// the grant alone must switch nothing on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  ROOT, buildDevExtension, launchChromium, waitForSiteRegistration, waitForFrame, accessibilityViolations,
} from './lib/extension.mjs';

let crm;
let browser;
let options;
const origin = (n) => `http://127.0.0.${n}:${crm.port}`;
const widgetOn = (page) => page.locator('[data-crm-bridge="phone"]').count();
const stored = async () => (await browser.worker.evaluate(() => chrome.storage.local.get('settings'))).settings;
const registered = () => browser.worker.evaluate(() => chrome.scripting.getRegisteredContentScripts());
const isSim = (f) => f.url().startsWith(`${crm.origin}/widget-sim/`);
/**
 * Waits until a page's simulator finished replaying its recorded requests: one of them clicks
 * the phone's "crm-bridge options" button, which opens the options page in the newest blank
 * tab, so a page opened meanwhile would be navigated away.
 */
const replayed = async (page) => (await waitForFrame(page, isSim))
  .waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });

before(async () => {
  crm = await startDemoCrm({ extraHosts: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
  const config = { sites: [origin(1).replace(/:\d+$/, '')], widget: { appUrl: `${crm.origin}/widget-sim/` }, devGrantAllSites: true };
  browser = await launchChromium(await buildDevExtension('chrome', config, join(ROOT, 'target', 'e2e-all-sites')));
  await waitForSiteRegistration(browser.worker);
  options = await browser.context.newPage();
  await options.goto(`chrome-extension://${browser.extensionId}/options.html`);
  await options.waitForSelector('body[data-state="ready"]');
});

after(async () => {
  await browser?.context.close();
  await crm?.close();
});

async function save(on, except) {
  await options.locator('#all-sites-on').setChecked(on);
  await options.locator('#all-sites-except').fill(except);
  await options.evaluate(() => { document.querySelector('#all-sites-status').textContent = ''; });
  await options.locator('#all-sites-save').click();
  await options.waitForFunction(() => document.querySelector('#all-sites-status').textContent !== '');
  return options.locator('#all-sites-status');
}

test('access to all sites alone switches nothing on; a bad exception is refused whole', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${origin(2)}/contacts`);
  await page.waitForTimeout(1500);
  assert.equal(await widgetOn(page), 0, 'the mode is off');
  await page.close();
  const status = await save(true, '127.0.0.3\n*');
  assert.equal(await status.getAttribute('data-kind'), 'error');
  assert.match(await status.textContent(), /line 2: "\*" would switch crm-bridge on for every site/);
  assert.equal(await options.locator('#all-sites-except').getAttribute('aria-invalid'), 'true');
  assert.equal((await stored()).allSites?.on ?? false, false, 'nothing changed');
  assert.equal((await registered()).length, 1);
});

test('switched on, every site but the exceptions gets the phone, open tabs included; the toolbar switch adds an exception', async () => {
  const covered = await browser.context.newPage();
  await covered.goto(`${origin(2)}/contacts`);
  const status = await save(true, 'http://127.0.0.3');
  assert.equal(await status.getAttribute('data-kind'), 'ok', await status.textContent());
  assert.deepEqual(await accessibilityViolations(options), []);

  // The open tab got it without a reload, and its phone works.
  await covered.waitForSelector('[data-crm-bridge="phone"]', { state: 'attached', timeout: 5_000 });
  const phone = await waitForFrame(covered, isSim);
  await phone.waitForSelector('body[data-relay="answered"]', { timeout: 10_000 });
  await replayed(covered);
  // Registered: the listed sites, and every site minus the exceptions and the listed ones.
  const scripts = Object.fromEntries((await registered()).map((s) => [s.id, s]));
  assert.deepEqual(scripts['crm-bridge-all-sites'].matches.sort(), ['http://*/*', 'https://*/*']);
  assert.deepEqual(scripts['crm-bridge-all-sites'].excludeMatches.sort(), ['http://127.0.0.1/*', 'http://127.0.0.3/*']);
  assert.deepEqual(scripts['crm-bridge-sites'].matches, ['http://127.0.0.1/*']);

  const excepted = await browser.context.newPage();
  await excepted.goto(`${origin(3)}/contacts`);
  await excepted.waitForTimeout(1500);
  assert.equal(await widgetOn(excepted), 0, 'an exception never gets it');
  await excepted.close();
  const fresh = await browser.context.newPage();
  await fresh.goto(`${origin(4)}/contacts`);
  await fresh.waitForSelector('[data-crm-bridge="phone"]', { state: 'attached', timeout: 5_000 });
  await replayed(fresh);
  await fresh.close();

  // The toolbar popup of a covered page says why it is on; switching off makes it an exception.
  const [tab] = await browser.worker.evaluate((url) => chrome.tabs.query({ url }), `${origin(2)}/contacts`.replace(/:\d+\//, '/'));
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.extensionId}/popup.html?tab=${tab.id}`);
  await popup.waitForSelector('body[data-state="on"]');
  assert.match(await popup.locator('#status').textContent(), /all-sites mode/);
  assert.deepEqual(await accessibilityViolations(popup), []);
  await popup.locator('#site-switch').click();
  await popup.waitForSelector('body[data-state="off"]');
  await covered.waitForFunction(() => !document.querySelector('[data-crm-bridge="phone"]'), null, { timeout: 5_000 });
  assert.deepEqual((await stored()).allSites.except, ['http://127.0.0.3', 'http://127.0.0.2']);
  await covered.reload();
  await covered.waitForTimeout(1500);
  assert.equal(await widgetOn(covered), 0, 'gone after a reload too');
  await popup.close();
  await covered.close();
  await options.reload();
  await options.waitForSelector('body[data-state="ready"]');
  assert.equal(await options.locator('#all-sites-except').inputValue(), 'http://127.0.0.3\nhttp://127.0.0.2');
});

test('switched off, only the listed sites keep the phone', async () => {
  const listed = await browser.context.newPage();
  await listed.goto(`${origin(1)}/settings`);
  await listed.waitForSelector('[data-crm-bridge="phone"]', { state: 'attached', timeout: 5_000 });
  await replayed(listed);
  const covered = await browser.context.newPage();
  await covered.goto(`${origin(4)}/settings`);
  await covered.waitForSelector('[data-crm-bridge="phone"]', { state: 'attached', timeout: 5_000 });
  await replayed(covered);

  const status = await save(false, 'http://127.0.0.3');
  assert.equal(await status.getAttribute('data-kind'), 'ok', await status.textContent());
  await covered.waitForFunction(() => !document.querySelector('[data-crm-bridge="phone"]'), null, { timeout: 5_000 });
  await listed.waitForTimeout(500);
  assert.equal(await widgetOn(listed), 1, 'a listed site keeps its phone');
  assert.deepEqual((await registered()).map((s) => s.id), ['crm-bridge-sites']);
  const after = await browser.context.newPage();
  await after.goto(`${origin(2)}/contacts`);
  await after.waitForTimeout(1500);
  assert.equal(await widgetOn(after), 0);
  await Promise.all([after.close(), covered.close(), listed.close()]);
});
