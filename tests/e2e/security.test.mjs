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
    const host = document.querySelector('[data-crm-bridge="phone"]');
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

test('a site cannot load widget.html at its fixed address: framed, fetched or opened', async () => {
  const before = await handledByWorker();
  const attacker = await browser.context.newPage();
  await attacker.goto(`${foreignOrigin}/contacts`);
  const url = `chrome-extension://${browser.extensionId}/widget.html?placement=floating`;
  const probe = await attacker.evaluate(async (src) => {
    const frame = document.createElement('iframe');
    frame.src = src;
    document.body.append(frame);
    let fetched;
    try { fetched = (await fetch(src)).status; } catch { fetched = 'failed'; }
    return { fetched };
  }, url);
  assert.deepEqual(probe, { fetched: 'failed' }, 'the extension cannot be detected by its address');
  const opened = await attacker.evaluate((src) => { try { return Boolean(window.open(src)); } catch { return false; } }, url);
  await attacker.waitForTimeout(1500);
  for (const frame of attacker.frames().slice(1)) {
    assert.equal(await frame.locator('#bridge-status-text').count().catch(() => 0), 0, `our host ran in ${frame.url()}`);
  }
  for (const other of browser.context.pages().filter((p) => p.url().includes('/widget.html'))) {
    assert.equal(await other.locator('#bridge-status-text').count(), 0, 'our host ran in a window a page opened');
    await other.close();
  }
  assert.equal(await handledByWorker(), before + 1, `nothing reached the background (window.open returned ${opened})`);
  await attacker.close();
});

test('a page that defines our old tag first, and listens to the host, gets no root, no ticket and no phone', async () => {
  const attacker = await browser.context.newPage();
  // Runs before any content script, in the page's own world.
  await attacker.addInitScript(() => {
    window.stolen = { roots: 0, codes: [], frames: [] };
    customElements.define('crm-bridge-phone', class extends HTMLElement {
      constructor() { super(); window.stolen.roots += 1; window.stolen.internals = this.attachInternals(); }
    });
    const attach = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) {
      const root = attach.call(this, { ...init, mode: 'open' });
      window.stolen.roots += 1;
      return root;
    };
    addEventListener('message', (e) => { if (e.data && e.data.code) window.stolen.codes.push(e.data.code); });
  });
  await attacker.goto(`${crm.origin}/contacts`);
  const phone = await waitForFrame(attacker, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`), 20_000);
  await phone.waitForSelector('body[data-suite]', { timeout: 60_000 });
  const hostFrame = attacker.frames().find((f) => f.url().includes('/widget.html'));
  assert.ok(hostFrame, 'the phone loaded');
  assert.ok(!hostFrame.url().includes('#'), `the host's address carries nothing: ${hostFrame.url()}`);
  const stolen = await attacker.evaluate(() => {
    const host = document.querySelector('[data-crm-bridge="phone"]');
    return {
      roots: window.stolen.roots,
      tag: host.tagName,
      shadowRoot: host.shadowRoot,
      internalsRoot: window.stolen.internals?.shadowRoot ?? null,
      codes: window.stolen.codes.length,
      iframes: document.querySelectorAll('iframe').length,
    };
  });
  assert.deepEqual(stolen, { roots: 0, tag: 'DIV', shadowRoot: null, internalsRoot: null, codes: 1, iframes: 0 },
    'the page saw the claim code (useless to it) and nothing else');
  await attacker.close();
});

test('page styles cannot make the phone transparent, and a hidden or covered phone takes no clicks', async () => {
  const attacker = await browser.context.newPage();
  await attacker.goto(`${crm.origin}/contacts`);
  const phone = await waitForFrame(attacker, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`), 20_000);
  await phone.waitForSelector('body[data-suite]', { timeout: 60_000 });
  await phone.evaluate(() => {
    window.clicksSeen = 0;
    document.addEventListener('pointerdown', () => { window.clicksSeen += 1; }, true);
  });
  const box = await (await phone.frameElement()).boundingBox();
  const clickPhone = async () => {
    const before = await phone.evaluate(() => window.clicksSeen);
    await attacker.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await attacker.waitForTimeout(100);
    return (await phone.evaluate(() => window.clicksSeen)) - before;
  };
  // The guard looks every 300 ms (a tab in the background, as this one may be among the test's
  // pages, has its timers slowed to once a second).
  const worksWithin = async (ms) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline;) {
      if (await clickPhone() === 1) return true;
      await attacker.waitForTimeout(250);
    }
    return false;
  };
  assert.ok(await worksWithin(5_000), 'the phone in plain view takes a click');
  // Rules aimed at the host, with !important, lose to its inline !important styles.
  const opacity = await attacker.evaluate(() => {
    const css = document.createElement('style');
    css.id = 'hostile';
    css.textContent = 'div, [data-crm-bridge] { opacity: .02 !important; filter: opacity(.02) !important; z-index: 0 !important; }';
    document.head.append(css);
    const host = document.querySelector('[data-crm-bridge="phone"]');
    host.style.setProperty('opacity', '0.02', 'important'); // put back at once
    return new Promise((r) => setTimeout(() => r(getComputedStyle(host).opacity + ' ' + getComputedStyle(host).filter + ' ' + getComputedStyle(host).zIndex), 50));
  });
  assert.equal(opacity, '1 none 2147483647');
  await attacker.evaluate(() => document.getElementById('hostile').remove()); // it would fade the decoy below too
  // What the page can still do to the phone's ancestors or on top of it pauses the phone.
  const attacks = [
    ['the root made transparent', () => { document.documentElement.style.opacity = '0.02'; },
      () => { document.documentElement.style.opacity = ''; }],
    ['a clickable cover', () => {
      const cover = Object.assign(document.createElement('div'), { id: 'cover' });
      cover.style.cssText = 'position:fixed;inset:0;z-index:2147483647;background:#fff';
      document.documentElement.append(cover);
      const dialog = document.createElement('dialog');
      dialog.id = 'top';
      document.body.append(dialog);
      dialog.showModal();
    }, () => { document.getElementById('cover').remove(); document.getElementById('top').remove(); }],
    ['a decoy drawn over it that lets clicks through', () => {
      const cover = Object.assign(document.createElement('div'), { id: 'decoy' });
      cover.style.cssText = 'position:fixed;inset:0;z-index:2147483647;background:#fff;pointer-events:none';
      document.documentElement.append(cover);
    }, () => { document.getElementById('decoy').remove(); }],
  ];
  // Something of the page over a part of the phone (a chat button in the corner) blocks that
  // part only; a pass-through decoy over the top half blocks clicks there, not below.
  const clickAt = async (fy) => {
    const before = await phone.evaluate(() => window.clicksSeen);
    await attacker.mouse.click(box.x + box.width * 0.2, box.y + box.height * fy);
    await attacker.waitForTimeout(100);
    return (await phone.evaluate(() => window.clicksSeen)) - before;
  };
  await attacker.evaluate((b) => {
    const corner = Object.assign(document.createElement('div'), { id: 'corner' });
    corner.style.cssText = 'position:fixed;right:0;bottom:0;width:120px;height:120px;z-index:2147483647;background:#fc0';
    const half = Object.assign(document.createElement('div'), { id: 'half' });
    half.style.cssText = `position:fixed;left:${b.x}px;top:${b.y}px;width:${b.width}px;height:${b.height / 2 - 40}px;`
      + 'z-index:2147483647;background:#fff;pointer-events:none';
    document.documentElement.append(corner, half);
  }, box);
  await attacker.waitForTimeout(1200);
  assert.equal(await clickAt(0.15), 0, 'under the decoy: blocked');
  assert.equal(await clickAt(0.7), 1, 'beside the corner button and below the decoy: the phone works');
  await attacker.evaluate(() => { document.getElementById('corner').remove(); document.getElementById('half').remove(); });
  for (const [name, attack, undo] of attacks) {
    await attacker.evaluate(attack);
    await attacker.waitForTimeout(1200);
    assert.equal(await clickPhone(), 0, `${name}: the click did not reach the phone`);
    await attacker.evaluate(undo);
    assert.ok(await worksWithin(5_000), `${name}, undone: the phone works again`);
  }
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
