// Captures pages of a real Tryton (trytond and its party module from PyPI, the sao web client
// from npm, set up by tests/corpus/tryton/setup) for the discovery corpus
// (tests/corpus/snapshot.mjs), saved under tests/fixtures/<half>/<prefix>-<view>[-<id>].html.
// sao is a single-page app: each record opens in a tab of the same document, reached by a hash
// route (#crm/model/party.party/6), and the tabs opened before it stay in the page, hidden. The
// pages are captured as a user browses: a few records in a row, then a new session.
//   node tests/corpus/tryton/capture.mjs http://127.0.0.1:8000 <seeded.json> [name prefix]
// (the prefix `tryton-fr` after `setup … fr` captures the French pages.)
import { readFile } from 'node:fs/promises';
import { launchPlainChromium } from '../../e2e/lib/extension.mjs';
import { save } from '../snapshot.mjs';

const [origin = 'http://127.0.0.1:8000', seededPath = '/tmp/tryton-work/seeded.json', prefix = 'tryton'] = process.argv.slice(2);
const seeded = JSON.parse(await readFile(seededPath, 'utf8'));
const TABS_BEFORE_RELOAD = 4;

const views = [
  ...seeded.parties.map((p) => [`${prefix}-party-${p.id}`, `/#crm/model/party.party/${p.id}`]),
  [`${prefix}-parties`, '/#crm/model/party.party'],
  [`${prefix}-contact-mechanisms`, '/#crm/model/party.contact_mechanism'],
  [`${prefix}-addresses`, '/#crm/model/party.address'],
];

const browser = await launchPlainChromium();
let page;

/** Logs in afresh in a new browser context: no tabs open but the start's. */
async function logIn() {
  await page?.context().close();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${origin}/`);
  const user = page.locator('input:visible').last();
  await user.waitFor();
  await user.fill('admin');
  await user.press('Enter');
  const password = page.locator('input[type=password]:visible');
  await password.waitFor();
  await password.fill('admin-pass-1');
  await password.press('Enter');
  await page.locator('#tablist li').first().waitFor();
}

await logIn();
let tabs = 0;
for (const [name, path] of views) {
  if (tabs === TABS_BEFORE_RELOAD) {
    await logIn();
    tabs = 0;
  }
  await page.goto(origin + path);
  tabs += 1;
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(1500);
  await save(page, name, path);
}
await browser.close();
