// The walker's rescans (issue 6): rows and row lists are remembered between scans, so a rescan
// must still see every change — a cell edited, rows added, removed and moved, a table replaced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, launchPlainChromium } from '../e2e/lib/extension.mjs';

let browser;
let page;

before(async () => {
  browser = await launchPlainChromium();
  page = await browser.newPage();
  const rows = Array.from({ length: 30 }, (_, i) => `<tr><td><a href="/c/${i}">Person ${i}</a></td><td>+1 206 555 ${String(1000 + i)}</td></tr>`).join('');
  await page.setContent(`<!doctype html><body><table id="t"><thead><tr><th>Name</th><th>Phone</th></tr></thead><tbody>${rows}</tbody></table></body>`);
  await page.addScriptTag({ content: await readFile(join(ROOT, 'extension', 'discover.js'), 'utf8') });
});

after(async () => browser?.close());

/** Each row scope's name and phone, as one rescan reports them. */
const scan = () => page.evaluate(async () => {
  const { evidence } = await globalThis.__crmBridgeCollect();
  return evidence.scopes.slice(1).map((scope, i) => {
    const texts = evidence.fields.filter((f) => f.scope === i + 1).map((f) => f.text);
    return `${scope.heading}=${texts[1]}`;
  });
});

test('a rescan sees edited cells, added, removed and moved rows, and a replaced table', async () => {
  const first = await scan();
  assert.equal(first.length, 30);
  assert.equal(first[0], 'Person 0=+1 206 555 1000');
  assert.deepEqual(await scan(), first, 'unchanged: the same evidence');

  await page.evaluate(() => { document.querySelector('#t tbody tr:nth-child(3) td:nth-child(2)').textContent = '+1 206 555 9999'; });
  assert.equal((await scan())[2], 'Person 2=+1 206 555 9999', 'an edited cell');

  await page.evaluate(() => {
    const row = document.createElement('tr');
    row.innerHTML = '<td><a href="/c/new">New Person</a></td><td>+1 206 555 8888</td>';
    document.querySelector('#t tbody').appendChild(row);
  });
  let now = await scan();
  assert.equal(now.length, 31);
  assert.equal(now[30], 'New Person=+1 206 555 8888', 'an added row');

  await page.evaluate(() => document.querySelector('#t tbody tr').remove());
  now = await scan();
  assert.equal(now.length, 30);
  assert.equal(now[0], 'Person 1=+1 206 555 1001', 'a removed row');

  await page.evaluate(() => { const body = document.querySelector('#t tbody'); body.prepend(body.lastElementChild); });
  assert.equal((await scan())[0], 'New Person=+1 206 555 8888', 'a moved row');

  await page.evaluate(() => {
    document.querySelector('#t').outerHTML = '<table id="t"><thead><tr><th>Name</th><th>Phone</th></tr></thead><tbody><tr><td><a href="/c/z">Zed</a></td><td>+1 206 555 7777</td></tr></tbody></table>';
  });
  assert.deepEqual(await scan(), ['Zed=+1 206 555 7777'], 'a replaced table');
});
