// What a script on a web page can and cannot do to crm-bridge (docs/security.md).
// Page code runs in the page's own JavaScript world, like a hostile script would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  buildDevExtension, launchChromium, waitForSiteRegistration, waitForFrame, demoConfig,
  requestsHandledByWorker,
} from './lib/extension.mjs';

let crm;
let browser;
let page;
let widget;
let foreignOrigin;

const handledByWorker = () => requestsHandledByWorker(browser.context, browser.extensionId);

before(async () => {
  crm = await startDemoCrm();
  foreignOrigin = crm.origin.replace('127.0.0.1', 'localhost'); // a site that is not enabled
  browser = await launchChromium(await buildDevExtension('chrome', demoConfig(crm.origin)));
  await waitForSiteRegistration(browser.worker);
  page = await browser.context.newPage();
  await page.goto(`${crm.origin}/contacts`);
  widget = await waitForFrame(page, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
});

after(async () => {
  await browser?.context.close();
  await crm?.close();
});

test('the enabled page gets no handle on the widget host or the widget', async () => {
  const seen = await page.evaluate(() => {
    const host = document.querySelector('crm-bridge-phone');
    return {
      shadowRoot: host.shadowRoot, // closed
      frames: window.frames.length, // frames in a shadow tree are not in window.frames
      iframes: document.querySelectorAll('iframe').length,
      extensionApi: typeof globalThis.chrome?.runtime?.connect,
    };
  });
  assert.deepEqual(seen, { shadowRoot: null, frames: 0, iframes: 0, extensionApi: 'undefined' });
});

test('messages a page posts reach neither the host nor the background', async () => {
  const before = await handledByWorker();
  const heard = await page.evaluate(async () => {
    const received = [];
    window.addEventListener('message', (e) => received.push(e.data));
    // All a page can address is its own window (and windows it opens itself).
    for (let i = 0; i < 20; i += 1) {
      window.postMessage({ type: 'rc-post-message-request', requestId: `forged-${i}`, path: '/contacts/match',
        body: { phoneNumbers: ['+12065550134'] } }, '*');
      window.postMessage({ id: i, body: { kind: 'widgetTicket' } }, '*');
    }
    await new Promise((r) => setTimeout(r, 1000));
    return received.filter((m) => !(m && (m.type === 'rc-post-message-request' || m.body)));
  });
  assert.deepEqual(heard, [], 'nothing came back');
  assert.equal(await handledByWorker(), before + 1, 'nothing but the probe reached the background');
});

test('a site that frames widget.html itself gets a refusal, not a phone', async () => {
  const before = await handledByWorker();
  const attacker = await browser.context.newPage();
  await attacker.goto(`${foreignOrigin}/contacts`);
  const url = `chrome-extension://${browser.extensionId}/widget.html?placement=floating`;
  await attacker.evaluate((src) => {
    const frame = document.createElement('iframe');
    frame.src = src;
    document.body.append(frame);
  }, url);
  const host = await waitForFrame(attacker, (f) => f.url().startsWith(url));
  await host.waitForSelector('body[data-widget="refused"]', { timeout: 10_000 });
  assert.equal(await host.locator('#rc-widget-adapter-frame').count(), 0, 'no widget was framed');
  // The page now holds the host's window: whatever it posts there is ignored.
  await attacker.evaluate(() => {
    const hostWindow = window.frames[0];
    hostWindow.postMessage({ type: 'rc-login-status-notify', loggedIn: true }, '*');
    hostWindow.postMessage({ type: 'rc-post-message-request', requestId: 'x', path: '/contacts' }, '*');
  });
  await attacker.waitForTimeout(500);
  // The refused host pinged and presented no ticket: two requests at most, no widget traffic.
  assert.ok(await handledByWorker() <= before + 1 + 2);
  await attacker.close();
});

test('a guessed or reused ticket admits nothing', async () => {
  const attacker = await browser.context.newPage();
  await attacker.goto(`${foreignOrigin}/contacts`);
  const url = `chrome-extension://${browser.extensionId}/widget.html?placement=floating#ticket=00112233445566778899aabbccddeeff`;
  await attacker.evaluate((src) => {
    const frame = document.createElement('iframe');
    frame.src = src;
    document.body.append(frame);
  }, url);
  const host = await waitForFrame(attacker, (f) => f.url().startsWith(`chrome-extension://${browser.extensionId}/widget.html`));
  await host.waitForSelector('body[data-widget="refused"]', { timeout: 10_000 });
  await attacker.close();
});

test('window.open of the widget host from a page is refused the same way', async () => {
  const attacker = await browser.context.newPage();
  await attacker.goto(`${foreignOrigin}/contacts`);
  const [popup] = await Promise.all([
    browser.context.waitForEvent('page'),
    attacker.evaluate((id) => { window.open(`chrome-extension://${id}/widget.html`); }, browser.extensionId),
  ]);
  await popup.waitForSelector('body[data-widget="refused"]', { timeout: 10_000 });
  await popup.close();
  await attacker.close();
});

test('a web page cannot load the side panel page, which admits itself', async () => {
  const before = await handledByWorker();
  const attacker = await browser.context.newPage();
  await attacker.goto(`${foreignOrigin}/contacts`);
  const url = `chrome-extension://${browser.extensionId}/panel.html`;
  await attacker.evaluate((src) => {
    const frame = document.createElement('iframe');
    frame.src = src;
    document.body.append(frame);
  }, url);
  await attacker.waitForTimeout(1500);
  for (const frame of attacker.frames().slice(1)) {
    assert.equal(await frame.locator('#bridge-status-text').count(), 0, `our host ran in ${frame.url()}`);
  }
  const opened = await attacker.evaluate((src) => { try { return Boolean(window.open(src)); } catch { return false; } }, url);
  await attacker.waitForTimeout(1000);
  for (const page of browser.context.pages().filter((p) => p.url().startsWith(url))) {
    assert.equal(await page.locator('#bridge-status-text').count(), 0, 'our host ran in a window a page opened');
  }
  assert.equal(await handledByWorker(), before + 1, `nothing reached the background (window.open returned ${opened})`);
  await attacker.close();
});
