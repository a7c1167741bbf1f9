// The demo CRM: a small, realistic CRM web app on 127.0.0.1 for `make run` and the e2e tests.
// Contacts list, contact detail pages, company pages, an SPA section (history navigation), and a
// strict-CSP page. It also serves the widget simulator under /widget-sim/.
//
//   node tests/demo-crm/server.mjs [--port N]      prints {"origin": "..."} and serves until killed
import { createServer } from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const simDir = join(here, '..', 'widget-sim');
const fixturesDir = join(here, '..', 'fixtures', 'widget');
const data = JSON.parse(await readFile(join(here, 'contacts.json'), 'utf8'));
const companyById = new Map(data.companies.map((c) => [c.id, c]));
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.svg': 'image/svg+xml',
};

const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fullName = (p) => `${p.first} ${p.last}`;

function layout(title, active, main) {
  const nav = [['/contacts', 'Contacts'], ['/companies', 'Companies'], ['/people', 'Customers'], ['/app/', 'Pipeline']]
    .map(([href, label]) => `<a href="${href}"${active === label ? ' aria-current="page"' : ''}>${label}</a>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>${escape(title)} · Northwind CRM</title><link rel="stylesheet" href="/static/crm.css"><link rel="icon" href="/static/favicon.svg"></head>
<body><header class="top"><a class="brand" href="/contacts">Northwind CRM</a>
<input class="search" type="search" placeholder="Search records" aria-label="Search records"></header>
<div class="shell"><nav class="side">${nav}</nav><main>${main}</main></div></body></html>`;
}

function contactsPage() {
  const rows = data.contacts.map((p) => {
    const company = companyById.get(p.company);
    return `<tr><td><a href="/contacts/${p.id}">${escape(fullName(p))}</a></td>
<td><a href="/companies/${company.id}">${escape(company.name)}</a></td>
<td><a href="tel:${escape(p.phone)}">${escape(p.phone)}</a></td><td>${escape(p.email)}</td></tr>`;
  }).join('');
  return layout('Contacts', 'Contacts', `<h1>Contacts</h1><p class="meta">${data.contacts.length} records</p>
<table class="grid"><thead><tr><th>Name</th><th>Company</th><th>Phone</th><th>Email</th></tr></thead>
<tbody>${rows}</tbody></table>`);
}

function contactPage(p) {
  const company = companyById.get(p.company);
  const field = (label, value) => (value ? `<dt>${label}</dt><dd>${value}</dd>` : '');
  return layout(fullName(p), 'Contacts', `<p class="crumbs"><a href="/contacts">Contacts</a> / ${escape(fullName(p))}</p>
<h1>${escape(fullName(p))}</h1><p class="meta">${escape(p.title)} · ${escape(company.name)}</p>
<section class="card"><h2>Details</h2><dl>
${field('Phone', `<a href="tel:${escape(p.phone)}">${escape(p.phone)}</a>`)}
${field('Mobile', p.mobile && escape(p.mobile))}
${field('Email', `<a href="mailto:${escape(p.email)}">${escape(p.email)}</a>`)}
${field('Company', `<a href="/companies/${company.id}">${escape(company.name)}</a>`)}
${field('Country', escape(company.country))}
${field('Fax', p.fax && escape(p.fax))}
${field('Notes', p.notes && escape(p.notes))}
</dl></section>`);
}

function companiesPage() {
  const rows = data.companies.map((c) => `<tr><td><a href="/companies/${c.id}">${escape(c.name)}</a></td>
<td>${escape(c.city)}</td><td>${escape(c.country)}</td><td>${escape(c.phone)}</td></tr>`).join('');
  return layout('Companies', 'Companies', `<h1>Companies</h1><table class="grid"><thead><tr>
<th>Name</th><th>City</th><th>Country</th><th>Main line</th></tr></thead><tbody>${rows}</tbody></table>`);
}

function companyPage(c) {
  const people = data.contacts.filter((p) => p.company === c.id).map((p) => `<li class="card person">
<a href="/contacts/${p.id}">${escape(fullName(p))}</a><span>${escape(p.title)}</span><span>${escape(p.phone)}</span></li>`).join('');
  return layout(c.name, 'Companies', `<p class="crumbs"><a href="/companies">Companies</a> / ${escape(c.name)}</p>
<h1>${escape(c.name)}</h1><p class="meta">${escape(c.city)}, ${escape(c.country)} · Main line ${escape(c.phone)}</p>
<h2>People</h2><ul class="people">${people}</ul>`);
}

// Pages that try to hurt discovery (issue 6): huge text, deep nesting, 200,000 numbers, and a
// page that redefines the builtins a walker would use. Each still shows one real contact.
const contactTable = (name, phone, id) => `<table class="grid"><thead><tr><th>Name</th><th>Phone</th></tr></thead>
<tbody><tr><td><a href="/contacts/${id}">${escape(name)}</a></td><td>${escape(phone)}</td></tr></tbody></table>`;
function hostilePage(kind) {
  const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
  switch (kind) {
    case 'huge-text':
      return page('Huge', `<h1>Notes</h1><pre>${'Lorem ipsum 030 1234567 dolor sit amet. '.repeat(260_000)}</pre>${contactTable('Hugh Text', '+1 206 555 0171', 901)}`);
    case 'numbers':
      return page('Numbers', `<h1>Numbers</h1>${contactTable('Nora Numbers', '+1 206 555 0172', 902)}<ul>${
        Array.from({ length: 200_000 }, (_, i) => `<li>+1 206 555 ${String(i % 10_000).padStart(4, '0')}</li>`).join('')}</ul>`);
    case 'deep':
      // The HTML parser flattens nesting beyond 512 levels: the page builds its 20,000 levels
      // itself, undisplayed (laid out, that depth crashes Chromium's renderer with or without us).
      return page('Deep', `<h1>Deep</h1>${contactTable('Dee Deep', '+1 206 555 0173', 903)}<div id="root" style="display:none"></div><script>
let at = document.getElementById('root');
for (let i = 0; i < 20000; i += 1) { const d = document.createElement('div'); at.appendChild(d); at = d; }
at.textContent = 'Phone: +1 206 555 0199 at the bottom of 20,000 levels';
</script>`);
    case 'builtins':
      return page('Builtins', `<h1>Contacts</h1>${contactTable('<img src=x onerror="window.pwned=1"> Bea Builtins', '+1 206 555 0174', 904)}<script>
Array.prototype.push = function () { throw new Error('no push'); };
Array.prototype.map = () => [];
JSON.stringify = () => '{"version":1,"forged":true}';
JSON.parse = () => ({});
window.MutationObserver = function () { throw new Error('no observer'); };
Object.keys = () => [];
String.prototype.replace = function () { return 'forged'; };
Element.prototype.querySelectorAll = () => [];
document.createTreeWalker = () => { throw new Error('no walker'); };
</script>`);
    default:
      return null;
  }
}

// A page the generic detectors deliberately cannot read (no labels, no headers, no repeated
// blocks, numbers loose on the page): people as positioned tiles. recipes/demo-crm.json teaches it.
function boardPage() {
  const people = [
    ['1', 'Sven Larsen', 'Fjord Shipping AS', '+390612345678'],
    ['2', 'Ines Duarte', 'Lisboa Têxteis', '+81312345678'],
    ['3', 'Kofi Mensah', 'Accra Cocoa Ltd', '+41446681800'],
  ];
  const tiles = people.map(([id, name, org, number], i) => `<div class="tile tile-${i + 1}" style="position:absolute;left:${i * 220}px">
<span class="who">${escape(name)}</span><span class="org">${escape(org)}</span><span class="num">${number}</span>
<a class="open" href="/board/${id}">open</a></div>`).join('');
  return layout('Board', '', `<h1>Board</h1><div class="board" style="position:relative;height:120px">${tiles}</div>`);
}

// The customer directory: 2,000 generated people, 100 a page, paginated the way CRMs do it
// (a pager with numbered links and "Next ›", no rel=next) — the bulk import's test bed.
const FIRST = ['Ada', 'Ben', 'Cleo', 'Dev', 'Elif', 'Femi', 'Gala', 'Hugo', 'Iris', 'Jonas', 'Kira', 'Lars',
  'Mina', 'Nils', 'Olga', 'Pia', 'Quinn', 'Rafa', 'Sana', 'Tom', 'Uma', 'Vito', 'Wen', 'Xenia', 'Yusuf',
  'Zoe', 'Aiko', 'Bruno', 'Chiara', 'Dmitri', 'Esme', 'Farid', 'Greta', 'Hana', 'Ivo', 'Jada', 'Kenji',
  'Lucia', 'Marek', 'Noor'];
const LAST = ['Abbott', 'Baker', 'Castro', 'Dietrich', 'Eriksen', 'Fischer', 'Garcia', 'Holm', 'Ibsen',
  'Jensen', 'Kowalski', 'Laine', 'Moreau', 'Novak', 'Okafor', 'Petrov', 'Quist', 'Rossi', 'Sato', 'Tanaka',
  'Urban', 'Vance', 'Weber', 'Xu', 'Yilmaz', 'Zeller', 'Andersen', 'Brandt', 'Costa', 'Duval', 'Engel',
  'Ferreira', 'Gomez', 'Hart', 'Ivanova', 'Jovanovic', 'Keller', 'Lindqvist', 'Marino', 'Nakamura', 'Olsen',
  'Park', 'Quintero', 'Reyes', 'Svensson', 'Torres', 'Ueda', 'Varga', 'Wolff', 'Young'];
export const DIRECTORY = Array.from({ length: FIRST.length * LAST.length }, (_, i) => ({
  id: `p${String(i + 1).padStart(4, '0')}`,
  name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length)]}`,
  phone: `+1 206 555 ${String(2000 + i).padStart(4, '0')}`,
  email: `${FIRST[i % FIRST.length].toLowerCase()}.${LAST[Math.floor(i / FIRST.length)].toLowerCase()}@customers.example`,
}));
const DIRECTORY_PAGE = 100;
function directoryPage(number) {
  const pages = Math.ceil(DIRECTORY.length / DIRECTORY_PAGE);
  const at = Math.min(Math.max(1, number), pages);
  const shown = DIRECTORY.slice((at - 1) * DIRECTORY_PAGE, at * DIRECTORY_PAGE);
  const rows = shown.map((p) => `<tr><td><a href="/people/${p.id}">${escape(p.name)}</a></td>
<td>${escape(p.phone)}</td><td>${escape(p.email)}</td></tr>`).join('');
  const link = (page, text, label) => `<a href="/people?page=${page}"${label ? ` aria-label="${label}"` : ''}>${text}</a>`;
  const numbers = Array.from({ length: pages }, (_, i) => (i + 1 === at
    ? `<span aria-current="page">${at}</span>` : link(i + 1, String(i + 1)))).join(' ');
  const pager = `<nav class="pager" aria-label="Pagination">${at > 1 ? link(at - 1, '‹ Previous') : ''} ${numbers}
${at < pages ? link(at + 1, 'Next ›') : '<span class="disabled">Next ›</span>'}</nav>`;
  return layout('Customers', 'Customers', `<h1>Customers</h1>
<p class="meta">Showing ${(at - 1) * DIRECTORY_PAGE + 1}–${(at - 1) * DIRECTORY_PAGE + shown.length} of ${DIRECTORY.length}</p>
<table class="grid"><thead><tr><th>Name</th><th>Phone</th><th>Email</th></tr></thead><tbody>${rows}</tbody></table>${pager}`);
}

// A list with no pager that grows as it is scrolled (`more=scroll`, 30 rows at a time in a
// scrolling box), by its "Load more" button (`more=button`), or a virtual list that keeps only
// the rows in view (`more=virtual`): people `from`…`from + count` of the directory.
function feedPage(params) {
  const from = Math.max(0, Number(params.get('from')) || 0);
  const count = Math.min(500, Math.max(1, Number(params.get('count')) || 150));
  const more = ['button', 'virtual'].includes(params.get('more')) ? params.get('more') : 'scroll';
  const people = DIRECTORY.slice(from, from + count).map(({ id, name, phone, email }) => ({ id, name, phone, email }));
  // Inside a script element: "<" escaped so no name can close it.
  const json = JSON.stringify(people).replace(/</g, '\\u003c');
  return layout('Feed', 'Customers', `<h1>Customer feed</h1>
<div id="feed-box" class="feed-box" style="height:420px;overflow-y:auto;border:1px solid #ddd">
<table class="grid"><thead><tr><th>Name</th><th>Phone</th><th>Email</th></tr></thead><tbody id="feed"></tbody></table></div>
${more === 'button' ? '<p><button id="load-more" type="button">Load more</button></p>' : ''}
<script id="feed-data" type="application/json">${json}</script>
<script src="/static/feed.js" data-more="${more}"></script>`);
}

function spaShell() {
  return layout('Pipeline', 'Pipeline', `<h1>Pipeline</h1><div id="spa" aria-live="polite">Loading…</div>
<script src="/static/spa.js"></script>`);
}

// When the directory's pages were asked for (the bulk-import test checks the rate limit).
const directoryRequests = [];
// Sign-in sessions (cookie `crm_session`, issued by /login) and the call and message logs the
// CRM's own endpoint took (the recipe's `log`, API mode): [{session, idempotencyKey, event, key}].
const sessions = new Set();
const activities = [];
const sessionOf = (req) => /(?:^|;\s*)crm_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
const readBody = (req) => new Promise((resolve, reject) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))).on('error', reject);
});

const STRICT_CSP = "default-src 'self'; frame-src 'none'; script-src 'self'; object-src 'none'";

async function route(req, res) {
  const url = new URL(req.url, 'http://demo');
  const send = (status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': TYPES['.html'], 'cache-control': 'no-store', ...headers });
    res.end(body);
  };
  const path = url.pathname;
  if (path === '/') return send(302, '', { location: '/contacts' });
  if (path === '/favicon.ico') return send(302, '', { location: '/static/favicon.svg' });
  if (path === '/contacts') return send(200, contactsPage());
  // Signing in gives the browser a session cookie, as a real CRM would (HttpOnly, SameSite=Lax).
  if (path === '/login') {
    const session = `s-${sessions.size + 1}-${Math.random().toString(36).slice(2, 10)}`;
    sessions.add(session);
    return send(200, layout('Signed in', '', '<h1>Signed in</h1>'), { 'set-cookie': `crm_session=${session}; Path=/; HttpOnly; SameSite=Lax` });
  }
  if (path === '/logout') {
    sessions.delete(sessionOf(req));
    return send(200, layout('Signed out', '', '<h1>Signed out</h1>'), { 'set-cookie': 'crm_session=; Path=/; Max-Age=0' });
  }
  // The CRM's activity endpoint: logs POSTed with the user's session, one per idempotency key.
  if (path === '/api/activities' && req.method === 'POST') {
    const session = sessionOf(req);
    const json = (status, body) => send(status, JSON.stringify(body), { 'content-type': 'application/json' });
    if (!sessions.has(session)) return json(401, { error: 'not signed in' });
    const body = JSON.parse(await readBody(req));
    const idempotencyKey = req.headers['idempotency-key'];
    if (activities.some((a) => a.idempotencyKey === idempotencyKey)) return json(200, { duplicate: true });
    activities.push({ session, idempotencyKey, event: req.headers['x-crm-bridge-event'], key: body.entry?.key, subject: body.subject });
    return json(201, { ok: true });
  }
  if (path === '/strict-csp') return send(200, contactsPage(), { 'content-security-policy': STRICT_CSP });
  if (path === '/companies') return send(200, companiesPage());
  if (path === '/people') {
    directoryRequests.push({ at: Date.now(), page: Number(url.searchParams.get('page') || 1) });
    return send(200, directoryPage(Number(url.searchParams.get('page') || 1) || 1));
  }
  // A page with no people on it (account settings): tests that count contacts start here.
  if (path === '/settings') return send(200, layout('Settings', '', `<h1>Account settings</h1>
<section class="card"><h2>Plan</h2><dl><dt>Plan</dt><dd>Team (12 seats)</dd><dt>Renews</dt><dd>2027-01-31</dd>
<dt>Invoice</dt><dd>INV-2026-004211</dd></dl></section>`));
  // The benchmark's baseline frame: echoes every message to its sender (a cross-frame round trip).
  if (path === '/echo') return send(200, '<!doctype html><script>addEventListener("message", (e) => e.source.postMessage(e.data, "*"))</script>');
  let match = path.match(/^\/contacts\/(\w+)$/);
  if (match) {
    const person = data.contacts.find((p) => p.id === match[1]);
    return person ? send(200, contactPage(person)) : send(404, layout('Not found', '', '<h1>No such contact</h1>'));
  }
  match = path.match(/^\/people\/(p\d{4})$/);
  if (match) {
    const person = DIRECTORY.find((p) => p.id === match[1]);
    if (person) {
      return send(200, layout(person.name, 'Customers', `<p class="crumbs"><a href="/people">Customers</a> / ${escape(person.name)}</p>
<h1>${escape(person.name)}</h1><section class="card"><h2>Details</h2><dl><dt>Phone</dt><dd>${escape(person.phone)}</dd>
<dt>Email</dt><dd>${escape(person.email)}</dd></dl></section>`));
    }
  }
  match = path.match(/^\/companies\/(\w+)$/);
  if (match && companyById.has(match[1])) return send(200, companyPage(companyById.get(match[1])));
  if (path === '/app' || path.startsWith('/app/')) return send(200, spaShell());
  if (path === '/board') return send(200, boardPage());
  if (path === '/feed') return send(200, feedPage(url.searchParams));
  if (path.startsWith('/hostile/')) {
    const page = hostilePage(path.slice('/hostile/'.length));
    if (page) return send(200, page);
  }
  // The directory as a JSON API, paginated with a next link (the recipe API mode's test bed).
  if (path === '/api/people') {
    const page = Math.max(1, Number(url.searchParams.get('page') || 1) || 1);
    directoryRequests.push({ at: Date.now(), page, api: true });
    const data = DIRECTORY.slice((page - 1) * DIRECTORY_PAGE, page * DIRECTORY_PAGE).map((p) => {
      const [first, last] = p.name.split(' ');
      return { id: p.id, first, last, phones: [{ type: 'work', number: p.phone }], email: p.email };
    });
    const next = page * DIRECTORY_PAGE < DIRECTORY.length ? `/api/people?page=${page + 1}` : null;
    return send(200, JSON.stringify({ data, links: { next } }), { 'content-type': 'application/json; charset=utf-8' });
  }
  if (path === '/api/contacts') {
    return send(200, JSON.stringify(data), { 'content-type': TYPES['.json'] });
  }
  if (path === '/fixtures/widget/index.json') {
    const names = async (sub) => (await readdir(join(fixturesDir, sub)))
      .filter((n) => n.endsWith('.json')).map((n) => (sub ? `${sub}/${n}` : n));
    return send(200, JSON.stringify([...await names(''), ...await names('calls')]), { 'content-type': TYPES['.json'] });
  }
  const staticRoots = [['/static/', join(here, 'static')], ['/widget-sim/', simDir], ['/fixtures/widget/', fixturesDir]];
  for (const [prefix, dir] of staticRoots) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(dir, path.slice(prefix.length) || 'index.html'));
    if (!file.startsWith(dir)) break;
    try {
      return send(200, await readFile(file), { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    } catch { break; }
  }
  send(404, layout('Not found', '', '<h1>Not found</h1>'));
}

/**
 * Starts the demo CRM on 127.0.0.1 (and on `extraHosts`, other loopback addresses that act as
 * other sites, on the same port); resolves to {origin, port, close}.
 */
export async function startDemoCrm({ port = 0, extraHosts = [] } = {}) {
  const handler = (req, res) => {
    route(req, res).catch((err) => { res.writeHead(500); res.end(String(err)); });
  };
  const listen = (host, wanted) => new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(wanted, host, () => resolve(server));
  });
  const main = await listen('127.0.0.1', port);
  const actual = main.address().port;
  const servers = [main, ...await Promise.all(extraHosts.map((host) => listen(host, actual)))];
  return {
    origin: `http://127.0.0.1:${actual}`,
    port: actual,
    /** The directory pages asked for so far: [{at, page}]. */
    directoryRequests: () => [...directoryRequests],
    /** What the CRM's activity endpoint took: [{session, idempotencyKey, event, key, subject}]. */
    activities: () => [...activities],
    /** The sessions signed in now. */
    sessions: () => [...sessions],
    close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf('--port');
  const { origin } = await startDemoCrm({ port: flag > 0 ? Number(process.argv[flag + 1]) : 0 });
  console.log(JSON.stringify({ origin }));
}
