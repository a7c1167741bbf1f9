// Logging that never loses a record (issue 8): calls and messages logged through the real
// extension are durable before the widget hears "ok", and reach a webhook exactly once per
// entry revision (by Idempotency-Key, checked here on the server side) although the webhook
// answers 500s, hangs past the timeout and drops connections (before and after it processed
// the body) at random, and the service worker is stopped three times while logging.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { startDemoCrm } from '../demo-crm/server.mjs';
import {
  ROOT, buildDevExtension, launchChromium, askOver, waitForSiteRegistration, waitForFrame, demoConfig,
  accessibilityViolations,
} from './lib/extension.mjs';
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const SECRET = 'test-signing-secret';
const CALLS = 100;
const CONVERSATION_DAYS = 100; // 3 messages each: 300 messages

let crm;
let browser;
let widget;
let crmPage;
let extensionPage;
let hook;

/** A seeded generator, so a failure can be replayed. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The webhook under test: chaotic until `calm()`; keeps what it accepted by Idempotency-Key. */
async function startWebhook(seed) {
  const next = random(seed);
  const state = { chaos: true, attempts: 0, accepted: new Map(), repeats: 0, badSignatures: 0, faults: {} };
  const fault = (kind) => { state.faults[kind] = (state.faults[kind] ?? 0) + 1; };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      state.attempts += 1;
      if (state.refuse) { res.writeHead(401).end('token expired'); return; }
      if (state.down) { res.writeHead(503).end('down for maintenance'); return; }
      const roll = state.chaos ? next() : 1;
      if (roll < 0.2) { fault('500'); res.writeHead(500).end('busy'); return; }
      if (roll < 0.27) { fault('dropped'); req.socket.destroy(); return; }
      if (roll < 0.30) { fault('hang'); setTimeout(() => req.socket.destroy(), 11_000); return; }
      const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      if (req.headers['x-crm-bridge-signature'] !== signature) { state.badSignatures += 1; res.writeHead(401).end(); return; }
      const key = req.headers['idempotency-key'];
      if (state.accepted.has(key)) state.repeats += 1; // a retry of what we have: acknowledged, not applied
      else state.accepted.set(key, JSON.parse(body));
      if (roll < 0.36) { fault('lost answer'); req.socket.destroy(); return; } // processed, answer lost
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, state, calm: () => { state.chaos = false; },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }) };
}

before(async () => {
  crm = await startDemoCrm();
  hook = await startWebhook(20261126);
  const config = { ...demoConfig(crm.origin),
    siteOptions: { 'http://127.0.0.1': { webhook: { url: hook.url, signingSecret: SECRET } } } };
  browser = await launchChromium(await buildDevExtension('chrome', config, join(ROOT, 'target', 'e2e-logging')));
  await waitForSiteRegistration(browser.worker);
  extensionPage = await browser.context.newPage();
  await extensionPage.goto(`chrome-extension://${browser.extensionId}/manifest.json`);
  crmPage = await browser.context.newPage();
  await crmPage.goto(`${crm.origin}/settings`);
  widget = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-registration="registered"]', { timeout: 20_000 });
  // The simulator replays the recorded widget requests once at start (some are call logs).
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
});

after(async () => {
  await browser?.context.close();
  await crm?.close();
  await hook?.close();
});

const call = (i) => ({ call: { sessionId: `s-${i}`, direction: i % 2 ? 'Inbound' : 'Outbound',
  from: { phoneNumber: `+1206555${String(i).padStart(4, '0')}` }, to: { phoneNumber: '+16505550101' },
  startTime: 1_795_618_200_000 + i * 60_000, duration: 30 + i, result: 'Call connected' },
  triggerType: 'createLog', note: `call ${i} <b>not html</b>`, redirect: true });

const day = (i) => ({ conversation: { conversationLogId: `c-${i}/11/25/2026`, conversationId: `c-${i}`,
  date: '11/25/2026', type: 'SMS', correspondents: [{ phoneNumber: `+1415555${String(i).padStart(4, '0')}` }],
  messages: [0, 1, 2].map((m) => ({ id: i * 10 + m, direction: m % 2 ? 'Outbound' : 'Inbound',
    subject: `message ${m}`, creationTime: 1_795_623_595_000 + m * 1000 })) }, triggerType: 'auto' });

const summary = async () => (await askOver(extensionPage, { kind: 'logSummary' })).summary;

test('100 calls and 300 messages reach a failing webhook exactly once each, across three worker stops', { timeout: 300_000 }, async () => {
  const cdp = await browser.context.newCDPSession(crmPage);
  // The simulator's replay logged a few calls of its own: count from here.
  const baseline = (await summary()).entries;
  let stops = 0;
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const v of versions) {
      if (v.scriptURL.startsWith(`chrome-extension://${browser.extensionId}/`) && v.runningStatus === 'stopped') stops += 1;
    }
  });
  await cdp.send('ServiceWorker.enable');
  const bodies = [...Array.from({ length: CALLS }, (_, i) => ['callLoggerPath', call(i)]),
    ...Array.from({ length: CONVERSATION_DAYS }, (_, i) => ['messageLoggerPath', day(i)])];
  // Four batches; the worker is stopped between them, while deliveries are under way.
  const batches = [0, 1, 2, 3].map((b) => bodies.filter((_, i) => i % 4 === b));
  const answers = [];
  for (const [index, batch] of batches.entries()) {
    for (const key of ['callLoggerPath', 'messageLoggerPath']) {
      const sent = batch.filter(([k]) => k === key).map(([, body]) => body);
      answers.push(...await widget.evaluate(([k, b]) => window.simRequests(k, b), [key, sent]));
    }
    if (index < 3) await cdp.send('ServiceWorker.stopAllWorkers');
  }
  assert.ok(stops >= 3, `the worker was stopped three times (seen: ${stops})`);
  assert.deepEqual(answers.filter((a) => a !== 'ok'), [], 'every log request was answered ok');
  // A re-send of every conversation-day adds nothing (messages are de-duplicated by id).
  const again = await widget.evaluate((b) => window.simRequests('messageLoggerPath', b), Array.from({ length: CONVERSATION_DAYS }, (_, i) => day(i)));
  assert.ok(again.every((a) => a === 'ok'));

  // The journal holds one entry per call and per conversation-day, whatever happened.
  const logged = await summary();
  assert.equal(logged.entries - baseline, CALLS + CONVERSATION_DAYS);

  hook.calm();
  const deadline = Date.now() + 180_000;
  let state = await summary();
  while (state.waiting > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    state = await summary();
  }
  assert.equal(state.waiting, 0, `outbox drained (${JSON.stringify(state)})`);
  const faults = hook.state.faults;
  assert.ok(faults['500'] > 0 && faults.dropped > 0 && faults.hang > 0 && faults['lost answer'] > 0, JSON.stringify(faults));
  assert.ok(hook.state.repeats > 0, 'answers were lost, so some deliveries came again, and were recognised');
  assert.equal(hook.state.badSignatures, 0);
  const ours = (b) => /^(call:s-|messages:c-)/.test(b.entry.key);
  const accepted = [...hook.state.accepted.values()].filter(ours);
  assert.equal(accepted.length, CALLS + CONVERSATION_DAYS, 'each entry revision accepted once');
  const keys = accepted.map((b) => b.entry.key).sort();
  assert.equal(new Set(keys).size, CALLS + CONVERSATION_DAYS, 'one delivery per entry');
  const sample = accepted.find((b) => b.entry.key === 'call:s-7');
  assert.equal(sample.event, 'call.logged');
  assert.equal(sample.entry.note, 'call 7 <b>not html</b>', 'notes travel as text');
  assert.equal(sample.entry.call.duration, 37);
  const messages = accepted.find((b) => b.entry.key === 'messages:c-5/11/25/2026');
  assert.equal(messages.entry.messages.length, 3);
  console.log(`# webhook: ${hook.state.attempts} attempts for ${accepted.length} entries; faults ${JSON.stringify(faults)}; repeats ${hook.state.repeats}`);
});

test('a log request the journal cannot take gets a clear error, and nothing else is lost', async () => {
  const before = (await summary()).entries;
  const huge = { ...call(500), note: 'x'.repeat(3 * 1024 * 1024) };
  const [refused, missing, html] = [
    ...await widget.evaluate((b) => window.simRequests('callLoggerPath', b), [huge]),
    ...await widget.evaluate((b) => window.simRequests('callLoggerPath', b), [{ call: { direction: 'Inbound' } }]),
    ...await widget.evaluate((b) => window.simRequests('callLoggerPath', b), [{ ...call(501), note: '<img src=x onerror=alert(1)>', fromEntity: { id: 'no-such-contact' } }]),
  ];
  assert.match(JSON.stringify(refused), /Nothing was logged/);
  assert.match(JSON.stringify(missing), /sessionId/);
  assert.equal(html, 'ok', 'an unknown contact id is logged as an unknown caller');
  const matched = await widget.evaluate(() => window.simRequests('callLogEntityMatcherPath', [{ sessionIds: ['s-501', 's-500'] }]));
  assert.deepEqual(Object.keys(matched[0]), ['s-501']);
  assert.equal(matched[0]['s-501'][0].note, '<img src=x onerror=alert(1)>');
  assert.equal((await summary()).entries, before + 1);
});

test('a refused delivery waits on the badge and in the options page until the user retries it; the journal is searchable and exported', async () => {
  hook.state.refuse = true;
  const [answer] = await widget.evaluate((b) => window.simRequests('callLoggerPath', b), [{ ...call(900), note: '<b>refused</b> first' }]);
  assert.equal(answer, 'ok', 'logging never waits for the destination');
  for (let i = 0; i < 100 && (await summary()).attention === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await summary()).attention, 1);
  const badge = () => extensionPage.evaluate(() => chrome.action.getBadgeText({}));
  for (let i = 0; i < 50 && (await badge()) !== '1'; i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await badge(), '1', 'the toolbar says one delivery needs the user');
  // One banner in the phone, not a notification per log; its action opens the options page.
  await widget.waitForFunction(() => window.simBanner()?.severity === 'warning');
  assert.match((await widget.evaluate(() => window.simBanner())).message, /1 log is not delivered yet \(HTTP 401/);
  // And the call itself says so: the call-log matcher adds a status line after its log.
  const session = call(900).call.sessionId;
  const matched = (await widget.evaluate((id) => window.simTimes('callLogEntityMatcherPath', [{ sessionIds: [id] }]), session)).last.data[session];
  assert.equal(matched[0].id, `call:${session}`, 'still shown as logged');
  assert.equal(matched[1].type, 'status');
  assert.match(matched[1].message, /HTTP 401/);
  const optionsPages = () => browser.context.pages().filter((p) => p.url().endsWith('/options.html'));
  await widget.locator('#banner-action').click();
  for (let i = 0; i < 50 && optionsPages().length === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.equal(optionsPages().length, 1, 'the banner action opened the options page');
  await optionsPages()[0].close();

  // The toolbar popup says so too, with the way to the options page.
  const tab = await extensionPage.evaluate(async () => (await chrome.tabs.query({})).find((t) => t.url?.endsWith('/settings')).id);
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.extensionId}/popup.html?tab=${tab}`);
  await popup.waitForSelector('#logs-box:not([hidden])');
  assert.equal(await popup.locator('#logs-status').textContent(), 'Logs not delivered, waiting for you: 1');
  assert.deepEqual(await accessibilityViolations(popup), []);
  await popup.close();

  const options = await browser.context.newPage();
  await options.goto(`chrome-extension://${browser.extensionId}/options.html`);
  const row = options.locator('#outbox tbody tr');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  assert.match(await row.textContent(), /Outbound call · Call connected · 15:30 — \+16505550101.*HTTP 401: refused/s);
  assert.match(await options.locator('#log-summary').textContent(), /1 need attention/);
  assert.deepEqual(await accessibilityViolations(options), []);

  hook.state.refuse = false;
  await options.locator('#outbox button', { hasText: 'Retry' }).click();
  await options.waitForSelector('#outbox-status[data-kind="ok"]');
  assert.match(await options.locator('#outbox-status').textContent(), /Nothing is waiting/);
  assert.ok([...hook.state.accepted.values()].some((b) => b.entry.key === 'call:s-900' && b.entry.note === '<b>refused</b> first'));
  for (let i = 0; i < 50 && (await badge()) !== ''; i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await badge(), '');
  await widget.waitForFunction(() => window.simBanner()?.severity === 'success');

  // The journal: a search finds the call, its HTML-looking note is text, the export has it.
  await options.locator('#journal-search').fill('refused FIRST');
  await options.locator('#journal-find').click();
  await options.waitForFunction(() => document.querySelectorAll('#journal tbody tr').length === 1);
  const cell = options.locator('#journal tbody tr td.note');
  assert.equal(await cell.textContent(), '<b>refused</b> first');
  assert.equal(await cell.locator('b').count(), 0, 'shown as text, never as HTML');
  const [download] = await Promise.all([options.waitForEvent('download'), options.locator('#journal-csv').click()]);
  const csv = await readFile(await download.path(), 'utf8');
  assert.match(csv, /^Time \(UTC\),Kind,Contact/);
  assert.match(csv, /call:s-900\r\n/);
  assert.equal(csv.trim().split('\r\n').length, 2, 'the search applies to the export');
  await options.close();
});

test('an exported journal imports once, is matched and searchable, and is not delivered again; a damaged file changes nothing', async () => {
  const options = await browser.context.newPage();
  await options.goto(`chrome-extension://${browser.extensionId}/options.html`);
  await options.waitForSelector('#journal tbody tr');
  const [download] = await Promise.all([options.waitForEvent('download'), options.locator('#journal-json').click()]);
  const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.ok(exported.length > 100, `the whole journal was exported (${exported.length})`);
  const importFile = async (name, text) => {
    await options.evaluate(() => { document.querySelector('#journal-status').removeAttribute('data-kind'); });
    await options.locator('#journal-import').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
    await options.waitForSelector('#journal-status[data-kind]');
    return options.locator('#journal-status');
  };
  // The same journal again: everything is there already.
  let status = await importFile('journal.json', JSON.stringify(exported));
  assert.equal(await status.textContent(),
    `0 logs imported, ${exported.length} were in this journal already (kept as they were). Imported logs are not sent to webhooks again.`);
  // An entry from another browser: added, matched for the phone, searchable, not delivered.
  const moved = { ...exported.find((e) => e.kind === 'call'), key: 'call:moved-1', revision: 7, note: 'from the old laptop' };
  moved.call = { ...moved.call, sessionId: 'moved-1' };
  status = await importFile('moved.json', JSON.stringify([moved]));
  assert.match(await status.textContent(), /^1 logs imported, 0 were/);
  const [matched] = await widget.evaluate((b) => window.simRequests('callLogEntityMatcherPath', b), [{ sessionIds: ['moved-1'] }]);
  assert.equal(matched['moved-1'][0].note, 'from the old laptop');
  await options.locator('#journal-search').fill('old laptop');
  await options.locator('#journal-find').click();
  await options.waitForFunction(() => document.querySelectorAll('#journal tbody tr').length === 1);
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(![...hook.state.accepted.values()].some((b) => b.entry.key === 'call:moved-1'), 'history is not delivered again');
  // A damaged file: refused whole, naming the entry; nothing added.
  const before = (await summary()).entries;
  const damaged = [{ ...moved, key: 'call:moved-2', call: { ...moved.call, sessionId: 'moved-2' } }, { ...moved, key: 'call:else', time: 'yesterday' }];
  status = await importFile('damaged.json', JSON.stringify(damaged));
  assert.equal(await status.getAttribute('data-kind'), 'error');
  assert.match(await status.textContent(), /^Nothing was imported: entry 2: /);
  assert.equal((await summary()).entries, before);
  assert.deepEqual(await accessibilityViolations(options), []);
  await options.close();
});

test("a recipe's log address gets every log at the CRM itself with the user's session; signed out, the log waits for a retry", async () => {
  const SITE = 'http://127.0.0.1';
  const saveSite = (recipe) => askOver(extensionPage, { kind: 'saveSiteOptions', site: SITE,
    options: { recipe, webhook: { url: hook.url, signingSecret: SECRET } } });
  const visit = async (path) => { const page = await browser.context.newPage(); await page.goto(`${crm.origin}${path}`); await page.close(); };
  const offSite = await saveSite(JSON.stringify({ version: 1, log: 'https://crm.elsewhere.example/api/activities' }));
  assert.equal(offSite.kind, 'error');
  assert.match(offSite.message, /recipe log: .* is not on http:\/\/127\.0\.0\.1/);
  assert.equal((await saveSite(JSON.stringify({ version: 1, log: `${crm.origin}/api/activities` }))).kind, 'settings');
  await visit('/login');
  const [session] = crm.sessions();
  const took = async (key) => {
    for (let i = 0; i < 100; i += 1) {
      const found = crm.activities().find((a) => a.key === key);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the CRM never got ${key}: ${JSON.stringify(crm.activities())}`);
  };
  assert.deepEqual(await widget.evaluate((b) => window.simRequests('callLoggerPath', b), [call(950)]), ['ok']);
  const first = await took('call:s-950');
  assert.equal(first.session, session, "sent with the user's own session cookie");
  assert.equal(first.idempotencyKey, 'crm-bridge:call:s-950@1', 'the same key a webhook gets for this revision');
  assert.equal(first.event, 'call.logged');
  for (let i = 0; i < 50 && ![...hook.state.accepted.values()].some((b) => b.entry.key === 'call:s-950'); i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.ok([...hook.state.accepted.values()].some((b) => b.entry.key === 'call:s-950'), 'the webhook still gets it too');

  // Signed out of the CRM: the log is kept, the delivery says why, and a retry after signing
  // in again sends it with the new session.
  await visit('/logout');
  assert.deepEqual(await widget.evaluate((b) => window.simRequests('callLoggerPath', b), [call(951)]), ['ok']);
  const waiting = async () => (await askOver(extensionPage, { kind: 'outbox' })).deliveries.filter((d) => d.destination === `crm:${SITE}`);
  for (let i = 0; i < 100 && !(await waiting()).some((d) => /401/.test(d.lastError ?? '')); i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.match((await waiting())[0]?.lastError ?? '', /401/);
  await visit('/login');
  await askOver(extensionPage, { kind: 'retryDeliveries', keys: [] });
  const second = await took('call:s-951');
  assert.equal(second.session, crm.sessions().at(-1));
  assert.notEqual(second.session, session);
  assert.equal(crm.activities().filter((a) => a.key === 'call:s-950').length, 1, 'each revision once');
  assert.equal((await saveSite('')).kind, 'settings');
});

test('deliveries still waiting when the browser closes are sent after it starts again, with no CRM page open', { timeout: 180_000 }, async () => {
  const down = await startWebhook(7);
  down.calm();
  down.state.down = true;
  const profile = await mkdtemp(join(tmpdir(), 'crm-bridge-restart-'));
  const config = { ...demoConfig(crm.origin),
    siteOptions: { 'http://127.0.0.1': { webhook: { url: down.url, signingSecret: SECRET } } } };
  const dir = await buildDevExtension('chrome', config, join(ROOT, 'target', 'e2e-logging-restart'));
  let second = await launchChromium(dir, { userDataDir: profile });
  try {
    await waitForSiteRegistration(second.worker);
    const page = await second.context.newPage();
    await page.goto(`${crm.origin}/settings`);
    const phone = await waitForFrame(page, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
    await phone.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
    const bodies = Array.from({ length: 5 }, (_, i) => ({ ...call(700 + i), note: `before the restart ${i}` }));
    assert.deepEqual(await phone.evaluate((b) => window.simRequests('callLoggerPath', b), bodies), Array(5).fill('ok'));
    for (let i = 0; i < 100 && down.state.attempts < 5; i += 1) await new Promise((r) => setTimeout(r, 100));
    assert.ok(down.state.attempts >= 5, 'each was tried once and failed');
    await second.context.close();

    down.state.down = false;
    const before = down.state.attempts;
    second = await launchChromium(dir, { userDataDir: profile });
    const deadline = Date.now() + 90_000;
    const ours = () => [...down.state.accepted.values()].filter((b) => /^call:s-70\d$/.test(b.entry.key));
    while (ours().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.equal(ours().length, 5, `delivered after the restart (${down.state.attempts - before} attempts)`);
    assert.deepEqual(ours().map((b) => b.entry.note).sort(), bodies.map((b) => b.note).sort());
    assert.ok(second.context.pages().every((p) => !p.url().startsWith(crm.origin)), 'no CRM page was needed');
  } finally {
    await second.context.close();
    await down.close();
  }
});
