// The options page in real Chromium: bad input is refused with a reason and changes nothing,
// good input is stored, settings files are exported and imported with the same rules, sites are
// forgotten, and the page passes axe-core without serious or critical violations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  ROOT, buildDevExtension, launchChromium, waitForSiteRegistration, demoConfig, accessibilityViolations,
  waitForFrame, askOver,
} from './lib/extension.mjs';

let crm;
let browser;
let page;
const SITE = 'http://127.0.0.1';

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
  assert.equal(await page.locator('#sites .site-head span').textContent(), 'http://127.0.0.1');
  assert.equal(await page.locator('input[name="callLogging"]').isChecked(), true);
  assert.deepEqual(await accessibilityViolations(page), []);
});

test('option changes reach an open phone without reloading the CRM page', async () => {
  const crmPage = await browser.context.newPage();
  // A page without people: discovery has nothing to read, so the worker answers at once.
  await crmPage.goto(`${crm.origin}/settings`);
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

/** A CRM page of the enabled site with its registered phone (the widget simulator). */
async function openPhone() {
  const crmPage = await browser.context.newPage();
  // A page without people: discovery has nothing to read, so the worker answers at once.
  await crmPage.goto(`${crm.origin}/settings`);
  const widget = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-registration="registered"]', { timeout: 10_000 });
  // The simulator first replays the widget's recorded requests (its "crm-bridge options"
  // button among them, which brings the options tab to the front): the test's own clicks and
  // calls come after that, not racing it.
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
  return { crmPage, widget };
}

async function saveSite(fields) {
  await page.bringToFront(); // a hidden tab gets no animation frames, which clicks wait for
  await page.evaluate(() => document.getElementById('site-status-0')?.removeAttribute('data-kind'));
  if (!(await page.locator('#sites details').first().evaluate((d) => d.open))) await page.locator('#sites summary').first().click();
  if ('dnc' in fields) await page.locator('#dnc-0').fill(fields.dnc);
  if ('restrict' in fields) await page.locator('#restrict-0').setChecked(fields.restrict);
  if ('form' in fields) await page.locator('#log-form-0').fill(fields.form);
  if ('keepOnly' in fields) await page.locator('#keep-only-0').fill(fields.keepOnly);
  await page.locator('#save-site-0').click();
  await page.waitForSelector('#site-status-0[data-kind]');
  return { ok: await page.locator('#site-status-0').getAttribute('data-kind') === 'ok',
    text: await page.locator('#site-status-0').textContent() };
}

test("a site's do-not-contact list stops calls in the open phone at once", async () => {
  const { crmPage, widget } = await openPhone();
  assert.deepEqual(await widget.evaluate(() => window.simDoNotContact('+12065550134')), { result: false });
  const before = await stored();
  const refused = await saveSite({ dnc: '+1 206 555 0134, asked in March\nJane Roe', restrict: true });
  assert.equal(refused.ok, false);
  assert.match(refused.text, /line 2/);
  assert.equal(await page.locator('#dnc-0').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(await stored(), before, 'a wrong line changes nothing');

  const saved = await saveSite({ dnc: '+1 206 555 0134, asked in March\n(650) 555-0100', restrict: true });
  assert.equal(saved.ok, true, saved.text);
  assert.deepEqual(await accessibilityViolations(page), [], 'the open site editor passes axe-core');
  const blocked = await widget.evaluate(() => window.simDoNotContact('+12065550134'));
  assert.equal(blocked.result, true);
  assert.equal(blocked.mode, 'restrict');
  assert.match(blocked.message, /asked in March/);
  assert.equal((await widget.evaluate(() => window.simDoNotContact('+16505550100'))).result, true, 'national entry');
  // Unticked: the phone asks instead of blocking.
  await saveSite({ restrict: false });
  assert.equal((await widget.evaluate(() => window.simDoNotContact('+12065550134'))).mode, undefined);
  await crmPage.bringToFront();
  await widget.locator('#dial').click();
  await widget.waitForSelector('#call-result:has-text("Confirm")');
  await saveSite({ dnc: '' });
  assert.equal((await widget.evaluate(() => window.simDoNotContact('+12065550134'))).result, false);
  await crmPage.close();
});

test("a site's call-log form is shown in the phone in its order, logged, and Edit brings every value back", async () => {
  const form = 'Disposition*: Interested | Not now | Call back\nFollow-up needed [x]\nSubject';
  const saved = await saveSite({ form });
  assert.equal(saved.ok, true, saved.text);
  assert.equal(await page.locator('#log-form-0').inputValue(), form);
  const { crmPage, widget } = await openPhone();
  await crmPage.bringToFront();
  await widget.locator('#log-call').click();
  await widget.waitForSelector('#log-page:not([hidden])');
  await widget.waitForSelector('#log-result:has-text("Fill in the log form")');
  assert.equal(await widget.locator('#log-page-title').textContent(), 'Log call to CRM');
  const names = () => widget.locator('#log-page-fields [name]').evaluateAll((fields) => fields.map((f) => f.name));
  assert.deepEqual(await names(), ['disposition', 'followUpNeeded', 'subject', 'note'], 'the order the user wrote');
  await widget.locator('#log-page button[type="submit"]').click();
  await widget.waitForSelector('#log-result:has-text("Required: disposition")');
  await widget.locator('select[name="disposition"]').selectOption('Call back');
  await widget.locator('input[name="followUpNeeded"]').check();
  await widget.locator('input[name="subject"]').fill('Q3 order');
  await widget.locator('textarea[name="note"]').fill('<b>wants</b> a demo');
  await widget.locator('#log-page button[type="submit"]').click();
  await widget.waitForSelector('#log-result:has-text("Call logged")');
  const session = await widget.locator('#log-page').getAttribute('data-session');
  const matched = await widget.evaluate(async (id) => {
    const service = window.simService();
    return new Promise((resolve) => {
      const requestId = `t-${Date.now()}`;
      addEventListener('message', function on(e) {
        if (e.data?.responseId === requestId) { removeEventListener('message', on); resolve(e.data.response.data); }
      });
      parent.postMessage({ type: 'rc-post-message-request', requestId, path: service.callLogEntityMatcherPath, body: { sessionIds: [id] } }, '*');
    });
  }, session);
  assert.equal(matched[session][0].note, '<b>wants</b> a demo', 'stored as text, as typed');
  // Edit log: the form comes back in its order with every saved value, so Save works at once.
  await widget.locator('#edit-log').click();
  await widget.waitForSelector('#log-result:has-text("Fill in the log form")');
  await widget.waitForSelector('#log-page:not([hidden])');
  assert.deepEqual(await names(), ['disposition', 'followUpNeeded', 'subject', 'note']);
  assert.deepEqual({
    disposition: await widget.locator('select[name="disposition"]').inputValue(),
    followUpNeeded: await widget.locator('input[name="followUpNeeded"]').isChecked(),
    subject: await widget.locator('input[name="subject"]').inputValue(),
    note: await widget.locator('textarea[name="note"]').inputValue(),
  }, { disposition: 'Call back', followUpNeeded: true, subject: 'Q3 order', note: '<b>wants</b> a demo' });
  await widget.locator('#log-page button[type="submit"]').click();
  await widget.waitForSelector('#log-result:has-text("Call logged")');
  await saveSite({ form: '' });
  await crmPage.close();
});

test('on a site without its own call-log form, Log asks for a note first and logs the call with it', async () => {
  const { crmPage, widget } = await openPhone();
  await crmPage.bringToFront();
  await widget.locator('#note').fill(''); // the widget's Log press carries no note
  await widget.locator('#log-call').click();
  await widget.waitForSelector('#log-page:not([hidden])');
  await widget.waitForSelector('#log-result:has-text("Fill in the log form")');
  const names = await widget.locator('#log-page-fields [name]').evaluateAll((fields) => fields.map((f) => f.name));
  assert.deepEqual(names, ['note'], 'the note alone');
  const session = await widget.locator('#log-page').getAttribute('data-session');
  const matched = () => widget.evaluate((id) => window.simTimes('callLogEntityMatcherPath', [{ sessionIds: [id] }]).then((r) => r.last.data[id] ?? null), session);
  assert.equal(await matched(), null, 'not logged before Save');
  await widget.locator('textarea[name="note"]').fill('Call back on Monday <b>after 10</b>');
  await widget.locator('#log-page button[type="submit"]').click();
  await widget.waitForSelector('#log-result:has-text("Call logged")');
  assert.equal((await matched())[0].note, 'Call back on Monday <b>after 10</b>');
  await crmPage.close();
});

test("the phone's own toggles are in the options page, and a change reaches the open phone without a reload", async () => {
  const { crmPage, widget } = await openPhone();
  const toggle = () => widget.evaluate(() => window.simService().settings.find((s) => s.id === 'openRecordOnRing').value);
  assert.equal(await toggle(), true);
  assert.equal(await page.locator('input[name="openRecordOnRing"]').isChecked(), true);
  await crmPage.evaluate(() => { window.notReloaded = true; });
  await page.locator('input[name="openRecordOnRing"]').uncheck();
  await page.locator('#save').click();
  await page.waitForSelector('#form-status[data-kind="ok"]');
  await widget.waitForFunction(() => window.simService().settings.find((s) => s.id === 'openRecordOnRing').value === false);
  assert.equal((await widget.evaluate(() => window.simState())).registrations, 1, 'same widget lifetime');
  // And back from the phone: its switch is stored and shown by the options page.
  await widget.locator('#settings input[type="checkbox"]').check();
  for (let i = 0; i < 150 && (await stored()).widgetToggles.openRecordOnRing !== true; i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await stored()).widgetToggles.openRecordOnRing, true);
  // A save of something else on this page, which still shows the toggle off, leaves the phone's
  // choice alone: only what the user changed in the form is saved.
  assert.equal(await page.locator('input[name="openRecordOnRing"]').isChecked(), false, 'shown as loaded');
  for (const checked of [false, true]) {
    await page.locator('input[name="meetingInvite"]').setChecked(checked);
    await page.locator('#save').click();
    await page.waitForSelector('#form-status[data-kind="ok"]');
    await page.evaluate(() => document.getElementById('form-status').removeAttribute('data-kind'));
    assert.equal((await stored()).services.meetingInvite, checked);
    assert.equal((await stored()).widgetToggles.openRecordOnRing, true, 'the phone\'s toggle kept');
  }
  await page.reload();
  await page.waitForSelector('body[data-state="ready"]');
  assert.equal(await page.locator('input[name="openRecordOnRing"]').isChecked(), true);
  assert.equal(await crmPage.evaluate(() => window.notReloaded), true);
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

test("the company's own numbers are refused when not numbers and stored when they are", async () => {
  await page.locator('#app-url').fill(`${crm.origin}/widget-sim/`); // the previous test left it invalid
  const before = await stored();
  await page.locator('#own-numbers').fill('+1 206 555 0134\nreception');
  await page.locator('#save').click();
  await page.waitForSelector('#form-status[data-kind="error"]');
  assert.match(await page.locator('#form-status').textContent(), /"reception" in your own numbers/);
  assert.equal(await page.locator('#own-numbers').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(await stored(), before);
  await page.evaluate(() => document.getElementById('form-status').removeAttribute('data-kind'));
  await page.locator('#own-numbers').fill('+1 206 555 0134');
  await page.locator('#save').click();
  await page.waitForSelector('#form-status[data-kind="ok"]');
  assert.deepEqual((await stored()).ownNumbers, ['+1 206 555 0134']);
  await page.evaluate(() => document.getElementById('form-status').removeAttribute('data-kind'));
});

test('the phone loads with the calls-and-tabs options: one ringing tab by default, the chosen call method and auto-logging', async () => {
  assert.equal(await page.locator('input[name="multipleTabsSupport"]').isChecked(), true, 'on by default');
  const frameUrl = async () => {
    const crmPage = await browser.context.newPage();
    await crmPage.goto(`${crm.origin}/settings`);
    const widget = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
    const url = new URL(widget.url());
    await crmPage.close();
    return url.searchParams;
  };
  const before = await frameUrl();
  assert.equal(before.get('multipleTabsSupport'), '1');
  assert.equal(before.get('disconnectInactiveWebphone'), '1');
  assert.equal(before.get('defaultAutoLogCallEnabled'), null);
  await page.bringToFront();
  await page.locator('input[name="disconnectInactiveWebphone"]').uncheck();
  await page.locator('#default-call-with').selectOption('ringout');
  await page.locator('input[name="autoLogCalls"]').check();
  await page.locator('#save').click();
  await page.waitForSelector('#form-status[data-kind="ok"]');
  const settings = await stored();
  assert.equal(settings.widget.defaultCallWith, 'ringout');
  assert.equal(settings.widget.autoLogCalls, true);
  const after = await frameUrl();
  assert.equal(after.get('disconnectInactiveWebphone'), null, 'a switched-off option is left out');
  assert.equal(after.get('defaultCallWith'), 'ringout');
  assert.equal(after.get('defaultAutoLogCallEnabled'), '1');
  assert.equal(after.get('defaultAutoLogMessageEnabled'), null);
  await page.bringToFront();
  await page.reload();
  await page.waitForSelector('body[data-state="ready"]');
  assert.equal(await page.locator('#default-call-with').inputValue(), 'ringout');
  assert.equal(await page.locator('input[name="disconnectInactiveWebphone"]').isChecked(), false);
  await page.evaluate(() => document.getElementById('form-status').removeAttribute('data-kind'));
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

test('the phone settings follow the user to their other browsers (storage.sync); sites stay here', async () => {
  const synced = async () => (await browser.worker.evaluate(() => chrome.storage.sync.get('settings'))).settings;
  const until = async (check, what) => {
    for (let i = 0; i < 50; i += 1) { if (await check()) return; await new Promise((r) => setTimeout(r, 100)); }
    assert.fail(what);
  };
  // Saved through the page: the synced copy has the phone settings, not the sites.
  await until(async () => (await synced())?.widget?.clientId === 'my-client-id', 'the saved settings were not synced');
  const copy = await synced();
  assert.equal(copy.services.messageLogging, false);
  for (const local of ['sites', 'allSites', 'siteOptions']) assert.equal(copy[local], undefined, `${local} stays here`);

  // Another browser of the user changes them: taken over here (and shown), sites untouched.
  await browser.worker.evaluate((s) => chrome.storage.sync.set({ settings: s }), { ...copy, ownNumbers: ['+1 650 555 0199'] });
  await until(async () => (await stored()).ownNumbers?.[0] === '+1 650 555 0199', 'the synced change was not taken over');
  assert.deepEqual((await stored()).sites, ['http://127.0.0.1']);
  assert.equal((await stored()).widget.clientId, 'my-client-id');
  await page.reload();
  await page.waitForSelector('body[data-state="ready"]');
  assert.equal(await page.locator('#own-numbers').inputValue(), '+1 650 555 0199');

  // A copy written by a newer crm-bridge is not taken over: this browser keeps its settings.
  await browser.worker.evaluate((s) => chrome.storage.sync.set({ settings: s }),
    { ...copy, schemaVersion: 99, ownNumbers: ['+1 650 555 0111'] });
  await until(async () => (await browser.worker.evaluate(() => chrome.storage.local.get('recentErrors'))).recentErrors
    ?.some((e) => e.message.startsWith('settings from your other browsers ignored')), 'the refusal was not recorded');
  assert.equal((await stored()).ownNumbers[0], '+1 650 555 0199');
  await page.locator('#own-numbers').fill('');
  await page.locator('#save').click();
  await page.waitForSelector('#form-status[data-kind="ok"]');
  await until(async () => (await synced())?.schemaVersion === 1 && (await synced()).ownNumbers.length === 0,
    'the next save did not replace the newer copy');
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

test('a settings file leaves the secrets out unless asked, and importing it keeps the secrets in place', async () => {
  const before = await stored();
  const withHook = { ...before, siteOptions: { ...before.siteOptions, 'http://127.0.0.1': { ...before.siteOptions?.['http://127.0.0.1'],
    webhook: { url: 'https://hooks.example.com/calls', headerName: 'Authorization', headerValue: 'Bearer t0k3n-in-file?', signingSecret: 'k3y-in-file?' } } } };
  await browser.worker.evaluate((settings) => chrome.storage.local.set({ settings }), withHook);
  await page.reload();
  await page.waitForSelector('body[data-state="ready"]');
  const exportFile = async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
    return readFile(await download.path(), 'utf8');
  };
  try {
    assert.equal(await page.locator('#export-secrets').isChecked(), false, 'without secrets by default');
    const plain = await exportFile();
    assert.doesNotMatch(plain, /t0k3n-in-file|k3y-in-file/);
    assert.match(plain, /"headerName": "Authorization"/);
    assert.match(await page.locator('#file-status').textContent(), /without secrets/);
    // Imported back: the secrets stay as they are.
    const dir = await mkdtemp(join(tmpdir(), 'crm-bridge-export-'));
    await writeFile(join(dir, 'plain.json'), plain);
    await page.evaluate(() => document.getElementById('file-status').removeAttribute('data-kind'));
    await page.locator('#import').setInputFiles(join(dir, 'plain.json'));
    await page.waitForSelector('#file-status[data-kind="ok"]');
    const webhook = (await stored()).siteOptions['http://127.0.0.1'].webhook;
    assert.equal(webhook.headerValue, 'Bearer t0k3n-in-file?');
    assert.equal(webhook.signingSecret, 'k3y-in-file?');
    // Asked for: the secrets are in the file, and the page says so.
    await page.locator('#export-secrets').check();
    assert.match(await exportFile(), /t0k3n-in-file/);
    assert.match(await page.locator('#file-status').textContent(), /plain text/);
    await page.locator('#export-secrets').uncheck();
  } finally {
    await browser.worker.evaluate((settings) => chrome.storage.local.set({ settings }), before);
    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
  }
});

test('diagnostics show the versions and the background errors, kept in storage; a report leaves secrets out', async () => {
  const saved = await stored();
  const version = await browser.worker.evaluate(() => chrome.runtime.getManifest().version);
  // An error a user would otherwise only see in the developer tools: settings a newer build wrote.
  await browser.worker.evaluate(() => chrome.storage.local.set({ settings: { schemaVersion: 99 } }));
  const diag = await browser.context.newPage();
  try {
    await diag.goto(`chrome-extension://${browser.extensionId}/options.html`);
    await diag.waitForSelector('#errors:not([hidden])');
    // Newest first; an earlier test left one of its own (a synced copy from a newer build).
    const rows = diag.locator('#errors tbody tr');
    assert.match(await rows.first().textContent(), /Settings ignored: .*newer.*1$/);
    const count = await rows.count();
    assert.match(await diag.locator('#errors-status').textContent(), new RegExp(`^${count} different errors recorded`));
    const kept = await browser.worker.evaluate(() => chrome.storage.local.get('recentErrors'));
    assert.equal(kept.recentErrors.length, count, 'kept for the next worker');
    assert.ok(kept.recentErrors.some((e) => e.message.startsWith('Settings ignored')));
    assert.equal(await diag.locator('#about-version').textContent(), version);
    assert.equal(await diag.locator('#about-layout').textContent(), 'settings version 1, database version 3');
    assert.match(await diag.locator('#about-browser').textContent(), /Chrom/);
    assert.match(await diag.locator('#about-worker').textContent(), /^\d+ requests answered/);
    assert.deepEqual(await accessibilityViolations(diag), []);

    // The report for support: versions and errors, no secrets.
    await browser.worker.evaluate((settings) => chrome.storage.local.set({ settings }), {
      ...saved,
      widget: { ...saved.widget, appUrl: `${saved.widget.appUrl}?clientId=pub&clientSecret=cl13nt-never-in-a-report` },
      siteOptions: { 'http://127.0.0.1': { webhook: { url: 'https://hooks.example.com/calls/Zx81kq0never?token=t0k3n-never',
        headerName: 'Authorization', headerValue: 'Bearer never-in-a-report', signingSecret: 'k3y-never-in-a-report' } } },
    });
    await diag.reload();
    await diag.waitForSelector('#errors:not([hidden])');
    const [download] = await Promise.all([diag.waitForEvent('download'), diag.locator('#about-report').click()]);
    const text = await readFile(await download.path(), 'utf8');
    const report = JSON.parse(text);
    assert.equal(report.about.version, version);
    assert.equal(report.about.errors.length, count);
    assert.equal(report.settings.siteOptions['http://127.0.0.1'].webhook.url,
      'https://hooks.example.com/calls/(hidden)?token=(hidden)', 'tokens in the path and query hidden');
    assert.match(report.settings.widget.appUrl, /clientId=pub&clientSecret=\(hidden\)$/);
    assert.doesNotMatch(text, /never/);
    await diag.waitForSelector('#errors-status[data-kind="ok"]');

    await diag.locator('#errors-clear').click();
    await diag.waitForSelector('#errors[hidden]', { state: 'attached' });
    assert.equal(await diag.locator('#errors-status').textContent(), 'No errors recorded.');
    for (let i = 0; i < 50 && (await browser.worker.evaluate(() => chrome.storage.local.get('recentErrors'))).recentErrors.length; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual((await browser.worker.evaluate(() => chrome.storage.local.get('recentErrors'))).recentErrors, []);
  } finally {
    await browser.worker.evaluate((settings) => chrome.storage.local.set({ settings }), saved);
    await diag.close();
  }
});

test('"why did a number not match?" shows how a number is read and the stored numbers on its digits', async () => {
  // People of the demo CRM's list, read by discovery.
  const crmPage = await browser.context.newPage();
  await crmPage.goto(`${crm.origin}/contacts`);
  const explain = async (number) => {
    await page.locator('#explain-number').fill(number);
    await page.evaluate(() => { document.querySelector('#explain-reading').textContent = ''; });
    await page.locator('#explain-go').click();
    await page.waitForFunction(() => document.querySelector('#explain-reading').textContent !== '');
    return {
      reading: await page.locator('#explain-reading').textContent(),
      near: await page.locator('#explain-near li').evaluateAll((items) => items.map((li) => [li.dataset.matched, li.textContent])),
    };
  };
  let answer;
  for (let i = 0; i < 60; i += 1) {
    answer = await explain('+1 (206) 555-0134');
    if (answer.near.length > 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(answer.reading, 'Read as: country code +1, national digits 2065550134, extension none.');
  assert.deepEqual(answer.near.map(([m, t]) => [m, t.split(' (')[0]]), [['true', 'Ava Thompson']]);
  assert.match(answer.near[0][1], /the same number$/);
  // Another country's number on the same digits: shown, not matched, and why.
  answer = await explain('+44 20 6555 0134');
  assert.equal(answer.near[0][0], 'false');
  assert.match(answer.near[0][1], /^Ava Thompson .*stored with country code \+1, asked with \+44: another country$/);
  // Too short, and unknown.
  assert.match((await explain('555-01')).reading, /too short to identify a line/);
  answer = await explain('+49 89 1234 5678');
  assert.match(answer.reading, /no stored number has the national digits 8912345678/);
  assert.deepEqual(answer.near, []);
  assert.deepEqual(await accessibilityViolations(page), []);
  await crmPage.close();
});

test('a site that keeps only chosen pages adds no one from other pages', async () => {
  const refused = await saveSite({ keepOnly: '/people?page=4\nVIP list' });
  assert.equal(refused.ok, false);
  assert.match(refused.text, /keep only, line 2/);
  assert.equal(await page.locator('#keep-only-0').getAttribute('aria-invalid'), 'true');
  const saved = await saveSite({ keepOnly: `${crm.origin}/people?page=4` });
  assert.equal(saved.ok, true, saved.text);
  assert.equal(await page.locator('#keep-only-0').inputValue(), '/people?page=4', 'kept as a path');
  const count = async () => (await askOver(page, { kind: 'contactCounts' })).sites[SITE];
  const before = await count();
  // Page 3 of the directory is read (its 100 people are found) but nobody new is kept.
  const read = async (path) => {
    const list = await browser.context.newPage();
    await list.goto(`${crm.origin}${path}`);
    const deadline = Date.now() + 15_000;
    while (!(await askOver(page, { kind: 'siteStatus', url: `${crm.origin}${path}` })).page) {
      if (Date.now() > deadline) throw new Error(`${path} was never read`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await list.close();
  };
  await read('/people?page=3');
  assert.equal(await count(), before, 'nothing new from a page that is not chosen');
  await read('/people?page=4');
  assert.equal(await count(), before + 100, 'the chosen page adds its people');
  // The site's block shows its count and when its pages last gave contacts.
  await page.reload();
  await page.waitForSelector('body[data-state="ready"]');
  const shown = page.locator('#contacts-count-0');
  await page.waitForFunction(() => document.getElementById('contacts-count-0')?.dataset.lastRead);
  assert.match(await shown.textContent(), new RegExp(`^${before + 100} contacts · last read from the site \\S`));
  const at = Number(await shown.getAttribute('data-last-read'));
  assert.ok(at <= Date.now() && Date.now() - at < 60_000, `read moments ago (${new Date(at).toISOString()})`);
  assert.equal((await saveSite({ keepOnly: '' })).ok, true);
});

test('a site can be forgotten from the list', async () => {
  await page.locator('#sites .site-head button').click();
  await page.waitForFunction(() => !document.querySelector('#sites .site-head button'));
  assert.deepEqual((await stored()).sites, []);
  assert.deepEqual(await browser.worker.evaluate(() => chrome.scripting.getRegisteredContentScripts()), []);
});
