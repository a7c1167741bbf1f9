// "Log in once": the widget's login must serve every enabled CRM site. The widget simulator
// keeps its "login" in its own localStorage, like the real widget keeps its session.
// Two CRM sites (localhost, 127.0.0.2) and the widget's origin (127.0.0.1) are three sites.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDemoCrm } from '../demo-crm/server.mjs';
import { ROOT, buildDevExtension, launchChromium, waitForSiteRegistration, waitForFrame } from './lib/extension.mjs';

let crm;
let siteA;
let siteB;
let extensionDir;

before(async () => {
  crm = await startDemoCrm({ extraHosts: ['127.0.0.2'] });
  siteA = `http://localhost:${crm.port}`;
  siteB = `http://127.0.0.2:${crm.port}`;
  const config = { sites: [siteA, siteB], widget: { appUrl: `${crm.origin}/widget-sim/` } };
  extensionDir = await buildDevExtension('chrome', config, join(ROOT, 'target', 'e2e-login'));
});

after(async () => { await crm?.close(); });

const isSim = (f) => f.url().startsWith(`${crm.origin}/widget-sim/`);

/**
 * Waits until a simulator finished replaying its recorded requests. One of them is the click on
 * the phone's "crm-bridge options" button, which opens the options page in the newest blank
 * tab: a page the test opens meanwhile would be navigated away.
 */
const replayed = (sim) => sim.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });

async function hostOn(browser, site) {
  const page = await browser.context.newPage();
  await page.goto(`${site}/contacts`);
  const host = await waitForFrame(page, (f) => f.url().startsWith(`chrome-extension://${browser.extensionId}/widget.html`));
  return { page, host };
}

async function openPhoneWindowFrom(browser, host) {
  await host.waitForSelector('body[data-widget="storage-blocked"]', { timeout: 10_000 });
  const isPhoneWindow = (p) => p.url().includes('/widget.html?placement=window');
  const existing = browser.context.pages().find(isPhoneWindow);
  // Wait for the window before clicking: it may open before a later wait would start.
  const opened = existing ? null : browser.context.waitForEvent('page', { predicate: isPhoneWindow, timeout: 10_000 });
  await host.locator('#open-phone-window').click();
  const phone = existing ?? await opened;
  const sim = await waitForFrame(phone, isSim);
  await sim.waitForSelector('body[data-storage]');
  await replayed(sim);
  return { phone, sim };
}

test('third-party storage blocked: one phone window, logged in once for every site, its call kept while CRM tabs navigate and close', async () => {
  const browser = await launchChromium(extensionDir, { thirdPartyStorage: 'blocked' });
  try {
    await waitForSiteRegistration(browser.worker);
    const a = await hostOn(browser, siteA);
    // The in-page widget could not keep a login here, so it is not loaded; the window is offered.
    assert.equal(await a.host.locator('#rc-widget-adapter-frame').count(), 0);
    const first = await openPhoneWindowFrom(browser, a.host);
    assert.equal(await first.sim.locator('body').getAttribute('data-storage'), 'available');
    assert.equal(await first.sim.locator('body').getAttribute('data-logged-in'), 'no');
    await first.sim.evaluate(() => window.simLogin('alice@example.com'));
    // Asking again from the other site focuses the same window: one phone, no second web phone.
    const b = await hostOn(browser, siteB);
    const again = await openPhoneWindowFrom(browser, b.host);
    assert.equal(again.phone, first.phone);
    assert.equal(browser.context.pages().filter((p) => p.url().includes('placement=window')).length, 1);
    // Closed and opened again from site B: still logged in.
    await first.phone.close();
    const reopened = await openPhoneWindowFrom(browser, b.host);
    assert.equal(await reopened.sim.locator('body').getAttribute('data-logged-in'), 'yes');

    // A call in the window's phone survives the CRM tabs navigating and closing: the window is
    // its own page, so the phone (and its web-phone connection) is the same document throughout.
    await reopened.sim.waitForSelector('body[data-relay="answered"]', { timeout: 10_000 });
    await reopened.sim.locator('#ring').click();
    await reopened.sim.waitForFunction(() => document.querySelector('#call-result').textContent.startsWith('Incoming call from'));
    const during = await reopened.sim.locator('#call-result').textContent();
    await reopened.sim.evaluate(() => { window.sameCall = true; });
    await a.page.goto(`${siteA}/companies`);
    await b.page.goto(`${siteB}/settings`);
    await a.page.close();
    await b.page.close();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(reopened.phone.isClosed(), false);
    assert.equal(await reopened.sim.evaluate(() => window.sameCall), true, 'the phone was not reloaded');
    assert.equal(await reopened.sim.locator('#call-result').textContent(), during);
    // And it still reaches the background with no CRM tab open: a search answers.
    await reopened.sim.locator('#search').fill('Ava');
    await reopened.sim.waitForFunction(() => document.querySelector('#contacts').textContent.includes('Ava Thompson'), null, { timeout: 10_000 });
  } finally {
    await browser.context.close();
  }
});

test('third-party storage allowed: the in-page widget is logged in on every site after one login', async () => {
  const browser = await launchChromium(extensionDir, { thirdPartyStorage: 'allowed' });
  try {
    await waitForSiteRegistration(browser.worker);
    const a = await hostOn(browser, siteA);
    const simA = await waitForFrame(a.page, isSim);
    await simA.waitForSelector('body[data-storage="available"]');
    await replayed(simA);
    await simA.evaluate(() => window.simLogin('alice@example.com'));
    const b = await hostOn(browser, siteB);
    const simB = await waitForFrame(b.page, isSim);
    await simB.waitForSelector('body[data-storage="available"]');
    assert.equal(await simB.locator('body').getAttribute('data-logged-in'), 'yes');
  } finally {
    await browser.context.close();
  }
});
