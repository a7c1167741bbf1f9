// `make run`: build output in dist/ → a development copy with the preset → the demo CRM →
// Chromium with the extension loaded and the site enabled.
//   SITE=https://crm.example.com/…   open that site instead of the demo CRM (enabled for it)
//   CONFIG=settings.json             preset settings (README "Automation"); SITE is added to it
//   WIDGET=sim                       frame the local widget simulator instead of the hosted app
// With a display it opens a normal window and runs until closed (or Ctrl+C); without one it runs
// headless, prints what it did and writes target/run/screenshot.png.
import { readFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startDemoCrm } from '../tests/demo-crm/server.mjs';
import { ROOT, buildDevExtension, launchChromium, waitForSiteRegistration, waitForFrame } from '../tests/e2e/lib/extension.mjs';

const { SITE, CONFIG, WIDGET } = process.env;
const outDir = join(ROOT, 'target', 'run');
await mkdir(outDir, { recursive: true });

const crm = await startDemoCrm({ port: Number(process.env.CRM_PORT ?? 0) });
const config = CONFIG ? JSON.parse(await readFile(CONFIG, 'utf8')) : {};
const startUrl = SITE || `${crm.origin}/contacts`;
const site = new URL(startUrl).origin;
config.sites = [...new Set([...(config.sites ?? []), site])];
if (WIDGET === 'sim') config.widget = { ...config.widget, appUrl: `${crm.origin}/widget-sim/` };
else if (WIDGET) config.widget = { ...config.widget, appUrl: WIDGET };

const extensionDir = await buildDevExtension('chrome', config, outDir);
const headless = !process.env.DISPLAY;
// A fresh profile each run: a preset only fills empty settings (it never overwrites a user's
// changes), so an old profile would keep the previous run's sites and widget URL.
await rm(join(outDir, 'profile'), { recursive: true, force: true });
const { context, worker, extensionId } = await launchChromium(extensionDir, {
  headless, userDataDir: join(outDir, 'profile'),
});
await waitForSiteRegistration(worker);
const page = context.pages()[0] ?? await context.newPage();
await page.goto(startUrl);

console.log(`demo CRM         ${crm.origin}/contacts`);
console.log(`extension        ${extensionId} (${extensionDir})`);
console.log(`enabled sites    ${config.sites.join(', ')}`);
console.log(`widget           ${config.widget?.appUrl ?? 'hosted RingCentral Embeddable (default)'}`);
console.log(`opened           ${startUrl}`);

if (headless) {
  const host = await waitForFrame(page, (f) => f.url().startsWith(`chrome-extension://${extensionId}/widget.html`), 15_000)
    .catch(() => null);
  if (host) {
    await host.waitForSelector('body[data-ping="ok"]', { timeout: 10_000 }).catch(() => {});
    await page.waitForTimeout(1500); // let the widget frame paint
    console.log(`widget host      ${await host.locator('#bridge-status-text').textContent()}`);
    const notice = await host.locator('#widget-notice:not([hidden])').textContent().catch(() => null);
    if (notice) console.log(`widget notice    ${notice}`);
  } else {
    console.log('widget host      not injected (is the site enabled and reachable?)');
  }
  const shot = join(outDir, 'screenshot.png');
  await page.screenshot({ path: shot });
  console.log(`screenshot       ${shot}`);
  await context.close();
  await crm.close();
} else {
  console.log('Chromium is open; close it or press Ctrl+C to stop.');
  const stop = async () => { await context.close().catch(() => {}); await crm.close(); process.exit(0); };
  process.on('SIGINT', stop);
  context.on('close', stop);
}
