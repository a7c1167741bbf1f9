// The options page in real Chromium: bad input is refused with a reason and changes nothing,
// good input is stored, settings files are exported and imported with the same rules, sites are
// forgotten, and the page passes axe-core without serious or critical violations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  ROOT, buildDevExtension, launchChromium, waitForSiteRegistration, demoConfig, accessibilityViolations,
  waitForFrame,
} from './lib/extension.mjs';

let crm;
let browser;
let page;

const stored = async () => (await browser.worker.evaluate(() => chrome.storage.local.get('settings'))).settings;

before(async () => {
  crm = await startDemoCrm();
  browser = await launchChromium(await buildDevExtension('chrome', demoConfig(crm.origin), join(ROOT, 'target', 'e2e-options')));
  await waitForSiteRegistration(browser.worker);
  page = await browser.context.newPage();
  await page.goto(`chrome-extension://${browser.extensionId}/options.html`);
  await page.waitForSelector('body[data-state="ready"]');
});

after(async () => {
  await browser?.context.close();
  await crm?.close();
});

test('the options page shows the stored settings and passes axe-core', async () => {
  assert.equal(await page.locator('#app-url').inputValue(), `${crm.origin}/widget-sim/`);
  assert.equal(await page.locator('#sites li span').textContent(), 'http://127.0.0.1');
  assert.equal(await page.locator('input[name="callLogging"]').isChecked(), true);
  assert.deepEqual(await accessibilityViolations(page), []);
});

test('option changes reach an open phone without reloading the CRM page', async () => {
  const crmPage = await browser.context.newPage();
  await crmPage.goto(`${crm.origin}/contacts`);
  const widget = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-registration="registered"]', { timeout: 10_000 });
  assert.equal((await widget.evaluate(() => window.simService())).messageLoggerPath, '/messageLogger');
  await crmPage.evaluate(() => { window.notReloaded = true; });
  await page.locator('input[name="messageLogging"]').uncheck();
  await page.locator('#save').click();
  await page.waitForSelector('#form-status[data-kind="ok"]');
  // The widget frame loads anew (a new widget lifetime) and is registered without the logger.
  await widget.waitForFunction(() => window.simService && window.simService() && !window.simService().messageLoggerPath,
    null, { timeout: 10_000 });
  assert.equal((await widget.evaluate(() => window.simService())).callLoggerPath, '/callLogger');
  assert.equal(await crmPage.evaluate(() => window.notReloaded), true, 'the CRM page was not reloaded');
  await page.locator('input[name="messageLogging"]').check();
  await page.locator('#save').click();
  await widget.waitForFunction(() => window.simService && window.simService()?.messageLoggerPath === '/messageLogger',
    null, { timeout: 10_000 });
  await crmPage.close();
  await page.evaluate(() => document.getElementById('form-status').removeAttribute('data-kind'));
});

test('an invalid widget URL is refused with a reason and nothing changes', async () => {
  const before = await stored();
  for (const bad of ['http://evil.test/app.html', 'javascript:alert(1)', 'not a url']) {
    await page.locator('#app-url').fill(bad);
    await page.locator('#save').click();
    await page.waitForSelector('#form-status[data-kind="error"]');
    assert.match(await page.locator('#form-status').textContent(), /previous settings are unchanged.*widget URL refused/);
    assert.equal(await page.locator('#app-url').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await stored(), before, bad);
    await page.evaluate(() => document.getElementById('form-status').removeAttribute('data-kind'));
  }
});

test('valid changes are stored', async () => {
  await page.locator('#app-url').fill(`${crm.origin}/widget-sim/`);
  await page.locator('#client-id').fill('my-client-id');
  await page.locator('input[name="messageLogging"]').uncheck();
  await page.locator('#save').click();
  await page.waitForSelector('#form-status[data-kind="ok"]');
  const settings = await stored();
  assert.equal(settings.widget.clientId, 'my-client-id');
  assert.equal(settings.services.messageLogging, false);
  assert.deepEqual(settings.sites, ['http://127.0.0.1']);
});

test('corrupted, hostile and future settings files are refused whole', async () => {
  const before = await stored();
  const dir = await mkdtemp(join(tmpdir(), 'crm-bridge-import-'));
  const files = {
    'corrupted.json': '{"widget": {"appUrl": ',
    'everywhere.json': JSON.stringify({ ...before, sites: ['<all_urls>'] }),
    'star.json': JSON.stringify({ ...before, sites: ['*'] }),
    'future.json': JSON.stringify({ ...before, schemaVersion: 99 }),
  };
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, content);
    await page.evaluate(() => document.getElementById('file-status').removeAttribute('data-kind'));
    await page.locator('#import').setInputFiles(path);
    await page.waitForSelector('#file-status[data-kind="error"]');
    assert.match(await page.locator('#file-status').textContent(), /previous settings are unchanged/, name);
    assert.deepEqual(await stored(), before, name);
  }
  // A good file is imported.
  const good = join(dir, 'good.json');
  await writeFile(good, JSON.stringify({ ...before, widget: { ...before.widget, clientId: 'imported' } }));
  await page.locator('#import').setInputFiles(good);
  await page.waitForSelector('#file-status[data-kind="ok"]');
  assert.equal((await stored()).widget.clientId, 'imported');
  assert.equal(await page.locator('#client-id').inputValue(), 'imported');
});

test('a site can be forgotten from the list', async () => {
  await page.locator('#sites li button').click();
  await page.waitForFunction(() => !document.querySelector('#sites li button'));
  assert.deepEqual((await stored()).sites, []);
  assert.deepEqual(await browser.worker.evaluate(() => chrome.scripting.getRegisteredContentScripts()), []);
});
