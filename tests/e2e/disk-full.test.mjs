// A full disk and a lost store (issue 21, docs/security.md "Faults"): the Chromium profile lives
// on a small tmpfs (mounting needs root, as CI runs; elsewhere the file says it is skipped).
// Filling the disk makes logging fail with clear, short words that Diagnostics keeps; freeing
// space makes the next log work without restarting anything; and a store the browser lost
// while closed is told in the popup and Diagnostics, with the undelivered logs downloadable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, open, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  ROOT, buildDevExtension, launchChromium, waitForSiteRegistration, waitForFrame, demoConfig, askOver,
} from './lib/extension.mjs';

const SIZE_MB = 160;
// What a store failure says (src/storage_fault.rs): full, closed by the browser, no answer in time.
const STORE_WORDS = /storage for crm-bridge is full|closed crm-bridge's store|store did not answer in time|store failed/;
let mountPoint;
let crm;
let extensionDir;
let browser;
let profile;
let skipReason = '';

/** A port nothing listens on: the webhook is down, so deliveries wait in the outbox. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  if (process.getuid?.() !== 0) { skipReason = 'mounting a tmpfs needs root (CI runs as root)'; return; }
  mountPoint = await mkdtemp(join(tmpdir(), 'crm-bridge-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MB}m`, 'tmpfs', mountPoint]);
  profile = join(mountPoint, 'profile');
  crm = await startDemoCrm();
  const config = { ...demoConfig(crm.origin),
    siteOptions: { 'http://127.0.0.1': { webhook: { url: `http://127.0.0.1:${await closedPort()}/hook`, signingSecret: 's3cret' } } } };
  extensionDir = await buildDevExtension('chrome', config, join(ROOT, 'target', 'e2e-disk-full'));
  browser = await launchChromium(extensionDir, { userDataDir: profile });
  await waitForSiteRegistration(browser.worker);
});

after(async () => {
  await browser?.context.close().catch(() => {});
  await crm?.close();
  if (mountPoint) {
    try { execFileSync('umount', [mountPoint]); } catch { /* left for the OS */ }
    await rm(mountPoint, { recursive: true, force: true });
  }
});

const call = (i) => ({ call: { sessionId: `full-${i}`, direction: 'Inbound',
  from: { phoneNumber: `+1206555${String(i).padStart(4, '0')}` }, to: { phoneNumber: '+16505550101' },
  startTime: 1_795_618_200_000 + i * 60_000, duration: 30, result: 'Call connected' },
  triggerType: 'createLog', note: `call ${i}`, redirect: true });

/** Fills the disk with a file until the filesystem refuses more; resolves to its path. */
async function fillDisk() {
  const path = join(mountPoint, 'filler');
  const file = await open(path, 'w');
  const chunk = Buffer.alloc(1024 * 1024, 1);
  try {
    for (;;) await file.write(chunk);
  } catch (err) {
    assert.equal(err.code, 'ENOSPC', String(err));
  } finally {
    await file.close();
  }
  return path;
}

const storageLocal = (page, key) => page.evaluate((k) => chrome.storage.local.get(k).then((items) => items[k]), key);

test('a full disk gives clear errors, freeing space is enough, and a lost store is told with its undelivered logs', { timeout: 240_000 }, async (t) => {
  if (skipReason) { t.skip(skipReason); return; }
  const { context, extensionId } = browser;
  const crmPage = await context.newPage();
  await crmPage.goto(`${crm.origin}/contacts`);
  const widget = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-registration="registered"]', { timeout: 20_000 });
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
  const extensionPage = await context.newPage();
  await extensionPage.goto(`chrome-extension://${extensionId}/manifest.json`);
  const log = (i) => widget.evaluate((b) => window.simRequests('callLoggerPath', b), [call(i)]).then((a) => a[0]);
  for (let i = 1; i <= 4; i += 1) assert.equal(await log(i), 'ok');
  // The census follows the store a few seconds after it changed.
  let census;
  for (let i = 0; i < 100; i += 1) {
    census = await storageLocal(extensionPage, 'storeCensus');
    if (census && census.logs >= 4 && census.waiting >= 4 && census.contacts > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(census && census.logs >= 4 && census.contacts > 0, `census ${JSON.stringify(census)}`);
  const copy = await storageLocal(extensionPage, 'outboxCopy');
  assert.ok(copy.deliveries.some((d) => d.entryKey === 'call:full-4' && d.body.includes('full-4')), 'the outbox is copied with its bodies');

  if (process.env.DEBUG_DISK) browser.worker.on('console', (m) => console.log(`# worker: ${m.text().slice(0, 300)}`));
  const filler = await fillDisk();
  let refused;
  for (let i = 10; i < 40 && !refused; i += 1) { // the browser's own caches may take a few writes to run out
    const answer = await log(i);
    if (answer !== 'ok') refused = JSON.stringify(answer);
  }
  assert.ok(refused, 'a log on a full disk is refused');
  assert.match(refused, STORE_WORDS);
  assert.doesNotMatch(refused, /JsValue|wasm|chrome-extension:|\bat \w|DomException/, 'no debug text or stack reaches the widget');
  const about = await askOver(extensionPage, { kind: 'about' });
  assert.ok(about.errors.some((e) => STORE_WORDS.test(e.message)),
    `Diagnostics keeps it: ${JSON.stringify(about.errors)}`);

  await rm(filler);
  assert.equal(await log(50), 'ok', 'freeing space is enough: the store is opened again');
  const summary = (await askOver(extensionPage, { kind: 'logSummary' })).summary;
  assert.ok(summary.entries >= 5, `the journal still answers: ${JSON.stringify(summary)}`);
  for (let i = 0; i < 50; i += 1) {
    census = await storageLocal(extensionPage, 'storeCensus');
    if (census.logs === summary.entries) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(census.logs, summary.entries);

  // The browser loses the store while closed (a damaged profile, a full disk at shutdown).
  await context.close();
  const indexedDb = join(profile, 'Default', 'IndexedDB');
  for (const name of await readdir(indexedDb)) {
    if (name.startsWith(`chrome-extension_${extensionId}_`)) await rm(join(indexedDb, name), { recursive: true, force: true });
  }
  browser = await launchChromium(extensionDir, { userDataDir: profile });
  assert.equal(browser.extensionId, extensionId);
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  const notice = popup.locator('#store-notice');
  for (let i = 0; i < 5 && !(await notice.isVisible()); i += 1) { // the worker compares as it starts
    await new Promise((r) => setTimeout(r, 1000));
    await popup.reload();
  }
  await notice.waitFor({ state: 'visible', timeout: 5_000 });
  const text = await popup.locator('#store-notice-text').textContent();
  // What the census said when last kept on disk: Chromium's storage.local may keep nothing
  // written after its own write failed on the full disk (until restart), so the counts are
  // those of before the fill at least and of the end at most.
  const [, contacts, logs] = /holds 0 of the (\d+) contacts and 0 of the (\d+) call and message logs/.exec(text) ?? [];
  assert.ok(Number(contacts) > 0 && Number(logs) >= 4 && Number(logs) <= census.logs, text);
  assert.match(text, /undelivered logs? (is|are) kept outside the store/);
  await popup.locator('#store-notice-dismiss').click();
  await notice.waitFor({ state: 'hidden' });
  await popup.reload();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await notice.isVisible(), false, 'dismissed for good');

  const options = await browser.context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html#diagnostics`);
  await options.locator('#lost-logs').waitFor({ state: 'visible' });
  const [download] = await Promise.all([options.waitForEvent('download'), options.locator('#lost-logs-download').click()]);
  const saved = JSON.parse(await (await download.createReadStream()).toArray().then((parts) => Buffer.concat(parts).toString('utf8')));
  assert.ok(saved.some((d) => d.entryKey === 'call:full-4' && d.body.includes('full-4')), 'the undelivered logs can be saved');
  await options.locator('#errors tbody tr').first().waitFor();
  assert.match(await options.locator('#errors').textContent(), /holds 0 of the/);
});
