// Widget simulator: behaves like RingCentral Embeddable 2.3.1 seen from its host window.
// Like the real widget (protocol.md §2.2) it posts everything to window.parent with target '*',
// matches answers by responseId only, ignores late answers, and throws on a second registration
// with contactsPath in one lifetime (§3.1). After registration it replays every request recorded
// from the real widget (tests/fixtures/widget/) against the paths the host registered and checks
// each answer with the shared response schemas.
import { makeChecker } from './schema.js';

const $ = (id) => document.getElementById(id);
const body = document.body;
const pending = new Map();
const answeredIds = new Set();
// unpackMs: time spent reading answers out of their message events (the browser decodes a
// message's data when it is first read), which any sender's pages cost the widget.
const stats = { duplicates: 0, late: 0, unpackMs: 0 };
let service = null;
let registrations = 0;
let checkAnswer = () => ['schemas not loaded'];
let callLogPage = null; // the host's custom log page (§8.3), kept like the widget's $LOG-CALL
const calls = new Map(); // sessionId → the call record this "widget" knows

const TIMEOUTS = { contactsPath: 60_000, contactSearchPath: 30_000, contactMatchPath: 30_000,
  callLogEntityMatcherPath: 30_000, messageLogEntityMatcherPath: 30_000, callLoggerPath: 15_000,
  messageLoggerPath: 15_000 };

function note(text, kind = '') {
  const item = document.createElement('li');
  item.textContent = text;
  if (kind) item.className = kind;
  $('log').append(item);
}

/** Sends one service request and resolves with the whole answer message (§2.1). */
function request(path, requestBody, timeoutMs = 3_000) {
  const requestId = crypto.randomUUID();
  window.parent.postMessage({ type: 'rc-post-message-request', requestId, path, body: requestBody }, '*');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { pending.delete(requestId); reject(new Error(`timeout on ${path}`)); }, timeoutMs);
    pending.set(requestId, (message) => { clearTimeout(timer); resolve(message); });
  });
}

function keyFor(path) {
  return Object.keys(service ?? {}).find((k) => k.endsWith('Path') && service[k] === path);
}

window.addEventListener('message', (event) => {
  const unpacking = performance.now();
  const message = event.data || {};
  if (message.type === 'rc-post-message-response') stats.unpackMs += performance.now() - unpacking;
  switch (message.type) {
    case 'rc-post-message-response': {
      if (answeredIds.has(message.responseId)) { stats.duplicates += 1; return; }
      const settle = pending.get(message.responseId);
      if (!settle) { stats.late += 1; return; }
      pending.delete(message.responseId);
      answeredIds.add(message.responseId);
      settle(message);
      return;
    }
    case 'rc-adapter-register-third-party-service': {
      registrations += 1;
      if (!message.service || !message.service.name) return; // ignored, like the widget
      if (service && service.contactsPath && message.service.contactsPath) {
        body.dataset.registration = 'duplicate';
        note('Error: sourceName already exists (registered twice in one widget lifetime)', 'fail');
        return;
      }
      service = message.service;
      body.dataset.registration = 'registered';
      body.dataset.registeredAtMs = String(Math.round(performance.now())); // since this frame started loading
      onRegistered();
      return;
    }
    case 'rc-adapter-update-authorization-status':
      if (service) { service.authorized = Boolean(message.authorized); service.authorizedAccount = message.authorizedAccount; showAuth(); }
      return;
    case 'rc-adapter-sync-third-party-contacts':
      syncContacts('api');
      return;
    case 'rc-adapter-update-third-party-settings':
      if (service && Array.isArray(message.settings)) { service.settings = message.settings; renderSettings(); }
      return;
    case 'rc-adapter-update-call-log-page':
      callLogPage = message.page;
      return;
    case 'rc-adapter-update-customized-banner':
      showBanner(message.banner ?? {});
      return;
    case 'rc-adapter-navigate-to': {
      body.dataset.route = message.path;
      const session = /^\/log\/call\/(.+)$/.exec(message.path ?? '');
      if (session) showLogPage(decodeURIComponent(session[1]));
      return;
    }
    default:
  }
});

/** The widget's banner (§8.5): one per id; `hidden` removes it; the action goes to buttonEventPath. */
let banner = null;
function showBanner(next) {
  banner = next.hidden ? null : next;
  const box = $('banner');
  box.hidden = !banner;
  box.dataset.severity = banner?.severity ?? '';
  $('banner-text').textContent = banner?.message ?? '';
  $('banner-action').hidden = !banner?.action;
  $('banner-action').textContent = banner?.action?.label ?? '';
}
window.simBanner = () => banner;
document.addEventListener('click', (event) => {
  if (event.target?.id !== 'banner-action' || !banner || !service?.buttonEventPath) return;
  request(service.buttonEventPath, { button: { id: banner.id, type: 'customizedBanner', label: banner.action.label } });
});

/**
 * The order react-jsonschema-form (the widget's renderer) gives the fields: `ui:order`, with
 * `*` standing for the fields it does not name; without it, the properties' own order. Like
 * rjsf, an order that leaves fields out without `*` is an error.
 */
function orderedKeys(properties, order) {
  const keys = Object.keys(properties);
  if (!Array.isArray(order)) return keys;
  const rest = keys.filter((key) => !order.includes(key));
  if (!order.includes('*') && rest.length) throw new Error(`uiSchema order list does not contain ${rest.join(', ')}`);
  return order.filter((key) => key === '*' || keys.includes(key)).flatMap((key) => (key === '*' ? rest : [key]));
}

/** The widget's log page: the host's custom form (schema + uiSchema + formData) for a call. */
function showLogPage(sessionId) {
  const form = $('log-page');
  const page = callLogPage;
  if (!page?.schema?.properties) return;
  $('log-page-title').textContent = page.title ?? 'Log call';
  const fields = orderedKeys(page.schema.properties, page.uiSchema?.['ui:order']).map((key) => {
    const property = page.schema.properties[key];
    const label = document.createElement('label');
    label.textContent = property.title ?? key;
    let input;
    if (Array.isArray(property.enum)) {
      input = document.createElement('select');
      input.append(new Option('', ''), ...property.enum.map((v) => new Option(v, v)));
    } else if (property.type === 'boolean') {
      input = document.createElement('input');
      input.type = 'checkbox';
    } else {
      input = document.createElement(page.uiSchema?.[key]?.['ui:widget'] === 'textarea' ? 'textarea' : 'input');
    }
    input.name = key;
    const value = page.formData?.[key];
    if (input.type === 'checkbox') input.checked = Boolean(value); else if (value !== undefined) input.value = value;
    label.append(input);
    return label;
  });
  $('log-page-fields').replaceChildren(...fields);
  form.dataset.session = sessionId;
  form.hidden = false;
}

$('log-page').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const sessionId = form.dataset.session;
  const formData = {};
  for (const input of form.querySelectorAll('[name]')) formData[input.name] = input.type === 'checkbox' ? input.checked : input.value;
  const missing = (callLogPage.schema.required ?? []).filter((key) => formData[key] === '' || formData[key] === undefined);
  if (missing.length) { $('log-result').textContent = `Required: ${missing.join(', ')}`; return; }
  const answer = await request(service.callLoggerPath, { call: calls.get(sessionId), triggerType: 'logForm', formData, note: formData.note ?? '', redirect: true }, TIMEOUTS.callLoggerPath);
  const matched = await request(service.callLogEntityMatcherPath, { sessionIds: [sessionId], activeSessionIds: [] }, TIMEOUTS.callLogEntityMatcherPath);
  form.hidden = true;
  $('log-result').textContent = answer.response.data === 'ok' && matched.response.data[sessionId] ? 'Call logged' : 'Logging failed';
});

/** Before a call, like the widget: ask the host's do-not-contact check (§4.20). */
async function checkDoNotContact(number) {
  if (!service?.doNotContactPath) return { result: false };
  const answer = await request(service.doNotContactPath, { actionType: 'call', phoneNumber: number }, 10_000);
  return answer.response?.data ?? { result: false };
}

$('dial').addEventListener('click', async () => {
  const number = $('caller').value.trim();
  const verdict = await checkDoNotContact(number);
  if (!verdict.result) $('call-result').textContent = `Calling ${number}`;
  else if (verdict.mode === 'restrict') $('call-result').textContent = `Blocked: ${verdict.message ?? 'do not contact'}`;
  else $('call-result').textContent = `Confirm: ${verdict.message ?? 'do not contact'}`;
});

function showAuth() {
  const button = $('auth-button');
  button.disabled = !service.authorizationPath;
  button.textContent = service.authorized ? (service.authorizedTitle ?? 'Unauthorize') : (service.unauthorizedTitle ?? 'Authorize');
  $('auth-state').textContent = service.authorized
    ? `Connected${service.authorizedAccount ? ` as ${service.authorizedAccount}` : ''}.`
    : 'Not connected: contacts and matching are off.';
}

const SHOWN = 200; // like the widget's virtual list, only what fits is drawn

function renderContacts(list) {
  const items = list.slice(0, SHOWN).map((c) => {
    const item = document.createElement('li');
    item.textContent = `${c.name} · ${(c.phoneNumbers ?? []).map((p) => p.phoneNumber).join(', ')}`;
    return item;
  });
  if (list.length > SHOWN) {
    const more = document.createElement('li');
    more.textContent = `… and ${list.length - SHOWN} more`;
    items.push(more);
  }
  $('contacts').replaceChildren(...items);
  body.dataset.contacts = String(list.length);
}

// Synced contacts, kept like the widget keeps them (§4.1): in memory, by id, with the first
// page's syncTimestamp; later syncs ask for what changed since it and merge.
const synced = { timestamp: null, byId: new Map() };
let syncing = null;

async function syncContacts(type) {
  if (!service?.contactsPath) return [];
  if (syncing) return syncing; // a sync in flight absorbs new triggers
  syncing = (async () => {
    const since = synced.timestamp;
    const received = [];
    let page = 1;
    let firstTimestamp = null;
    for (;;) {
      const answer = await request(service.contactsPath, { page, syncTimestamp: since, ...(type ? { type } : {}) }, TIMEOUTS.contactsPath);
      const { data, nextPage, syncTimestamp } = answer.response;
      if (page === 1) firstTimestamp = syncTimestamp;
      for (const c of Array.isArray(data) ? data : []) received.push(c);
      if (!nextPage) break;
      page = nextPage;
    }
    if (since && firstTimestamp) {
      for (const c of received) { if (c.deleted) synced.byId.delete(c.id); else synced.byId.set(c.id, c); }
    } else {
      synced.byId = new Map(received.map((c) => [c.id, c]));
    }
    synced.timestamp = firstTimestamp || null;
    synced.last = { type: type ?? 'auto', received: received.length, deleted: received.filter((c) => c.deleted).map((c) => c.id) };
    renderContacts([...synced.byId.values()]);
    return received;
  })();
  try { return await syncing; } finally { syncing = null; }
}

function renderSettings() {
  const items = (service.settings ?? []).filter((s) => s.type === 'boolean' || s.type === 'button');
  $('settings').replaceChildren(...items.map((item) => {
    if (item.type === 'button') {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `${item.name}: ${item.buttonLabel ?? 'Open'}`;
      button.addEventListener('click', () => request(service.buttonEventPath, { button: { id: item.id, type: 'setting', label: item.buttonLabel, name: item.name } }));
      return button;
    }
    const label = document.createElement('label');
    label.className = 'toggle';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = Boolean(item.value);
    box.addEventListener('change', () => {
      item.value = box.checked; // the widget applies the change locally first (§4.12)
      request(service.settingsPath, { settings: service.settings, setting: item });
    });
    label.append(box, item.name);
    return label;
  }));
}

/** Replays every recorded request against the registered paths and checks every answer. */
async function runSuite() {
  const names = await (await fetch('/fixtures/widget/index.json')).json();
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const name of names) {
    const fixture = await (await fetch(`/fixtures/widget/${name}`)).json();
    if (!fixture.registrationKey || !Array.isArray(fixture.requests)) continue;
    const key = fixture.registrationKey;
    const path = service[key];
    if (!path) { skipped += fixture.requests.length; continue; }
    for (const { request: recorded } of fixture.requests) {
      try {
        const answer = await request(path, recorded.body, TIMEOUTS[key] ?? 3_000);
        const problems = checkAnswer(key, answer);
        if (answer.response && answer.response.error) problems.push(`error answer: ${answer.response.error}`);
        if (problems.length === 0) passed += 1;
        else { failed += 1; note(`${key} ${name}: ${problems.join('; ')}`, 'fail'); }
      } catch (error) {
        failed += 1;
        note(`${key} ${name}: ${error.message}`, 'fail');
      }
    }
  }
  const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} not registered` : ''}`;
  $('suite-summary').textContent = summary;
  note(`Recorded requests replayed: ${summary}`, failed ? 'fail' : 'ok');
  body.dataset.suiteSummary = summary;
  body.dataset.suite = failed === 0 && passed > 0 ? 'passed' : 'failed';
}

async function onRegistered() {
  $('service-name').textContent = service.displayName ?? service.name;
  showAuth();
  renderSettings();
  note(`Service registered: ${service.name}`, 'ok');
  try {
    const answer = await request('/sim/hello', { from: 'widget-sim' });
    note('Host answers unknown paths with an error answer', answer.response?.error ? 'ok' : 'fail');
    body.dataset.relay = 'answered';
  } catch (error) {
    note(`No answer from the host: ${error.message}`, 'fail');
    body.dataset.relay = 'timeout';
  }
  if (service.authorized !== false) await syncContacts().catch((e) => note(e.message, 'fail'));
  await runSuite();
}

$('auth-button').addEventListener('click', () => request(service.authorizationPath, { authorized: Boolean(service.authorized) }));
$('sync').addEventListener('click', () => syncContacts('manual'));
$('search').addEventListener('input', async (event) => {
  const text = event.target.value.trim();
  if (!text || !service?.contactSearchPath) return;
  const answer = await request(service.contactSearchPath, { searchString: text }, TIMEOUTS.contactSearchPath);
  renderContacts(answer.response.data ?? []);
});
$('ring').addEventListener('click', async () => {
  const number = $('caller').value.trim();
  const answer = await request(service.contactMatchPath, { phoneNumbers: [number], callerIds: {} }, TIMEOUTS.contactMatchPath);
  const match = answer.response.data?.[number]?.[0];
  $('call-result').textContent = match ? `Incoming call from ${match.name}` : `Incoming call from ${number} (unknown)`;
});
/**
 * The host's page update and navigation follow its answer as separate messages: give them up
 * to a second to arrive (the host may be busy, e.g. pushing a contact re-sync) before deciding
 * whether a log page opened.
 */
async function logPageOpened(answer, sessionId) {
  const route = `/log/call/${encodeURIComponent(sessionId)}`;
  for (let waited = 0; waited < 1_000 && body.dataset.route !== route; waited += 20) {
    if (answer.response.data !== 'ok') break;
    await new Promise((resolve) => { setTimeout(resolve, 20); });
  }
  return body.dataset.route === route;
}
const entities = new Map(); // sessionId → the call's contact, as the widget keeps it
// "Edit log" on the last logged call, as in the widget's call history.
$('edit-log').addEventListener('click', async () => {
  const sessionId = $('log-page').dataset.session;
  const call = calls.get(sessionId);
  if (!call) return;
  body.dataset.route = '/history';
  const answer = await request(service.callLoggerPath, { call, triggerType: 'editLog', fromEntity: entities.get(sessionId) ?? null, redirect: true }, TIMEOUTS.callLoggerPath);
  $('log-result').textContent = await logPageOpened(answer, sessionId) ? 'Fill in the log form' : 'Edit opened no form';
});
$('log-call').addEventListener('click', async () => {
  const sessionId = `sim-${Date.now()}`;
  const call = { sessionId, direction: 'Inbound', from: { phoneNumber: $('caller').value }, startTime: Date.now(), duration: 30, result: 'Call connected' };
  calls.set(sessionId, call);
  const number = $('caller').value.trim();
  const matches = service.contactMatchPath
    ? (await request(service.contactMatchPath, { phoneNumbers: [number], callerIds: {} }, TIMEOUTS.contactMatchPath)).response.data?.[number] ?? []
    : [];
  // Like the widget: the single match is the call's contact (fromEntity for inbound calls).
  const fromEntity = matches.length === 1 ? { id: matches[0].id, type: matches[0].type, name: matches[0].name } : null;
  entities.set(sessionId, fromEntity);
  const answer = await request(service.callLoggerPath, { call, triggerType: 'createLog', fromEntity, note: $('note').value, redirect: true }, TIMEOUTS.callLoggerPath);
  if (await logPageOpened(answer, sessionId)) { $('log-result').textContent = 'Fill in the log form'; return; }
  const matched = await request(service.callLogEntityMatcherPath, { sessionIds: [sessionId], activeSessionIds: [] }, TIMEOUTS.callLogEntityMatcherPath);
  $('log-result').textContent = answer.response.data === 'ok' && matched.response.data[sessionId] ? 'Call logged' : 'Logging failed';
});

/** Test hook: `count` concurrent contact-match requests; how they were answered. */
window.simBurst = async (count) => {
  const started = performance.now();
  const before = { ...stats };
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) =>
    request(service.contactMatchPath, { phoneNumbers: [`+1650555${String(i).padStart(4, '0')}`], callerIds: {} }, TIMEOUTS.contactMatchPath)));
  return {
    answered: results.filter((r) => r.status === 'fulfilled').length,
    timedOut: results.filter((r) => r.status === 'rejected').length,
    duplicates: stats.duplicates - before.duplicates,
    ms: performance.now() - started,
  };
};

/** Test hook: one sync as the widget does it (full after load, then deltas); its time. */
window.simSync = async (type = 'manual', full = false) => {
  if (full) synced.timestamp = null; // as after a widget load
  const started = performance.now();
  const unpacked = stats.unpackMs;
  const received = await syncContacts(type);
  return { ms: performance.now() - started, unpackMs: stats.unpackMs - unpacked, received: received.length, held: synced.byId.size,
    deleted: received.filter((c) => c.deleted).length };
};

/** Test hook: what the last sync received (its trigger, count, ids that came as deleted). */
window.simLastSync = () => synced.last ?? null;

/** Test hook: the contacts the widget holds (id → name). */
window.simContacts = () => Object.fromEntries([...synced.byId.values()].map((c) => [c.id, c.name]));

/** Test hook: times of sequential requests to a registered path (`key`), bodies from `bodies`. */
window.simTimes = async (key, bodies) => {
  const times = [];
  const answers = [];
  for (const b of bodies) {
    const t = performance.now();
    const answer = await request(service[key], b, 30_000);
    times.push(performance.now() - t);
    answers.push(answer.response);
  }
  return { times, last: answers[answers.length - 1], empty: answers.filter((a) => !a.data || (Array.isArray(a.data) ? a.data.length === 0 : Object.keys(a.data).length === 0)).length };
};

/** Test hook: round-trip times of `count` sequential contact-match requests, in ms. */
window.simLatency = async (count) => {
  const times = [];
  for (let i = 0; i < count; i += 1) {
    const t = performance.now();
    await request(service.contactMatchPath, { phoneNumbers: ['+12065550134'], callerIds: {} }, TIMEOUTS.contactMatchPath);
    times.push(performance.now() - t);
  }
  return times;
};

// A stand-in for the real widget's login, which it keeps in its own (origin) storage: shows
// whether this frame can keep a login and whether it finds one from another site's page.
function storageProbe() {
  try {
    const user = window.localStorage.getItem('sim-login');
    body.dataset.storage = 'available';
    body.dataset.loggedIn = user ? 'yes' : 'no';
    return user;
  } catch (error) {
    body.dataset.storage = `blocked: ${error.name}`;
    body.dataset.loggedIn = 'no';
    return null;
  }
}
storageProbe();

/** Test hook: "log in" (keep a user in this frame's storage). */
window.simLogin = (user) => {
  try { window.localStorage.setItem('sim-login', user); } catch { /* reported by the probe */ }
  return storageProbe();
};

/** Test hook: announce a login state change, as the widget does when its user logs in or out. */
window.simAnnounceLogin = (loggedIn) => window.parent.postMessage(
  { type: 'rc-login-status-notify', loggedIn, ...(loggedIn ? { loginNumber: '+16505550101*101' } : {}) }, '*');

/** Test hook: the do-not-contact verdict for calling `number`. */
window.simDoNotContact = (number) => checkDoNotContact(number);

/** Test hook: the service registered in this widget lifetime. */
window.simService = () => service;

/** Test hook: how many registrations arrived, and answer statistics. */
window.simState = () => ({ registrations, registered: Boolean(service), stats: { ...stats } });

const schemas = await (await fetch('/fixtures/widget/response-schemas.json')).json();
checkAnswer = makeChecker(schemas);
// Like the real widget: announce the login state once the app is up (the host registers then).
window.parent.postMessage({ type: 'rc-login-status-notify', loggedIn: true, loginNumber: '+16505550101*101' }, '*');

/**
 * Test hook: sends `bodies` to the registered path `key` as the widget would (at most
 * `parallel` in flight, the widget's timeout each) and returns each answer's data or error.
 */
window.simRequests = async (key, bodies, parallel = 8) => {
  const results = new Array(bodies.length);
  let next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const i = next++;
      try {
        const answer = await request(service[key], bodies[i], TIMEOUTS[key] ?? 3_000);
        results[i] = answer.response?.data ?? { error: answer.response?.error ?? 'no data' };
      } catch (err) {
        results[i] = { error: String(err) };
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return results;
};
