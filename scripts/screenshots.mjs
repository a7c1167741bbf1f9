// `make screenshots`: pictures of what a user sees, taken from the real extension (dist/chrome
// with the demo preset) in headless Chromium against the demo CRM and the widget simulator, into
// docs/screenshots/. Each picture is taken after the state it shows is reached (widget answered,
// contacts read, a call logged), so a broken build gives a broken picture, not an old one.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDemoCrm } from '../tests/demo-crm/server.mjs';
import {
  ROOT, buildDevExtension, launchChromium, waitForSiteRegistration, waitForFrame, demoConfig,
  openWidgetHostPage,
} from '../tests/e2e/lib/extension.mjs';

const outDir = join(ROOT, 'docs', 'screenshots');
await mkdir(outDir, { recursive: true });
const crm = await startDemoCrm();
const config = {
  ...demoConfig(crm.origin),
  ownNumbers: ['+1 650 555 0100'],
  siteOptions: { 'http://127.0.0.1': { webhook: { url: 'https://hooks.example.com/crm-calls' } } },
};
const dir = await buildDevExtension('chrome', config, join(ROOT, 'target', 'screenshots'));
const browser = await launchChromium(dir);
const { context, extensionId } = browser;
const shots = [];
const shoot = async (page, name, options = {}) => {
  const path = join(outDir, `${name}.png`);
  await page.screenshot({ path, ...options });
  shots.push(path);
};

try {
  await waitForSiteRegistration(browser.worker);
  // 1. The phone floating in the CRM page, after the page's people were read.
  const crmPage = context.pages()[0] ?? await context.newPage();
  await crmPage.goto(`${crm.origin}/contacts`);
  const phone = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`), 20_000);
  await phone.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
  // Three calls with people on the page, so the journal and the phone's activities have rows.
  const people = ['+12065550134', '+493012345620', '+61293744022'];
  const notes = ['Asked for the renewal quote', 'Left a voicemail about the delivery date', 'Booked a demo for Friday'];
  const calls = people.map((number, n) => ({
    triggerType: 'createLog', note: notes[n],
    call: { sessionId: `shot-${n}`, direction: n % 2 ? 'Inbound' : 'Outbound', result: 'Call connected',
      startTime: Date.UTC(2026, 10, 24 + n, 9 + n, 30), duration: 95 + 140 * n,
      from: { phoneNumber: n % 2 ? number : '+16505550100' }, to: { phoneNumber: n % 2 ? '+16505550100' : number } },
  }));
  const answers = await phone.evaluate((bodies) => window.simRequests('callLoggerPath', bodies), calls);
  if (answers.some((a) => a !== 'ok')) throw new Error(`logging for the pictures failed: ${JSON.stringify(answers)}`);
  await crmPage.waitForTimeout(1000);
  await shoot(crmPage, 'crm-floating');

  // 2. Minimised to its round button (the bar's button, top right of the 320 px panel).
  const transform = await crmPage.locator('[data-crm-bridge="phone"]').evaluate((el) => el.style.transform);
  const [x, y] = transform.match(/-?\d+/g).map(Number);
  await crmPage.mouse.click(x + 320 - 19, y + 16);
  await crmPage.waitForTimeout(300);
  await shoot(crmPage, 'crm-minimised');
  const [fx, fy] = (await crmPage.locator('[data-crm-bridge="phone"]').evaluate((el) => el.style.transform))
    .match(/-?\d+/g).map(Number);
  await crmPage.mouse.click(fx + 26, fy + 26); // restored for the next visitor of this profile

  // 3. The toolbar popup for the CRM tab, at the size the browser gives it.
  const helper = await context.newPage();
  await helper.goto(`chrome-extension://${extensionId}/manifest.json`);
  const tab = await helper.evaluate(async () => (await chrome.tabs.query({})).find((t) => t.url?.includes('/contacts')).id);
  const popup = await context.newPage();
  await popup.setViewportSize({ width: 360, height: 480 });
  await popup.goto(`chrome-extension://${extensionId}/popup.html?tab=${tab}`);
  await popup.waitForSelector('body[data-state="on"] #logs-box:not([hidden])', { timeout: 10_000 });
  await popup.waitForTimeout(500);
  // The browser sizes a popup to its body: so does the picture.
  const box = await popup.evaluate(() => ({ width: document.body.offsetWidth, height: document.body.scrollHeight }));
  await popup.setViewportSize({ width: box.width, height: Math.min(600, box.height) });
  await shoot(popup, 'popup');
  await popup.close();

  // 3b. The popup on a page of a longer list, importing all of it (stopped after the picture).
  const list = await context.newPage();
  await list.goto(`${crm.origin}/people`);
  const listTab = await helper.evaluate(async () => (await chrome.tabs.query({})).find((t) => t.url?.includes('/people')).id);
  const importing = await context.newPage();
  await importing.setViewportSize({ width: 360, height: 520 });
  for (let tries = 0; ; tries += 1) { // the walker reads the list page a moment after it loads
    await importing.goto(`chrome-extension://${extensionId}/popup.html?tab=${listTab}`);
    const offered = await importing.waitForSelector('#import-box:not([hidden])', { timeout: 2_000 }).then(() => true, () => false);
    if (offered) break;
    if (tries > 10) throw new Error('the popup never offered the import');
  }
  await importing.locator('#import-start').click();
  await importing.waitForFunction(() => /^Importing page [4-9] of 20/.test(document.getElementById('import-status').textContent), null, { timeout: 20_000 });
  const importBox = await importing.evaluate(() => ({ width: document.body.offsetWidth, height: document.body.scrollHeight }));
  await importing.setViewportSize({ width: importBox.width, height: Math.min(600, importBox.height) });
  await shoot(importing, 'popup-import');
  await importing.locator('#import-cancel').click();
  await importing.close();
  await list.close();

  // 4. The options page, whole, with the journal showing the calls logged above.
  const options = await context.newPage();
  await options.setViewportSize({ width: 1100, height: 900 });
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await options.waitForSelector('body[data-state="ready"]', { timeout: 10_000 });
  await options.waitForFunction(() => document.querySelectorAll('#journal tbody tr').length >= 3, null, { timeout: 10_000 });
  await options.waitForTimeout(500);
  await shoot(options, 'options', { fullPage: true });

  // 4b. A site's editor: its count and last reading, and a recipe tried on the open board page.
  const board = await context.newPage();
  await board.goto(`${crm.origin}/board`);
  await options.bringToFront();
  await options.locator('#sites summary').first().click();
  await options.locator('#recipe-0').fill(await readFile(join(ROOT, 'recipes', 'demo-crm.json'), 'utf8'));
  await options.locator('#preview-recipe-0').click();
  await options.waitForSelector('#recipe-preview-0[data-kind="ok"]', { timeout: 10_000 });
  await options.waitForFunction(() => document.getElementById('contacts-count-0')?.dataset.lastRead, null, { timeout: 10_000 });
  const editor = options.locator('#sites li').first(); // the site's row: head, contacts block, editor
  await editor.evaluate((el) => el.scrollIntoView());
  const editorBox = await editor.boundingBox();
  const preview = await options.locator('#recipe-preview-list-0').boundingBox();
  await shoot(options, 'options-site', { fullPage: true, clip: { x: editorBox.x, y: editorBox.y + (await options.evaluate(() => scrollY)), width: editorBox.width, height: preview.y + preview.height - editorBox.y + 12 } });
  await board.close();
  await options.close();

  // 5. and 6. The side panel and the phone window: the same widget host, other placements.
  for (const [placement, size] of [['panel', { width: 400, height: 760 }], ['window', { width: 360, height: 640 }]]) {
    const host = await openWidgetHostPage(context, extensionId, placement);
    await host.setViewportSize(size);
    await host.waitForSelector('body[data-ping="ok"]', { timeout: 10_000 });
    const sim = await waitForFrame(host, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`), 20_000);
    await sim.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
    await host.waitForTimeout(800);
    await shoot(host, placement === 'panel' ? 'side-panel' : 'phone-window');
    await host.close();
  }
  await helper.close();
  for (const path of shots) console.log(`screenshot  ${path}`);
} finally {
  await context.close();
  await crm.close();
}
