// Firefox smoke test: the same checks as Chromium's in headless Firefox ESR, with the add-on
// installed as a temporary add-on through geckodriver (Playwright cannot drive stock Firefox).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Builder, By, until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { createServer } from 'node:http';
import { startDemoCrm } from '../demo-crm/server.mjs';
import { buildDevExtension, demoConfig } from './lib/extension.mjs';

let crm;
let driver;
let hook;
/** What the test webhook accepted, by Idempotency-Key. */
const accepted = new Map();

before(async () => {
  crm = await startDemoCrm();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { accepted.set(req.headers['idempotency-key'], JSON.parse(body)); res.writeHead(204).end(); });
  });
  await new Promise((resolve) => hook.listen(0, '127.0.0.1', resolve));
  // localhost is granted but not switched on: the popup test switches it on and off through
  // the real popup flow (a granted origin gets no permission prompt).
  const config = { ...demoConfig(crm.origin), devGrantedSites: [crm.origin.replace('127.0.0.1', 'localhost')],
    siteOptions: { 'http://127.0.0.1': { webhook: { url: `http://127.0.0.1:${hook.address().port}/hook` },
      // Logs also go to the CRM itself, with the user's session (docs/logging.md).
      recipe: { version: 1, log: `${crm.origin}/api/activities` } } } };
  const dir = await buildDevExtension('firefox', config);
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX ?? '/usr/bin/firefox-esr')
    .addArguments('-headless')
    .windowSize({ width: 1280, height: 800 });
  const geckodriver = execFileSync('bash', ['-c', 'command -v geckodriver']).toString().trim();
  driver = await new Builder()
    .forBrowser('firefox')
    .setFirefoxOptions(options)
    .setFirefoxService(new firefox.ServiceBuilder(geckodriver))
    .build();
  await driver.installAddon(`${dir}.xpi`, true);
});

after(async () => {
  await driver?.quit();
  await crm?.close();
  hook?.close();
});

/** Waits for the content script's host element, retrying while the event page registers it. */
async function openWithWidget(url) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    await driver.get(url);
    const found = await driver.wait(until.elementLocated(By.css('[data-crm-bridge="phone"]')), 2_000).then(() => true, () => false);
    if (found) return;
    if (Date.now() > deadline) throw new Error(`no widget host on ${url}`);
  }
}

async function assertRelays() {
  // The host element's shadow root is closed; WebDriver reaches its frame by index. The frame
  // gets its address once the content script has its admission ticket, so wait for it.
  await driver.wait(async () => {
    await driver.switchTo().defaultContent();
    await driver.switchTo().frame(0);
    const href = await driver.executeScript('return location.href');
    return typeof href === 'string' && /^moz-extension:\/\/[^/]+\/widget\.html/.test(href);
  }, 10_000, 'the widget host never loaded');
  await driver.wait(until.elementLocated(By.css('body[data-ping="ok"]')), 10_000);
  await driver.switchTo().frame(await driver.wait(until.elementLocated(By.id('rc-widget-adapter-frame')), 10_000));
  await driver.wait(until.elementLocated(By.css('body[data-relay="answered"]')), 10_000);
  await driver.switchTo().defaultContent();
}

test('firefox: the simulator gets one registration and valid answers to every recorded request', async () => {
  await openWithWidget(`${crm.origin}/contacts`);
  await assertRelays();
  await driver.switchTo().frame(0);
  await driver.switchTo().frame(await driver.wait(until.elementLocated(By.id('rc-widget-adapter-frame')), 10_000));
  const body = await driver.wait(until.elementLocated(By.css('body[data-suite]:not([data-suite="waiting"])')), 60_000);
  const summary = await body.getAttribute('data-suite-summary');
  assert.equal(await body.getAttribute('data-suite'), 'passed', summary);
  assert.match(summary, /^\d+ passed, 0 failed/);
  assert.equal(await body.getAttribute('data-registration'), 'registered');
  await driver.switchTo().defaultContent();
});

test('firefox: the widget host appears on an enabled page and relays both ways', async () => {
  await openWithWidget(`${crm.origin}/contacts`);
  await assertRelays();
});

test('firefox: a strict page CSP does not block the widget host', async () => {
  await openWithWidget(`${crm.origin}/strict-csp`);
  await assertRelays();
});

test('firefox: a site that is not enabled gets no widget', async () => {
  await driver.get(`${crm.origin.replace('127.0.0.1', 'localhost')}/contacts`);
  await driver.sleep(1500);
  assert.equal((await driver.findElements(By.css('[data-crm-bridge="phone"]'))).length, 0);
});

test('firefox: a hostile page gets no handle on the phone, and what it posts changes nothing', async () => {
  await openWithWidget(`${crm.origin}/contacts`);
  await assertRelays();
  const intoWidget = async () => {
    await driver.switchTo().defaultContent();
    await driver.switchTo().frame(0);
    await driver.switchTo().frame(await driver.wait(until.elementLocated(By.id('rc-widget-adapter-frame')), 10_000));
  };
  await intoWidget();
  await driver.wait(until.elementLocated(By.css('body[data-suite]:not([data-suite="waiting"])')), 60_000);
  const before = await driver.executeScript('return window.simState()');
  await driver.switchTo().defaultContent();
  // WebDriver scripts run in the page's own world, like a script of the CRM page would.
  const seen = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const host = document.querySelector('[data-crm-bridge="phone"]');
    const seen = { shadowRoot: host.shadowRoot, frames: window.frames.length,
      iframes: document.querySelectorAll('iframe').length, extensionApi: typeof globalThis.browser?.runtime?.connect };
    const heard = [];
    window.addEventListener('message', (e) => heard.push(e.data));
    for (let i = 0; i < 20; i += 1) {
      window.postMessage({ type: 'rc-post-message-request', requestId: 'forged-' + i, path: '/contacts/match',
        body: { phoneNumbers: ['+12065550134'] } }, '*');
      window.postMessage({ type: 'rc-adapter-register-third-party-service', service: { name: 'evil', contactsPath: '/x' } }, '*');
      window.postMessage({ type: 'rc-adapter-new-call', phoneNumber: '+19005550100', toCall: true }, '*');
    }
    setTimeout(() => done({ ...seen, answered: heard.filter((m) => m && m.type === 'rc-post-message-response').length }), 1000);`);
  assert.deepEqual(seen, { shadowRoot: null, frames: 0, iframes: 0, extensionApi: 'undefined', answered: 0 });
  await intoWidget();
  const after = await driver.executeScript('return window.simState()');
  assert.equal(after.registrations, before.registrations, 'no service was registered into the widget');
  assert.deepEqual(after.stats, before.stats, 'no answer the widget did not ask for');
  await driver.switchTo().defaultContent();
});

test('firefox: a host the page frames itself, in the enabled tab, is never vouched for', async () => {
  await openWithWidget(`${crm.origin}/contacts`);
  await assertRelays();
  await driver.switchTo().defaultContent();
  await driver.switchTo().frame(0);
  const base = await driver.executeScript('return location.origin');
  await driver.switchTo().defaultContent();
  // The page knows the address here (a test's privilege) and shows a made-up ticket too.
  await driver.executeScript(`const frame = document.createElement('iframe');
    frame.id = 'own'; frame.src = arguments[0] + '/widget.html?placement=floating#ticket=0011';
    document.body.append(frame);`, base);
  await driver.switchTo().frame(await driver.findElement(By.id('own')));
  await driver.wait(until.elementLocated(By.css('body[data-widget="refused"]')), 20_000);
  assert.equal((await driver.findElements(By.id('rc-widget-adapter-frame'))).length, 0, 'no widget was framed');
  await driver.switchTo().defaultContent();
});

test('firefox: discovery reads a record page with its event-page background, and the phone finds the contact', async () => {
  await openWithWidget(`${crm.origin}/contacts/104`);
  await assertRelays();
  await driver.switchTo().frame(0);
  await driver.switchTo().frame(await driver.wait(until.elementLocated(By.id('rc-widget-adapter-frame')), 10_000));
  const contacts = await driver.wait(async () => {
    const held = await driver.executeScript('return window.simContacts ? window.simContacts() : {}');
    return Object.values(held).includes('Jonas Becker') ? held : null;
  }, 15_000, 'Jonas Becker never reached the phone');
  assert.ok(Object.keys(contacts).some((id) => id.endsWith('#/contacts/104')), 'identity from the record URL');
  const found = await driver.executeAsyncScript(`const done = arguments[arguments.length - 1];
    window.simTimes('contactSearchPath', [{ searchString: 'jonas beck' }]).then((r) => done(r.last.data), () => done(null));`);
  assert.equal(found[0].name, 'Jonas Becker');
  assert.deepEqual(found[0].phoneNumbers.map((p) => p.phoneNumber).sort(), ['+4915123456789', '+493012345610'],
    'E.164 with the region from the record\'s Country field');
  await driver.switchTo().defaultContent();
});

test('firefox: a call from a discovered number is logged against that contact, durable, in its activities, at the webhook and at the CRM', async () => {
  await driver.get(`${crm.origin}/login`); // the CRM's session cookie, as a signed-in user has
  const [session] = crm.sessions();
  await openWithWidget(`${crm.origin}/contacts/104`);
  await assertRelays();
  await driver.switchTo().frame(0);
  await driver.switchTo().frame(await driver.wait(until.elementLocated(By.id('rc-widget-adapter-frame')), 10_000));
  await driver.wait(async () => Object.values(await driver.executeScript('return window.simContacts()')).includes('Jonas Becker'), 15_000);
  const ask = (key, bodies) => driver.executeAsyncScript(`const done = arguments[arguments.length - 1];
    window.simRequests(arguments[0], arguments[1]).then(done, (e) => done(String(e)));`, key, bodies);
  const logged = await ask('callLoggerPath', [{ call: { sessionId: 'ff-1', direction: 'Inbound',
    from: { phoneNumber: '+493012345610' }, startTime: 1795618200000, duration: 42, result: 'Call connected' },
    triggerType: 'createLog', note: 'Firefox <i>note</i>' }]);
  assert.deepEqual(logged, ['ok']);
  const [matched] = await ask('callLogEntityMatcherPath', [{ sessionIds: ['ff-1'] }]);
  const contactId = matched['ff-1'][0].contactId;
  assert.ok(contactId?.endsWith('#/contacts/104'), `linked to Jonas by his number: ${contactId}`);
  assert.equal(matched['ff-1'][0].note, 'Firefox <i>note</i>');
  const [activities] = await ask('activitiesPath', [{ contact: { id: contactId } }]);
  assert.equal(activities[0].subject, 'Inbound call · Call connected · 0:42');
  await driver.switchTo().defaultContent();
  const deadline = Date.now() + 15_000;
  while (![...accepted.values()].some((b) => b.entry.key === 'call:ff-1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const delivered = [...accepted.values()].find((b) => b.entry.key === 'call:ff-1');
  assert.ok(delivered, 'the event page delivered it to the webhook');
  assert.equal(delivered.entry.contact.name, 'Jonas Becker');
  while (!crm.activities().some((a) => a.key === 'call:ff-1') && Date.now() < deadline + 10_000) await new Promise((r) => setTimeout(r, 200));
  const atCrm = crm.activities().find((a) => a.key === 'call:ff-1');
  assert.ok(atCrm, 'the event page delivered it to the CRM endpoint');
  assert.equal(atCrm.session, session, "with the user's own CRM session");
});

/**
 * Opens the options page in a new tab and switches to it, as the phone's "crm-bridge options"
 * button does. WebDriver may not navigate to moz-extension:// pages itself, and its scripts
 * see only a content script's APIs.
 */
async function openOptionsTab() {
  await openWithWidget(`${crm.origin}/settings`);
  await assertRelays();
  await driver.switchTo().frame(0);
  await driver.switchTo().frame(await driver.wait(until.elementLocated(By.id('rc-widget-adapter-frame')), 10_000));
  // The request the phone sends when its "crm-bridge options: Open" button is clicked.
  const answer = await driver.executeAsyncScript(`const done = arguments[arguments.length - 1];
    const item = window.simService().settings.find((i) => i.type === 'button');
    window.simRequests('buttonEventPath', [{ button: { id: item.id, type: 'setting', label: item.buttonLabel, name: item.name } }])
      .then(done, (e) => done(String(e)));`);
  assert.deepEqual(answer, ['ok']);
  await driver.switchTo().defaultContent();
  // A new tab, or the options tab already open (the browser focuses it instead).
  const handle = await driver.wait(async () => {
    for (const candidate of await driver.getAllWindowHandles()) {
      await driver.switchTo().window(candidate);
      if (/^moz-extension:\/\/[^/]+\/options\.html/.test(await driver.getCurrentUrl())) return candidate;
    }
    return null;
  }, 10_000, 'the options page did not open');
  await driver.navigate().refresh();
  await driver.wait(until.elementLocated(By.css('body[data-state="ready"]')), 10_000, `options page not ready: ${await driver.getCurrentUrl()}`);
  return handle;
}

/** Moves the current extension page to another of the add-on's pages (the page navigates itself). */
async function goWithin(path) {
  await driver.executeScript('location.href = arguments[0]', path);
  await driver.wait(async () => (await driver.executeScript('return location.pathname + location.search')) === path, 10_000);
}

/** The registered service of the phone on an enabled page. */
async function phoneService(url) {
  await openWithWidget(url);
  await assertRelays();
  await driver.switchTo().frame(0);
  await driver.switchTo().frame(await driver.wait(until.elementLocated(By.id('rc-widget-adapter-frame')), 10_000));
  const service = await driver.wait(() => driver.executeScript('return window.simService && window.simService()'), 10_000);
  await driver.switchTo().defaultContent();
  return service;
}

async function saveOptions(change) {
  const crmTab = await driver.getWindowHandle();
  await openOptionsTab();
  await change();
  await driver.findElement(By.id('save')).click();
  await driver.wait(until.elementLocated(By.css('#form-status[data-kind="ok"]')), 10_000);
  await driver.close();
  await driver.switchTo().window(crmTab);
}

test('firefox: the options page shows the stored settings, and a change reaches the phone', async () => {
  const messageLogging = () => driver.findElement(By.css('input[name="messageLogging"]'));
  await saveOptions(async () => {
    assert.equal(await driver.findElement(By.id('app-url')).getAttribute('value'), `${crm.origin}/widget-sim/`);
    assert.equal(await messageLogging().isSelected(), true);
    await messageLogging().click();
  });
  assert.equal(await registeredPath(), undefined, 'registered without it');
  await saveOptions(async () => messageLogging().click());
  assert.equal(await registeredPath(), '/messageLogger');
});

/**
 * The message logger path the phone registers on a new page. Asked once: the first page after
 * a save must have it (sessions 9–10 saw the previous setting here now and then: the phone's
 * toggles, replayed by the simulator, wrote back settings read before the save; the settings
 * turn fixed it).
 */
async function registeredPath() {
  return (await phoneService(`${crm.origin}/settings`)).messageLoggerPath;
}

test('firefox: switching a site on and off from the toolbar popup', async () => {
  const site = crm.origin.replace('127.0.0.1', 'localhost');
  const crmTab = await driver.getWindowHandle();
  await openOptionsTab();
  const popupTab = await driver.getWindowHandle();
  await driver.switchTo().window(crmTab);
  await driver.get(`${site}/contacts`);
  await driver.sleep(1000);
  assert.equal((await driver.findElements(By.css('[data-crm-bridge="phone"]'))).length, 0, 'not switched on yet');
  // The popup about the CRM tab: its id is found by asking the popup about each tab in turn
  // (WebDriver's scripts cannot list tabs; the toolbar button itself is outside the page).
  await driver.switchTo().window(popupTab);
  let popup = null;
  for (let id = 1; id < 40 && !popup; id += 1) {
    await goWithin(`/popup.html?tab=${id}`);
    await driver.wait(until.elementLocated(By.css('body:not([data-state="loading"])')), 10_000);
    if (await driver.findElement(By.id('site')).getText() === 'localhost') popup = `/popup.html?tab=${id}`;
  }
  assert.ok(popup, 'the CRM tab was found');
  await driver.wait(until.elementLocated(By.css('body[data-state="off"]')), 10_000);
  await driver.findElement(By.id('site-switch')).click();
  await driver.wait(until.elementLocated(By.css('body[data-state="on"]')), 10_000);
  // Injected into the open tab without a reload.
  await driver.switchTo().window(crmTab);
  await driver.wait(until.elementLocated(By.css('[data-crm-bridge="phone"]')), 10_000);
  await assertRelays();
  // Off again: taken out of the open tab.
  await driver.switchTo().window(popupTab);
  await driver.navigate().refresh();
  await driver.wait(until.elementLocated(By.css('body[data-state="on"]')), 10_000);
  await driver.findElement(By.id('site-switch')).click();
  await driver.wait(until.elementLocated(By.css('body[data-state="off"]')), 10_000);
  await driver.close();
  await driver.switchTo().window(crmTab);
  await driver.wait(async () => (await driver.findElements(By.css('[data-crm-bridge="phone"]'))).length === 0, 10_000,
    'the widget stayed after switching off');
  await driver.navigate().refresh();
  await driver.sleep(1000);
  assert.equal((await driver.findElements(By.css('[data-crm-bridge="phone"]'))).length, 0, 'gone after a reload too');
});

test('firefox: the bulk import reads the rest of a list in the event page and stores each person', async () => {
  const crmTab = await driver.getWindowHandle();
  await openOptionsTab();
  const popupTab = await driver.getWindowHandle();
  await driver.switchTo().window(crmTab);
  // The directory's last four pages: 17 (open in the tab) to 20, read off-screen by DOMParser.
  await openWithWidget(`${crm.origin}/people?page=17`);
  const before = crm.directoryRequests().length;
  await driver.switchTo().window(popupTab);
  // The popup about the list tab: the only tab on the demo CRM's host (see the switch test).
  const host = new URL(crm.origin).hostname;
  let popup = null;
  for (let id = 1; id < 40 && !popup; id += 1) {
    await goWithin(`/popup.html?tab=${id}`);
    await driver.wait(until.elementLocated(By.css('body:not([data-state="loading"])')), 10_000);
    if (await driver.findElement(By.id('site')).getText() === host) popup = `/popup.html?tab=${id}`;
  }
  assert.ok(popup, 'the list tab was found');
  // The tab's page is read by the walker shortly after it loads (later on a slow machine):
  // open the popup again until its status knows the pager.
  let asked = 0;
  const offered = await driver.wait(async () => {
    asked += 1;
    await goWithin(`${popup}&ask=${asked}`);
    await driver.wait(until.elementLocated(By.css('body:not([data-state="loading"])')), 10_000);
    return (await driver.findElements(By.css('#import-box:not([hidden])'))).length > 0;
  }, 30_000).then(() => true, () => false);
  assert.ok(offered, 'the popup of the list tab offers the import');
  assert.equal(await driver.findElement(By.id('import-status')).getText(), 'This list has 20 pages.');
  await driver.findElement(By.id('import-start')).click();
  const status = await driver.wait(until.elementLocated(By.css('#import-status[data-kind="done"]')), 30_000);
  assert.equal(await status.getText(), 'Imported 400 contacts from 4 pages (300 new).');
  const pages = crm.directoryRequests().slice(before).map((r) => r.page);
  assert.deepEqual(pages.slice(-4), [17, 18, 19, 20]);
  await driver.close();
  await driver.switchTo().window(crmTab);
});
