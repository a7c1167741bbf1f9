// Contacts reach the widget (issue 7): what is stored for a site shows in the simulator's
// Contacts tab within 2 s, an edit replaces it, a removal arrives as `deleted: true`, and a call
// from a stored number shows the right name. Contacts enter through the worker's import path
// (the one the options page uses); discovery on CRM pages has its own test (discovery.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile, readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  ROOT, buildDevExtension, launchChromium, askOver, waitForSiteRegistration, waitForFrame, demoConfig, accessibilityViolations,
} from './lib/extension.mjs';

let crm;
let browser;
let extensionPage;
let widget;
const SITE = 'http://127.0.0.1';

/** Sends one request to the worker from an extension page, as the options page does. */
const ask = (body) => askOver(extensionPage, body);

const person = (id, name, phoneNumber) => ({ id, name, phoneNumbers: [{ phoneNumber, phoneType: 'mobile' }], emails: [] });

before(async () => {
  crm = await startDemoCrm();
  browser = await launchChromium(await buildDevExtension('chrome', demoConfig(crm.origin), join(ROOT, 'target', 'e2e-contacts')));
  await waitForSiteRegistration(browser.worker);
  extensionPage = await browser.context.newPage();
  await extensionPage.goto(`chrome-extension://${browser.extensionId}/manifest.json`);
  const crmPage = await browser.context.newPage();
  await crmPage.goto(`${crm.origin}/settings`); // a page with nobody on it: no discovered contacts
  widget = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
});

after(async () => {
  await browser?.context.close();
  await crm?.close();
});

const held = () => widget.evaluate(() => window.simContacts());

test('stored contacts show in the open widget within 2 s, edits replace them, removals arrive as deleted', async () => {
  const started = Date.now();
  const imported = await ask({ kind: 'importContacts', site: SITE, contacts: [
    person('1', 'Ava Thompson', '+1 (206) 555-0134'),
    person('2', 'Marcus Lee', '+12065550147'),
    person('3', 'Priya Natarajan', '030 1234567'),
  ] });
  assert.deepEqual(imported, { kind: 'imported', count: 3 });
  await widget.waitForFunction(() => Object.keys(window.simContacts()).length === 3, null, { timeout: 2_000 });
  assert.ok(Date.now() - started < 2_000 + 500, 'within 2 s of the write (plus this test\'s polling)');
  assert.equal((await held())[`${SITE}#1`], 'Ava Thompson', 'ids are scoped by site');
  assert.equal((await widget.evaluate(() => window.simLastSync())).type, 'api', 'our re-sync trigger');

  await ask({ kind: 'importContacts', site: SITE, contacts: [person('1', 'Ava Thompson-Reyes', '+12065550134')] });
  await widget.waitForFunction((id) => window.simContacts()[id] === 'Ava Thompson-Reyes', `${SITE}#1`, { timeout: 2_000 });
  assert.equal(Object.keys(await held()).length, 3, 'an edit replaces, it does not add');

  assert.deepEqual(await ask({ kind: 'removeContacts', site: SITE, ids: ['2'] }), { kind: 'removed', count: 1 });
  await widget.waitForFunction((id) => !(id in window.simContacts()), `${SITE}#2`, { timeout: 2_000 });
  assert.deepEqual((await widget.evaluate(() => window.simLastSync())).deleted, [`${SITE}#2`], 'sent as deleted: true');
});

test('a call from a stored number shows the right name, in whatever form the number comes', async () => {
  for (const [number, name] of [['+12065550134', 'Ava Thompson-Reyes'], ['+49301234567', 'Priya Natarajan'], ['+12065550147', null]]) {
    await widget.locator('#caller').fill(number);
    await widget.locator('#ring').click();
    const expected = name ? `Incoming call from ${name}` : `Incoming call from ${number} (unknown)`;
    await widget.waitForFunction((text) => document.getElementById('call-result').textContent === text, expected);
  }
});

test('counts per site, and only enabled sites take contacts', async () => {
  const counts = await ask({ kind: 'contactCounts' });
  assert.deepEqual(counts, { kind: 'contactCounts', sites: { [SITE]: 2 }, lastRead: {} }, 'stored by hand: never read from the site');
  const refused = await ask({ kind: 'importContacts', site: 'https://elsewhere.example', contacts: [person('9', 'X', '+12065550100')] });
  assert.equal(refused.kind, 'error', 'only enabled sites take contacts');
});

test('the options page imports a CSV file with progress and a row report, counts and exports', async () => {
  const options = await browser.context.newPage();
  await options.goto(`chrome-extension://${browser.extensionId}/options.html`);
  await options.waitForSelector('body[data-state="ready"]');
  await options.waitForFunction(() => /\d/.test(document.getElementById('contacts-count-0')?.textContent ?? ''));
  const dir = await mkdtemp(join(tmpdir(), 'crm-bridge-csv-'));
  const file = join(dir, 'contacts.csv');
  await writeFile(file, 'Name;Mobile;E-Mail;Company\n"Okafor, Chidi";+234 803 123 4567;chidi@example.ng;Lagos Ltd\n;;;\nnobody;;;just a company\n;;only@mail.test;\nZoë Ångström;+46 8 123 456 78;zoe@example.se;\n');
  await options.locator('#import-contacts-0').setInputFiles(file);
  await options.waitForSelector('#contacts-status-0[data-kind]');
  assert.match(await options.locator('#contacts-status-0').textContent(), /Imported 3 contacts; 1 rows skipped/);
  assert.deepEqual(await options.locator('#import-problems-0 li').allTextContents(), ['Row 5: no name and no phone number']);
  await options.waitForFunction(() => document.getElementById('contacts-count-0').textContent === '5 contacts');
  // The open phone has them within 2 s, accents and all, and finds them by search.
  await widget.waitForFunction(() => Object.values(window.simContacts()).includes('Zoë Ångström'), null, { timeout: 2_000 });
  const found = await widget.evaluate(() => window.simTimes('contactSearchPath', [{ searchString: 'zoe angs' }]));
  assert.equal(found.last.data[0].name, 'Zoë Ångström');
  const download = options.waitForEvent('download');
  await options.locator('#export-csv-0').click();
  const csv = await readFile(await (await download).path(), 'utf8');
  assert.match(csv, /"Okafor, Chidi",Lagos Ltd/);
  assert.equal(csv.trim().split('\r\n').length, 1 + 5, 'header and five contacts');
  assert.deepEqual(await accessibilityViolations(options), []);
  await options.close();
});

test('an import larger than a few chunks arrives whole, its chunks sent two at a time', async () => {
  const options = await browser.context.newPage();
  await options.goto(`chrome-extension://${browser.extensionId}/options.html`);
  await options.waitForSelector('body[data-state="ready"]');
  await options.waitForFunction(() => /\d/.test(document.getElementById('contacts-count-0')?.textContent ?? ''));
  const before = Number((await options.locator('#contacts-count-0').textContent()).match(/\d+/)[0]);
  const dir = await mkdtemp(join(tmpdir(), 'crm-bridge-csv-'));
  const file = join(dir, 'many.csv');
  const rows = Array.from({ length: 4_500 }, (_, i) => `Bulk Person ${i};+1 415 555 ${String(i).padStart(4, '0')}`);
  await writeFile(file, `Name;Mobile\n${rows.join('\n')}\n`);
  await options.locator('#import-contacts-0').setInputFiles(file);
  await options.waitForSelector('#contacts-status-0[data-kind]', { timeout: 30_000 });
  assert.match(await options.locator('#contacts-status-0').textContent(), /Imported 4500 contacts; 0 rows skipped/);
  assert.equal(await options.locator('#import-progress-0').getAttribute('value'), '4500');
  await options.waitForFunction((n) => document.getElementById('contacts-count-0').textContent === `${n} contacts`, before + 4_500);
  const found = await widget.evaluate(() => window.simTimes('contactMatchPath', [{ phoneNumbers: ['+14155554499', '+14155550000'], callerIds: {} }]));
  assert.deepEqual(Object.values(found.last.data).map((list) => list[0].name).sort(), ['Bulk Person 0', 'Bulk Person 4499']);
  await options.close();
});

test('an import is kept whole: a second one started meanwhile is refused and keeps nothing', async () => {
  const open = async () => {
    const options = await browser.context.newPage();
    await options.goto(`chrome-extension://${browser.extensionId}/options.html`);
    await options.waitForSelector('body[data-state="ready"]');
    await options.waitForFunction(() => /\d/.test(document.getElementById('contacts-count-0')?.textContent ?? ''));
    return options;
  };
  const [first, second] = [await open(), await open()];
  const before = Number((await first.locator('#contacts-count-0').textContent()).match(/\d+/)[0]);
  const dir = await mkdtemp(join(tmpdir(), 'crm-bridge-csv-'));
  const big = join(dir, 'big.csv');
  await writeFile(big, `Name;Mobile\n${Array.from({ length: 20_000 }, (_, i) => `Whole Person ${i};+1 212 555 ${String(i % 10_000).padStart(4, '0')}`).join('\n')}\n`);
  const small = join(dir, 'small.csv');
  await writeFile(small, 'Name;Mobile\nLate Person;+1 646 555 0101\n');
  await first.locator('#import-contacts-0').setInputFiles(big);
  // Once the first import's chunks are being written, the second asks to import.
  await first.waitForFunction(() => Number(document.getElementById('import-progress-0').getAttribute('value')) > 0, null, { timeout: 30_000 });
  await second.locator('#import-contacts-0').setInputFiles(small);
  await second.waitForSelector('#contacts-status-0[data-kind]', { timeout: 30_000 });
  assert.match(await second.locator('#contacts-status-0').textContent(), /Import stopped; nothing of it was kept: another import is being written/);
  await first.waitForSelector('#contacts-status-0[data-kind]', { timeout: 60_000 });
  assert.match(await first.locator('#contacts-status-0').textContent(), /Imported 20000 contacts; 0 rows skipped/);
  await first.waitForFunction((n) => document.getElementById('contacts-count-0').textContent === `${n} contacts`, before + 20_000);
  const late = await widget.evaluate(() => window.simTimes('contactSearchPath', [{ searchString: 'late person' }]));
  assert.deepEqual(late.last.data, [], 'nothing of the refused import');
  await first.close();
  await second.close();
});

test("a call from the company's own main line is never shown as the customer whose record lists it", async () => {
  const current = await ask({ kind: 'getSettings' });
  const saved = await ask({ kind: 'saveSettings', settings: { ...current.settings, ownNumbers: ['+1 206 555 0134'] } });
  assert.equal(saved.kind, 'settings');
  for (const number of ['+12065550134', '+12065550134*101']) {
    await widget.locator('#caller').fill(number);
    await widget.locator('#ring').click();
    await widget.waitForFunction((text) => document.getElementById('call-result').textContent === text,
      `Incoming call from ${number} (unknown)`);
  }
  await widget.locator('#caller').fill('+49301234567');
  await widget.locator('#ring').click();
  await widget.waitForFunction(() => document.getElementById('call-result').textContent === 'Incoming call from Priya Natarajan');
});
