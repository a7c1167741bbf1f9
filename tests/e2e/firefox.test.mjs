// Firefox smoke test: the same checks as Chromium's in headless Firefox ESR, with the add-on
// installed as a temporary add-on through geckodriver (Playwright cannot drive stock Firefox).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Builder, By, until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { startDemoCrm } from '../demo-crm/server.mjs';
import { buildDevExtension, demoConfig } from './lib/extension.mjs';

let crm;
let driver;

before(async () => {
  crm = await startDemoCrm();
  const dir = await buildDevExtension('firefox', demoConfig(crm.origin));
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX ?? '/usr/bin/firefox-esr')
    .addArguments('-headless')
    .windowSize({ width: 1280, height: 800 });
  const geckodriver = execFileSync('bash', ['-c', 'command -v geckodriver']).toString().trim();
  driver = await new Builder()
    .forBrowser('firefox')
    .setFirefoxOptions(options)
    .setFirefoxService(new firefox.ServiceBuilder(geckodriver))
    .build();
  await driver.installAddon(`${dir}.xpi`, true);
});

after(async () => {
  await driver?.quit();
  await crm?.close();
});

/** Waits for the content script's host element, retrying while the event page registers it. */
async function openWithWidget(url) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    await driver.get(url);
    const found = await driver.wait(until.elementLocated(By.css('crm-bridge-phone')), 2_000).then(() => true, () => false);
    if (found) return;
    if (Date.now() > deadline) throw new Error(`no widget host on ${url}`);
  }
}

async function assertRelays() {
  // The host element's shadow root is closed; WebDriver reaches its frame by index. The frame
  // gets its address once the content script has its admission ticket, so wait for it.
  await driver.wait(async () => {
    await driver.switchTo().defaultContent();
    await driver.switchTo().frame(0);
    const href = await driver.executeScript('return location.href');
    return typeof href === 'string' && /^moz-extension:\/\/[^/]+\/widget\.html/.test(href);
  }, 10_000, 'the widget host never loaded');
  await driver.wait(until.elementLocated(By.css('body[data-ping="ok"]')), 10_000);
  await driver.switchTo().frame(driver.findElement(By.id('rc-widget-adapter-frame')));
  await driver.wait(until.elementLocated(By.css('body[data-relay="answered"]')), 10_000);
  await driver.switchTo().defaultContent();
}

test('firefox: the simulator gets one registration and valid answers to every recorded request', async () => {
  await openWithWidget(`${crm.origin}/contacts`);
  await assertRelays();
  await driver.switchTo().frame(0);
  await driver.switchTo().frame(driver.findElement(By.id('rc-widget-adapter-frame')));
  const body = await driver.wait(until.elementLocated(By.css('body[data-suite]:not([data-suite="waiting"])')), 60_000);
  const summary = await body.getAttribute('data-suite-summary');
  assert.equal(await body.getAttribute('data-suite'), 'passed', summary);
  assert.match(summary, /^\d+ passed, 0 failed/);
  assert.equal(await body.getAttribute('data-registration'), 'registered');
  await driver.switchTo().defaultContent();
});

test('firefox: the widget host appears on an enabled page and relays both ways', async () => {
  await openWithWidget(`${crm.origin}/contacts`);
  await assertRelays();
});

test('firefox: a strict page CSP does not block the widget host', async () => {
  await openWithWidget(`${crm.origin}/strict-csp`);
  await assertRelays();
});

test('firefox: a site that is not enabled gets no widget', async () => {
  await driver.get(`${crm.origin.replace('127.0.0.1', 'localhost')}/contacts`);
  await driver.sleep(1500);
  assert.equal((await driver.findElements(By.css('crm-bridge-phone'))).length, 0);
});
