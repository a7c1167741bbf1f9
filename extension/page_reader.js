// Reads one page of a CRM list off-screen for the bulk import (src/bulk_import): fetches it from
// the site's origin with the user's session, parses it inert — DOMParser runs no script and
// loads nothing — and runs the same discovery walker a page the user opens gets. The answer is
// one `PageReaderAnswer` (src/protocol/bridge.rs); the Rust side decides everything else.
//
// Chrome's service worker has no DOMParser, so there this module lives in the offscreen
// document (offscreen.html); Firefox's event page imports it itself.
import './discover.js';

const MAX_CHARS = 10 * 1024 * 1024;
const HTML = new Set(['', 'text/html', 'application/xhtml+xml']);

/**
 * `request`: {url, recipe, json}. Resolves to {kind: 'read', evidence}, for a page of the
 * recipe's JSON API (`json`) to {kind: 'json', text}, or to why the page was not read.
 */
export async function readPage({ url, recipe, json }) {
  let response;
  try {
    response = await fetch(url, {
      credentials: 'include', // the user's CRM session, as when they open the page
      cache: 'no-store',
      headers: { accept: json ? 'application/json' : 'text/html,application/xhtml+xml' },
    });
  } catch (err) {
    return { kind: 'network', message: String((err && err.message) || err) };
  }
  const landed = response.url || url;
  const origin = new URL(landed).origin;
  if (origin !== new URL(url).origin) return { kind: 'otherOrigin', origin };
  if (!response.ok) return { kind: 'status', status: response.status };
  const type = (response.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  const isJson = type === 'application/json' || type.endsWith('+json');
  if (json && !isJson) return { kind: 'notJson', contentType: type.slice(0, 80) };
  if (!json && !HTML.has(type)) return { kind: 'notHtml', contentType: type.slice(0, 80) };
  if (Number(response.headers.get('content-length') || 0) > MAX_CHARS) return { kind: 'tooLarge' };
  let html;
  try {
    html = await response.text();
  } catch (err) {
    return { kind: 'network', message: String((err && err.message) || err) };
  }
  if (html.length > MAX_CHARS) return { kind: 'tooLarge' };
  if (json) return { kind: 'json', text: html }; // read by the background (src/bulk_import/api.rs)
  const doc = new DOMParser().parseFromString(html, 'text/html');
  // Links resolve against the page's address, not ours (a page's own <base> stays in force).
  const base = doc.querySelector('base[href]');
  if (base) base.setAttribute('href', new URL(base.getAttribute('href'), landed).href);
  else doc.head.prepend(Object.assign(doc.createElement('base'), { href: landed }));
  const { evidence } = await globalThis.__crmBridgeCollect(doc, { url: landed, recipe, noYield: true });
  return { kind: 'read', evidence };
}
