// The walker's rescans (issue 6): rows and row lists are remembered between scans, so a rescan
// must still see every change — a cell edited, rows added, removed and moved, a table replaced;
// and the live scanner sends the background only the rows that changed, or the whole page when
// anything else did.
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

/** Each row's name and phone, as one rescan reports them. */
const scan = () => page.evaluate(async () => {
  const { evidence } = await globalThis.__crmBridgeCollect();
  return evidence.tables[0].rows.map((row) => `${row.heading}=${row.cells[1]}`);
});

/** What the live scanner would send now: null, or the message (whole page or changed rows). */
const live = () => page.evaluate(async () => (await globalThis.__crmBridgeLiveScan(null)).message);
const edit = (script) => page.evaluate(script);

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

test('the live scanner sends the page once, then only changed rows, and the whole page after any other change', async () => {
  await page.evaluate(() => globalThis.__crmBridgeForgetLive());
  const first = await live();
  assert.equal(first.kind, 'pageEvidence');
  assert.equal(first.evidence.version, 2);
  assert.equal(first.evidence.tables[0].rows.length, 1, 'the table as the last test left it');
  assert.equal(typeof first.scan, 'number');
  assert.equal(await live(), null, 'nothing changed: nothing sent');

  await edit(() => {
    const rows = Array.from({ length: 40 }, (_, i) => `<tr><td><a href="/c/${i}">Person ${i}</a></td><td>+1 206 555 ${String(1000 + i)}</td></tr>`).join('');
    document.querySelector('#t tbody').innerHTML = rows;
  });
  const whole = await live();
  assert.equal(whole.kind, 'pageEvidence', 'rows added: the whole page again');
  assert.ok(whole.scan > first.scan);
  assert.equal(whole.evidence.tables[0].rows.length, 40);
  const scopeOf7 = whole.evidence.tables[0].scopeAt + 7;

  await edit(() => { document.querySelectorAll('#t tbody tr')[7].cells[1].textContent = '+1 206 555 7777'; });
  const delta = await live();
  assert.equal(delta.kind, 'pageEvidenceDelta');
  assert.equal(delta.delta.base, whole.scan);
  assert.equal(delta.delta.url, whole.evidence.url);
  assert.deepEqual(delta.delta.rows, [{ scope: scopeOf7, row: { cells: ['Person 7', '+1 206 555 7777'], heading: 'Person 7', link: `${new URL(whole.evidence.url).origin}/c/7` } }]);

  await edit(() => { document.querySelectorAll('#t tbody tr')[7].cells[1].textContent = '+1 206 555 7777'; });
  assert.equal(await live(), null, 'rewritten with the same text: nothing to send');

  await edit(() => {
    const cells = document.querySelectorAll('#t tbody tr td:nth-child(2)');
    for (let i = 0; i < 40; i += 8) cells[i].textContent = `+1 206 555 ${2000 + i}`;
  });
  const five = await live();
  assert.equal(five.kind, 'pageEvidenceDelta');
  assert.deepEqual(five.delta.rows.map((r) => r.scope - whole.evidence.tables[0].scopeAt), [0, 8, 16, 24, 32]);

  await edit(() => { document.body.insertAdjacentHTML('afterbegin', '<h1>Contacts</h1>'); });
  assert.equal((await live()).kind, 'pageEvidence', 'a change outside the rows: the whole page');

  await edit(() => { document.querySelectorAll('#t tbody tr')[3].replaceChildren(); });
  const emptied = await live();
  assert.equal(emptied.kind, 'pageEvidence', 'a row left empty loses its scope: the whole page');
  assert.equal(emptied.evidence.tables[0].rows.length, 39);

  await edit(() => { document.querySelectorAll('#t tbody tr')[5].cells[1].textContent = '+1 206 555 5555'; });
  await page.evaluate(() => globalThis.__crmBridgeForgetLive()); // the background lost it
  assert.equal((await live()).kind, 'pageEvidence', 'after a worker restart: the whole page');
});

test('a ticking clock outside the rows makes no whole read', async () => {
  await edit(() => document.body.insertAdjacentHTML('afterbegin', '<p id="clock">10:09:12</p><p id="ago">30 min ago</p>'));
  await page.evaluate(() => globalThis.__crmBridgeForgetLive());
  assert.equal((await live()).kind, 'pageEvidence');
  for (let second = 13; second < 20; second += 1) {
    await page.evaluate((s) => {
      document.getElementById('clock').textContent = `10:09:${s}`; // a text node replaced
      document.getElementById('ago').firstChild.data = `${s + 20} min ago`; // a text node changed
    }, second);
    const { message, stats } = await page.evaluate(async () => globalThis.__crmBridgeLiveScan(null));
    assert.equal(message, null, 'nothing sent');
    assert.equal(stats.nodes, undefined, 'and the page was not read whole');
  }
  // A number a person could be called on, written where the clock was, is read.
  await edit(() => { document.getElementById('clock').textContent = '+1 206 555 0142'; });
  assert.equal((await live()).kind, 'pageEvidence');
});

test('a row grown by 200,000 cells is rescanned within the whole scan\'s bounds', async () => {
  await page.evaluate(() => globalThis.__crmBridgeForgetLive());
  await live();
  await edit(() => {
    const row = document.querySelectorAll('#t tbody tr')[2];
    const cells = document.createDocumentFragment();
    for (let i = 0; i < 200000; i += 1) cells.append(Object.assign(document.createElement('td'), { textContent: `x${i}` }));
    row.append(cells);
  });
  const { message, stats } = await page.evaluate(async () => {
    const { message, stats } = await globalThis.__crmBridgeLiveScan(null);
    return { message: message && JSON.stringify(message).length, stats };
  });
  assert.ok(message < 100_000, `the message is ${message} characters`);
  assert.ok(stats.longestSliceMs < 50, `its longest task took ${stats.longestSliceMs} ms`);
});
