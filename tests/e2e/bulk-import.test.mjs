// Bulk import (issue 6): "Import all contacts from this list" in the toolbar popup follows the
// demo CRM's paginated customer directory (2,000 people, 20 pages, a pager that says
// "Next ›"), reading each page off-screen at 2 pages a second with progress in the popup;
// the service worker is stopped mid-way with no page of ours open, and the import carries on
// by itself (its alarm wakes the worker) and stores each person exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECTORY } from '../demo-crm/server.mjs';
import { startDemoWithExtension, askOver, waitForFrame, accessibilityViolations, until } from './lib/extension.mjs';

let crm;
let browser;
let extensionPage;
let close;
const SITE = 'http://127.0.0.1';

const ask = (body) => askOver(extensionPage, body);
const storedIds = async () => (await ask({ kind: 'exportContacts', site: SITE })).contacts ?? [];

before(async () => {
  ({ crm, browser, extensionPage, close } = await startDemoWithExtension('bulk-import'));
});

after(async () => close?.());

/** The popup for the tab showing `path`. */
async function popupFor(path) {
  const tab = await browser.worker.evaluate(async (path) =>
    (await chrome.tabs.query({})).find((t) => t.url && new URL(t.url).pathname + new URL(t.url).search === path)?.id, path);
  assert.ok(tab, `a tab shows ${path}`);
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.extensionId}/popup.html?tab=${tab}`);
  await popup.waitForSelector('body[data-state="on"]');
  return popup;
}

test('a 2,000-contact paginated list is imported whole, at 2 pages a second, across a worker stop, each contact once', async () => {
  const list = await browser.context.newPage();
  await list.goto(`${crm.origin}/people`);
  const widget = await waitForFrame(list, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
  // The page the user is on is read as any page is: its 100 people are known before the import.
  await until(async () => (await storedIds()).length === 100, 15_000, 'page 1 read by the walker');

  const popup = await popupFor('/people');
  await popup.waitForSelector('#import-box:not([hidden])');
  assert.equal(await popup.locator('#import-status').textContent(), 'This list has 20 pages.');
  assert.equal(await popup.locator('#import-start').textContent(), 'Import all contacts from this list');
  assert.deepEqual(await accessibilityViolations(popup), []);
  const firstRequest = crm.directoryRequests().length;
  await popup.locator('#import-start').click();

  // Progress: the popup follows the import page by page, with a determinate bar.
  await popup.waitForFunction(() => /^Importing page (\d+) of 20 · \d+ contacts \(\d+ new\)$/.test(document.getElementById('import-status').textContent)
    && Number(document.getElementById('import-status').textContent.match(/page (\d+)/)[1]) >= 4, null, { timeout: 20_000 });
  const bar = Number(await popup.locator('#import-progress').getAttribute('value'));
  assert.ok(bar > 0 && bar < 1, `progress bar at ${bar}`);
  assert.ok(await popup.locator('#import-cancel').isVisible(), 'the import can be stopped');

  // No page of ours stays open (the CRM tab's phone and the popup would wake the worker at
  // once): the import must carry on by itself after the worker is stopped.
  await popup.close();
  await list.close();
  const cdp = await browser.context.newCDPSession(extensionPage);
  const states = [];
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const v of versions) if (v.scriptURL.startsWith(`chrome-extension://${browser.extensionId}/`)) states.push(v.runningStatus);
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  const stoppedAt = Date.now();
  const requestsAtStop = crm.directoryRequests().length;
  // The alarm (every 30 s) wakes the stopped worker, which goes on from the page it was at.
  await until(() => crm.directoryRequests().length > requestsAtStop + 1, 60_000, 'the import to carry on after the worker stop');
  console.log(`# import resumed ${Date.now() - stoppedAt} ms after the worker stop`);
  assert.ok(states.includes('stopped'), `the worker was never stopped: ${states.join(', ')}`);
  await until(async () => {
    const reply = await ask({ kind: 'importStatus' });
    return reply.import?.state.kind === 'done' && reply.import;
  }, 60_000, 'the import to finish');

  // Each person exactly once, with the E.164 number and record URL of the directory.
  const stored = await storedIds();
  const ids = stored.map((c) => c.id);
  assert.equal(ids.length, 2_000);
  assert.equal(new Set(ids).size, 2_000);
  assert.deepEqual(new Set(ids), new Set(DIRECTORY.map((p) => `/people/${p.id}`)));
  const last = stored.find((c) => c.id === '/people/p2000');
  assert.equal(last.name, DIRECTORY[1999].name);
  assert.deepEqual(last.phoneNumbers.map((p) => p.phoneNumber), ['+12065553999']);
  assert.equal(last.recordUrl, `${crm.origin}/people/p2000`);

  const status = (await ask({ kind: 'importStatus' })).import;
  assert.equal(status.added, 1_900, 'page 1 was known before; nothing was added twice');
  assert.ok(status.pagesRead >= 20 && status.pagesRead <= 21, `${status.pagesRead} pages read (one again after the stop at most)`);

  // The pace: never faster than 2 pages a second.
  const asked = crm.directoryRequests().slice(firstRequest).map((r) => r.at);
  const gaps = asked.slice(1).map((at, i) => at - asked[i]);
  assert.ok(Math.min(...gaps) >= 400, `gaps between page requests: ${gaps.join(', ')} ms`);
  const pages = new Set(crm.directoryRequests().slice(firstRequest).map((r) => r.page));
  assert.equal(pages.size, 20, 'every page of the list was read');
});

test('the popup says when the import is done, and a stopped import keeps what it found', async () => {
  const list = await browser.context.newPage();
  await list.goto(`${crm.origin}/people?page=10`);
  await until(async () => (await ask({ kind: 'siteStatus', url: `${crm.origin}/people?page=10` })).page, 15_000, 'page 10 read');
  const popup = await popupFor('/people?page=10');
  await popup.waitForSelector('#import-box:not([hidden])');
  assert.match(await popup.locator('#import-status').textContent(), /^Imported 2[01]00 contacts from 2[01] pages \(1900 new\)\.$/);
  assert.equal(await popup.locator('#import-status').getAttribute('data-kind'), 'done');
  // A new import from page 10: eleven pages, stopped at once.
  await popup.locator('#import-start').click();
  await popup.waitForFunction(() => /^Importing page/.test(document.getElementById('import-status').textContent));
  await popup.locator('#import-cancel').click();
  await popup.waitForFunction(() => /^Stopped after \d pages; the \d+ contacts found are kept\.$/.test(document.getElementById('import-status').textContent));
  assert.ok(await popup.locator('#import-start').isVisible(), 'a new import can be started');
  assert.ok(await popup.locator('#import-progress').isHidden());
  await popup.close();
  await list.close();
});

test("a site recipe's API mode imports the same people from the CRM's JSON API, and they are the same contacts", async () => {
  const options = await browser.context.newPage();
  await options.goto(`chrome-extension://${browser.extensionId}/options.html`);
  await options.waitForSelector('body[data-state="ready"]');
  await options.locator('#sites summary').first().click();
  const recipe = {
    version: 1,
    api: {
      url: '/api/people', items: 'data', link: '/people/{id}', next: 'links.next',
      fields: { name: '{first} {last}', phone: 'phones.0.number', email: 'email' },
    },
  };
  await options.locator('#recipe-0').fill(JSON.stringify(recipe, null, 2));
  await options.locator('#save-site-0').click();
  await options.waitForSelector('#site-status-0[data-kind="ok"]');
  await options.close();

  const page = await browser.context.newPage();
  await page.goto(`${crm.origin}/settings`); // any page of the site: the API is the site's
  const popup = await popupFor('/settings');
  await popup.waitForSelector('#import-box:not([hidden])');
  // The last import (stopped in the test before) is still reported; a new one can start.
  assert.match(await popup.locator('#import-status').textContent(), /^Stopped after/);
  assert.equal(await popup.locator('#import-start').textContent(), "Import all contacts from the CRM's API");
  const before = crm.directoryRequests().length;
  await popup.locator('#import-start').click();
  await popup.waitForSelector('#import-status[data-kind="done"]', { timeout: 30_000 });
  // The API's records are the directory's people (same record links): found, none new.
  assert.equal(await popup.locator('#import-status').textContent(), 'Imported 2000 contacts from 20 pages (0 new).');
  const asked = crm.directoryRequests().slice(before);
  assert.equal(asked.length, 20);
  assert.ok(asked.every((r) => r.api), 'every request went to the API');
  assert.equal((await storedIds()).length, 2_000);
  await popup.close();
  await page.close();
});
