// Lists without a pager (issue 22): a list that grows as it is scrolled, by its "Load more"
// button, or a virtual list that keeps only the rows in view. The toolbar popup offers "Read
// the whole list"; the tab's content script scrolls it step by step, reading each step, and
// every person of the list is stored once, with progress in the popup and a way to stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECTORY } from '../demo-crm/server.mjs';
import { startDemoWithExtension, askOver, until } from './lib/extension.mjs';

let crm;
let browser;
let extensionPage;
let close;
const SITE = 'http://127.0.0.1';

const ask = (body) => askOver(extensionPage, body);

before(async () => {
  ({ crm, browser, extensionPage, close } = await startDemoWithExtension('whole-list'));
});

after(async () => close?.());

/** The stored ids of directory people `from`…`from + count`. */
async function storedOf(from, count) {
  const wanted = new Set(DIRECTORY.slice(from, from + count).map((p) => `/people/${p.id}`));
  const contacts = (await ask({ kind: 'exportContacts', site: SITE })).contacts ?? [];
  return contacts.filter((c) => wanted.has(c.id));
}

/** Opens the feed at `query`, waits for its first rows to be stored, and opens the popup for its tab. */
async function feedWithPopup(query, from) {
  const page = await browser.context.newPage();
  await page.goto(`${crm.origin}/feed?${query}`);
  await until(async () => (await storedOf(from, 150)).length >= 10, 15_000, 'the first rows');
  const tab = await browser.worker.evaluate(async (q) =>
    (await chrome.tabs.query({})).find((t) => t.url?.endsWith(`/feed?${q}`)).id, query);
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.extensionId}/popup.html?tab=${tab}`);
  await popup.waitForSelector('#list-box:not([hidden])', { timeout: 10_000 });
  return { page, popup };
}

for (const [more, from, offer] of [
  ['scroll', 0, /shows more rows as it is scrolled/],
  ['button', 150, /with its “Load more” button/],
  ['virtual', 300, /shows more rows as it is scrolled/],
]) {
  test(`a list that grows by ${more} is read whole from the popup, each person once`, async () => {
    const query = `more=${more}&from=${from}`;
    const { page, popup } = await feedWithPopup(query, from);
    const before = (await storedOf(from, 150)).length;
    assert.ok(before < 150, `only what the page showed at first: ${before}`);
    assert.match(await popup.locator('#list-status').textContent(), offer);
    await popup.locator('#list-start').click();
    await popup.waitForSelector('#list-stop:not([hidden])');
    await popup.waitForSelector('#list-status[data-kind="done"]', { timeout: 90_000 });
    assert.equal(await popup.locator('#list-status').textContent(), 'The whole list was read: 150 rows.');
    const stored = await until(async () => {
      const all = await storedOf(from, 150);
      return all.length === 150 && all;
    }, 20_000, 'all 150 people');
    assert.equal(new Set(stored.map((c) => c.id)).size, 150, 'each person once');
    const ada = DIRECTORY[from];
    const first = stored.find((c) => c.id === `/people/${ada.id}`);
    assert.equal(first.name, ada.name);
    assert.deepEqual(first.phoneNumbers.map((p) => p.phoneNumber), [ada.phone.replace(/ /g, '')]);
    // The box is scrolled back to where the user had it.
    assert.equal(await page.evaluate(() => document.getElementById('feed-box').scrollTop), 0);
    await popup.close();
    await page.close();
  });
}

test('a whole-list read stops when asked, and a record page offers none', async () => {
  const { page, popup } = await feedWithPopup('more=scroll&from=450', 450);
  await popup.locator('#list-start').click();
  await popup.locator('#list-stop:not([hidden])').click();
  await popup.waitForSelector('#list-status[data-kind="cancelled"]', { timeout: 10_000 });
  const [, rows] = (await popup.locator('#list-status').textContent()).match(/^Stopped after (\d+) rows\.$/);
  assert.ok(Number(rows) < 150, rows);
  await popup.close();
  await page.close();

  const record = await browser.context.newPage();
  await record.goto(`${crm.origin}/contacts/101`);
  await until(async () => ((await ask({ kind: 'exportContacts', site: SITE })).contacts ?? [])
    .some((c) => c.id === '/contacts/101'), 10_000, 'the record');
  const tab = await browser.worker.evaluate(async () =>
    (await chrome.tabs.query({})).find((t) => t.url?.endsWith('/contacts/101')).id);
  const recordPopup = await browser.context.newPage();
  await recordPopup.goto(`chrome-extension://${browser.extensionId}/popup.html?tab=${tab}`);
  await recordPopup.waitForSelector('#page-box:not([hidden])');
  await recordPopup.waitForTimeout(500);
  assert.equal(await recordPopup.locator('#list-box').isHidden(), true);
  await recordPopup.close();
  await record.close();
});

test('a whole-list read the user started is not cut at the rate of new contacts a minute', async () => {
  const current = (await ask({ kind: 'getSettings' })).settings;
  const slow = { ...current, limits: { ...(current.limits ?? {}), newPerMinute: 40 } };
  assert.equal((await ask({ kind: 'saveSettings', settings: slow })).kind, 'settings');
  try {
    const { page, popup } = await feedWithPopup('more=virtual&from=600', 600);
    const before = (await storedOf(600, 150)).length;
    assert.ok(before <= 40, `the rate holds for what the page showed by itself: ${before}`);
    await popup.locator('#list-start').click();
    await popup.waitForSelector('#list-status[data-kind="done"]', { timeout: 90_000 });
    await until(async () => (await storedOf(600, 150)).length === 150, 20_000, 'all 150 people past the rate');
    await popup.close();
    await page.close();
  } finally {
    await ask({ kind: 'saveSettings', settings: current });
  }
});
