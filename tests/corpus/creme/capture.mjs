// Captures pages of a real Creme CRM (creme-crm from PyPI, set up by tests/corpus/creme/setup)
// for the discovery corpus (tests/corpus/snapshot.mjs), saved under
// tests/fixtures/<half>/creme-<view>-<pk>.html. Expected contacts are written by hand
// (tests/corpus/creme/expected.py), from what the pages show.
//   node tests/corpus/creme/capture.mjs http://127.0.0.1:8765 <seeded.json> [browser locale] [name prefix]
// (Creme speaks the browser's language: `fr-FR creme-fr` captures the French pages.)
import { readFile } from 'node:fs/promises';
import { launchPlainChromium } from '../../e2e/lib/extension.mjs';
import { save } from '../snapshot.mjs';

const [origin = 'http://127.0.0.1:8765', seededPath = '/tmp/creme-work/seeded.json', locale = 'en-US', prefix = 'creme'] = process.argv.slice(2);
const seeded = JSON.parse(await readFile(seededPath, 'utf8'));

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
  await save(page, name, path);
}
await browser.close();
