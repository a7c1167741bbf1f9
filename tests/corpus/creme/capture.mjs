// Captures pages of a real Creme CRM (creme-crm from PyPI, set up by tests/corpus/creme/setup)
// for the discovery corpus: each page as its browser shows it to a logged-in user, with its
// style sheets inlined (what CSS hides stays hidden) and its scripts and form actions removed,
// saved under tests/fixtures/<half>/creme-<view>-<pk>.html. Expected contacts are written by
// hand (tests/corpus/creme/expected.json), from what the pages show.
//   node tests/corpus/creme/capture.mjs http://127.0.0.1:8765 <seeded.json> [browser locale] [name prefix]
// (Creme speaks the browser's language: `fr-FR creme-fr` captures the French pages.)
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ROOT, launchPlainChromium } from '../../e2e/lib/extension.mjs';

const [origin = 'http://127.0.0.1:8765', seededPath = '/tmp/creme-work/seeded.json', locale = 'en-US', prefix = 'creme'] = process.argv.slice(2);
const seeded = JSON.parse(await readFile(seededPath, 'utf8'));

/** Which half a page belongs to, fixed by its name before anyone looks at it. */
export const half = (name) => (createHash('sha256').update(name).digest()[0] % 2 === 0 ? 'pages' : 'held-out');

const views = [
  ...seeded.contacts.map((c) => [`${prefix}-contact-${c.pk}`, `/persons/contact/${c.pk}`]),
  ...seeded.contacts.filter((_, i) => i % 2 === (prefix === 'creme' ? 0 : 1)).map((c) => [`${prefix}-contact-edit-${c.pk}`, `/persons/contact/edit/${c.pk}`]),
  ...seeded.orgs.map((o) => [`${prefix}-organisation-${o.pk}`, `/persons/organisation/${o.pk}`]),
  ...seeded.orgs.filter((_, i) => i % 2 === (prefix === 'creme' ? 0 : 1)).map((o) => [`${prefix}-organisation-edit-${o.pk}`, `/persons/organisation/edit/${o.pk}`]),
  [`${prefix}-contacts`, '/persons/contacts'],
  [`${prefix}-organisations`, '/persons/organisations'],
  [`${prefix}-leads-customers`, '/persons/leads_customers'],
];

const browser = await launchPlainChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, locale });
await page.goto(`${origin}/creme_login?next=/`);
await page.fill('input[name="username"]', 'root');
await page.fill('input[name="password"]', 'admin-pass-1');
await Promise.all([page.waitForNavigation(), page.click('button[type="submit"], input[type="submit"]')]);
for (const [name, path] of views) {
  await page.goto(origin + path, { waitUntil: 'networkidle' });
  const html = await page.evaluate(() => {
    // Only the rules that style something on this page (the site's whole sheet is 300 KB).
    const css = [];
    const used = (rule) => {
      if (rule.selectorText) {
        try { return document.querySelector(rule.selectorText.replace(/::?(before|after|hover|focus|active|visited|placeholder|-webkit-[\w-]+|-moz-[\w-]+)/g, '')) !== null; } catch { return false; }
      }
      if (rule.cssRules) return [...rule.cssRules].some(used);
      return false;
    };
    for (const sheet of document.styleSheets) {
      try { for (const rule of sheet.cssRules) if (used(rule)) css.push(rule.cssText); } catch { /* another origin */ }
    }
    const copy = document.documentElement.cloneNode(true);
    // Controls' current values (set by script or typed) become attributes, as the page shows them.
    const live = document.querySelectorAll('input, textarea, select');
    const copied = copy.querySelectorAll('input, textarea, select');
    live.forEach((el, i) => {
      const twin = copied[i];
      if (el.tagName === 'INPUT' && el.type !== 'password') twin.setAttribute('value', el.value);
      if (el.tagName === 'TEXTAREA') twin.textContent = el.value;
      if (el.tagName === 'SELECT') [...twin.options].forEach((o, j) => { if (el.options[j]?.selected) o.setAttribute('selected', ''); else o.removeAttribute('selected'); });
    });
    copy.querySelectorAll('script, link[rel="stylesheet"], link[rel="preload"], iframe').forEach((el) => el.remove());
    copy.querySelectorAll('form').forEach((f) => f.removeAttribute('action'));
    copy.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach((el) => el.remove());
    const style = document.createElement('style');
    style.textContent = css.join('\n').replace(/url\([^)]*\)/g, 'none');
    copy.querySelector('head').append(style);
    return `<!doctype html>\n${copy.outerHTML}`;
  });
  const dir = join(ROOT, 'tests', 'fixtures', half(name));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.html`), html);
  console.log(`${half(name).padEnd(9)} ${name} ${path} ${html.length} bytes`);
}
await browser.close();
