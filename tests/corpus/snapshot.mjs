// Saves a page of a real CRM as its browser shows it to a logged-in user, for the discovery
// corpus: the style sheets inlined (what CSS hides stays hidden), the controls' current values
// written into attributes (a script set them; a saved page would otherwise lose them), and its
// scripts, frames and form actions removed. Used by tests/corpus/<crm>/capture.mjs.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../e2e/lib/extension.mjs';

/** Which half a page belongs to, fixed by its name before anyone looks at it. */
export const half = (name) => (createHash('sha256').update(name).digest()[0] % 2 === 0 ? 'pages' : 'held-out');

/** The page in `page` (Playwright) as a standalone HTML document. */
export function snapshot(page) {
  return page.evaluate(() => {
    // Only the rules that style something on this page (a CRM's whole sheet is 300 KB).
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
    const live = document.querySelectorAll('input, textarea, select');
    const copied = copy.querySelectorAll('input, textarea, select');
    live.forEach((el, i) => {
      const twin = copied[i];
      if (el.tagName === 'INPUT' && el.type !== 'password') twin.setAttribute('value', el.value);
      if (el.tagName === 'INPUT' && el.type === 'checkbox') twin.toggleAttribute('checked', el.checked);
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
}

/** Saves the page in `page` as tests/fixtures/<half>/<name>.html and says where it went. */
export async function save(page, name, path) {
  const html = await snapshot(page);
  const dir = join(ROOT, 'tests', 'fixtures', half(name));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.html`), html);
  console.log(`${half(name).padEnd(9)} ${name} ${path} ${html.length} bytes`);
}
