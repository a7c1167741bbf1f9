import { waitForQuiet } from './quiet.mjs';

// The contact store at 100,000 contacts (issue 7), each figure beside a baseline measured in the
// same run: plain JavaScript doing the same IndexedDB work with no framework, in an extension
// page of the same browser profile.

/** Generates `count` contacts with international numbers, deterministically, in the page. */
const GENERATOR = `
  (function contactsFrom(start, count, revision) {
    let seed = 0;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    const syllables = ['an', 'be', 'ka', 'lo', 'mi', 'no', 'ra', 'si', 'to', 'vu', 'xe', 'yo', 'zi', 'da', 'fe'];
    const word = (n) => { let w = ''; for (let i = 0; i < n; i += 1) w += syllables[Math.floor(random() * syllables.length)]; return w[0].toUpperCase() + w.slice(1); };
    const digits = (n) => { let d = ''; for (let i = 0; i < n; i += 1) d += Math.floor(random() * 10); return d; };
    const countries = [['+1', 10], ['+44 20', 8], ['+49 30', 7], ['+33 1', 8], ['+81 3', 8], ['+55 11 9', 8], ['+91 98', 8], ['+61 2', 8]];
    const list = [];
    for (let i = start; i < start + count; i += 1) {
      seed = (12345 + i * 7919) % 2147483648; // per contact: chunking does not change the data
      const [code, n] = countries[i % countries.length];
      const first = word(2); const last = word(3);
      const numbers = [{ phoneNumber: code + ' ' + digits(n), phoneType: 'mobile' }];
      if (i % 3 === 0) numbers.push({ phoneNumber: code + ' ' + digits(n), phoneType: 'business' });
      list.push({ id: String(i), name: (revision ? 'Rev' + revision + ' ' : '') + first + ' ' + last,
        phoneNumbers: numbers, emails: [first.toLowerCase() + '.' + last.toLowerCase() + i + '@example.com'], company: word(2) + ' Ltd' });
    }
    return list;
  })`;

/**
 * A generated contact (index `i`) as our store keeps it (ContactRecord in src/contacts/record.rs:
 * its national numbers and search tokens), in plain JS; the bench checks it against the
 * records our import stored.
 */
const SHAPER = `
  (function shape(c, i) {
    const words = (text) => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
    const key = 'http://127.0.0.1#' + c.id;
    const numbers = [...new Set(c.phoneNumbers.map((p) => p.phoneNumber.split(' ').slice(1).join('')))].sort(); // national: no country code
    const tokens = [...new Set([...words(c.name), ...words(c.company), ...c.emails.flatMap((e) => [e, ...words(e.split('@')[0])]), ...numbers])].sort();
    return { key, site: 'http://127.0.0.1', liveSite: 'http://127.0.0.1', seq: i + 1, deleted: false, numbers, tokens,
      contact: { ...c, id: key, site: 'http://127.0.0.1', deleted: false } };
  })`;

/**
 * The issue's baseline for an import, "plain JavaScript doing the same IndexedDB work": the same
 * contacts in our records' shape (SHAPER) with our store's four indexes (seq, national numbers,
 * search tokens, site), put in one transaction, in `target` (the service worker, where our store
 * lives: its CSP forbids eval, so the records are made here and handed over first), into an
 * empty database, once the browser is quiet; its ms.
 */
async function schemaPutIn(target, count) {
  const contactsFrom = eval(GENERATOR); // eslint-disable-line no-eval
  const shape = eval(SHAPER); // eslint-disable-line no-eval
  await target.evaluate(() => { self.benchRecords = []; });
  for (let start = 0; start < count; start += 10_000) {
    const records = contactsFrom(start, Math.min(10_000, count - start), 0).map((c, i) => shape(c, start + i));
    await target.evaluate((more) => { self.benchRecords.push(...more); }, records);
  }
  await waitForQuiet();
  return target.evaluate(async () => {
    const wait = (request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); });
    await wait(indexedDB.deleteDatabase('baseline-schema-bench')); // deleted after its run, so none to delete
    const openSchema = indexedDB.open('baseline-schema-bench', 1);
    openSchema.onupgradeneeded = () => {
      const contacts = openSchema.result.createObjectStore('contacts', { keyPath: 'key' });
      contacts.createIndex('seq', 'seq', { unique: true });
      contacts.createIndex('numbers', 'numbers', { multiEntry: true });
      contacts.createIndex('tokens', 'tokens', { multiEntry: true });
      contacts.createIndex('site', 'liveSite');
    };
    const schemaDb = await wait(openSchema);
    const started = performance.now();
    await new Promise((resolve, reject) => {
      const tx = schemaDb.transaction('contacts', 'readwrite');
      const store = tx.objectStore('contacts');
      for (const r of self.benchRecords) store.put(r);
      tx.oncomplete = resolve; tx.onerror = () => reject(tx.error);
    });
    const ms = performance.now() - started;
    schemaDb.close();
    self.benchRecords = [];
    await wait(indexedDB.deleteDatabase('baseline-schema-bench'));
    return ms;
  });
}

/** Rounds of the import benchmark (`BENCH_IMPORT_ROUNDS`): its target is on their median. */
const IMPORT_ROUNDS = Number(process.env.BENCH_IMPORT_ROUNDS ?? 3);

/**
 * The full sync's baseline, "plain JavaScript doing the same IndexedDB work": the newest `tab`
 * of our own stored records read through our `seq` index in pages of 1,000 (the oldest kept
 * found by one cursor step back, as ours does), in `target` (the service worker, where ours
 * reads them); its ms.
 */
const newestPagedReadIn = (target, tab) => target.evaluate(async (tab) => {
  const wait = (request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); });
  const db = await wait(indexedDB.open('crm-bridge'));
  const started = performance.now();
  const seq = db.transaction('contacts').objectStore('contacts').index('seq');
  const oldest = await new Promise((resolve, reject) => {
    const request = seq.openKeyCursor(null, 'prev');
    let stepped = false;
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor || stepped || tab === 1) { resolve(cursor?.key ?? 0); return; }
      stepped = true;
      cursor.advance(tab - 1);
    };
    request.onerror = () => reject(request.error);
  });
  let read = 0; let from = IDBKeyRange.lowerBound(oldest);
  while (read < tab) {
    const page = await wait(db.transaction('contacts').objectStore('contacts').index('seq').getAll(from, 1000));
    if (page.length === 0) break;
    read += page.length;
    from = IDBKeyRange.lowerBound(page[page.length - 1].seq, true);
  }
  const ms = performance.now() - started;
  db.close();
  if (read !== tab) throw new Error(`the baseline read ${read} of ${tab}`);
  return ms;
}, tab);

/** What a full sync gives the Contacts tab (CONTACTS_TAB_LIMIT in src/background/mod.rs). */
const TAB_LIMIT = 5_000;

export async function benchStore({ context, extensionId, page, crm, record, profiled, stopWorker, waitForFrame, median, percentile, workerMemory, wakeAndAsk, count = 100_000 }) {
  const site = 'http://127.0.0.1';
  const step = (what) => process.stderr.write(`store bench: ${what} (${new Date().toISOString().slice(11, 19)})\n`);
  /** Waits until the worker's in-memory contact index is built; its state line. */
  const waitForMemory = async (waiter) => {
    const started = Date.now();
    let state = '';
    while (!state.startsWith('ready')) {
      if (Date.now() - started > 120_000) throw new Error(`the memory index was not built: ${state}`);
      await waiter.waitForTimeout(50);
      state = (await wakeAndAsk()).worker.contactMemory;
    }
    return state;
  };
  step('baselines');
  // Baselines: plain IndexedDB in an extension page (same origin and disk as the worker).
  const baseline = await page.evaluate(async ({ count, generator, echoUrl }) => {
    const contactsFrom = eval(generator); // eslint-disable-line no-eval
    const wait = (request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); });
    /** Every record put in one transaction, as fast as plain IndexedDB goes. */
    const putAll = (database, list) => new Promise((resolve, reject) => {
      const tx = database.transaction('contacts', 'readwrite');
      const store = tx.objectStore('contacts');
      for (const r of list) store.put(r);
      tx.oncomplete = resolve; tx.onerror = () => reject(tx.error);
    });
    await wait(indexedDB.deleteDatabase('baseline-bench'));
    const open = indexedDB.open('baseline-bench', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('contacts', { keyPath: 'id' }).createIndex('phones', 'phones', { multiEntry: true });
    const db = await wait(open);
    const records = contactsFrom(0, count, 0).map((c) => ({ id: c.id, name: c.name, phones: c.phoneNumbers.map((p) => p.phoneNumber.replace(/[^0-9]/g, '')), email: c.emails[0] }));
    let started = performance.now();
    await putAll(db, records);
    const put = performance.now() - started;
    started = performance.now();
    let read = 0; let last = null;
    for (;;) {
      const tx = db.transaction('contacts');
      const range = last === null ? null : IDBKeyRange.lowerBound(last, true);
      const page = await wait(tx.objectStore('contacts').getAll(range, 1000));
      read += page.length;
      if (page.length < 1000) break;
      last = page[page.length - 1].id;
    }
    const pagedRead = performance.now() - started;
    const lookupRounds = [];
    for (let round = 0; round < 50; round += 1) {
      const phones = Array.from({ length: 30 }, (_, i) => records[(round * 997 + i * 31) % records.length].phones[0]);
      const t = performance.now();
      const tx = db.transaction('contacts');
      const index = tx.objectStore('contacts').index('phones');
      for (const phone of phones) await wait(index.getAll(phone));
      lookupRounds.push(performance.now() - t);
    }
    db.close();
    await wait(indexedDB.deleteDatabase('baseline-bench'));
    // Cross-frame postMessage round trip.
    const frame = document.createElement('iframe');
    frame.src = echoUrl;
    document.body.append(frame);
    await new Promise((r) => { frame.onload = r; });
    const trips = [];
    for (let i = 0; i < 500; i += 1) {
      const t = performance.now();
      await new Promise((resolve) => { addEventListener('message', resolve, { once: true }); frame.contentWindow.postMessage(i, '*'); });
      trips.push(performance.now() - t);
    }
    frame.remove();
    return { put, read, pagedRead, lookupRounds, trips };
  }, { count, generator: GENERATOR, echoUrl: `${crm.origin}/echo` });

  // Ours: the same contacts imported through the extension (port → worker → IndexedDB) as the
  // options page sends them: JSON text, chunks of 2,000 (CHUNK in options_contacts.rs) of one
  // batch (one transaction, kept with the last), the next sent before the oldest is answered
  // (CHUNKS_IN_FLIGHT). Generated before the clock starts, as the baseline's records are.
  const importAll = (round) => page.evaluate(async ({ count, generator, site, chunk, round, inFlight }) => {
    const contactsFrom = eval(generator); // eslint-disable-line no-eval
    const chunks = [];
    for (let start = 0; start < count; start += chunk) chunks.push(contactsFrom(start, Math.min(chunk, count - start), 0));
    const port = chrome.runtime.connect({ name: 'bench-import' });
    await new Promise((resolve) => port.onMessage.addListener(function ready(m) { if (m.kind === 'ready') { port.onMessage.removeListener(ready); resolve(); } }));
    const waiting = new Map();
    port.onMessage.addListener((m) => {
      const message = typeof m === 'string' ? JSON.parse(m) : m;
      if (message.kind === 'reply') waiting.get(message.id)?.(message.reply);
    });
    const ask = (id, body) => new Promise((resolve) => { waiting.set(id, resolve); port.postMessage(JSON.stringify({ id, body })); });
    let total = 0;
    const started = performance.now();
    const sent = [];
    for (let i = 0; i < chunks.length || sent.length > 0;) {
      while (sent.length < inFlight && i < chunks.length) {
        const batch = { id: `bench-import-${round}`, part: i, last: i === chunks.length - 1 };
        sent.push(ask(i + 1, { kind: 'importContacts', site, contacts: chunks[i], batch }));
        i += 1;
      }
      const reply = await sent.shift();
      if (reply.kind === 'imported') total = reply.count; // the last chunk: the whole import kept
      else if (reply.kind !== 'importWritten') throw new Error(JSON.stringify(reply));
    }
    const ms = performance.now() - started;
    port.disconnect();
    return { ms, total };
  }, { count, generator: GENERATOR, site, chunk: 2_000, round, inFlight: 2 });
  step('import');
  // Rounds of: the same-work baseline in the worker, then our import of the same contacts into
  // an empty contact store (emptied between rounds, as the baseline's database is); a last
  // baseline closes the last round. Each of ours is set against the mean of the baselines
  // just before and just after it (the machine's speed drifts, even within a minute); the
  // target is on the median of the rounds' ratios. Every timed run starts once the browser is
  // quiet (quiet.mjs): without that, ours paid for compacting the baseline database deleted
  // just before it (≈4.7 CPU-seconds of IndexedDB's threads at 100,000 records).
  const [worker] = context.serviceWorkers();
  const schemaPuts = [await schemaPutIn(worker, count)];
  /** Empties our contact store behind the worker (it numbers on from where it was). */
  const emptyContacts = () => page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => { const o = indexedDB.open('crm-bridge'); o.onsuccess = () => resolve(o.result); o.onerror = () => reject(o.error); });
    await new Promise((resolve, reject) => { const tx = db.transaction('contacts', 'readwrite'); tx.objectStore('contacts').clear(); tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
    db.close();
  });
  const imports = [];
  let busyImport = 0;
  for (let round = 0; round < IMPORT_ROUNDS; round += 1) {
    step(`import round ${round + 1} of ${IMPORT_ROUNDS}`);
    const busyBeforeImport = (await wakeAndAsk()).worker.busyMs;
    await waitForQuiet();
    const run = () => importAll(round);
    imports.push(await (round === 0 ? profiled('import', run) : run()));
    if (imports[round].total !== count) throw new Error(`imported ${imports[round].total} of ${count}`);
    if (round === 0) busyImport = (await wakeAndAsk()).worker.busyMs - busyBeforeImport;
    if (round + 1 < IMPORT_ROUNDS) await emptyContacts();
    schemaPuts.push(await schemaPutIn(worker, count));
  }
  const importRatios = imports.map((ours, round) => ours.ms / ((schemaPuts[round] + schemaPuts[round + 1]) / 2));
  // The baseline must do our import's work: its records are ours, field for field (but `seq`).
  const sampled = [0, 1, 3, 7];
  const ours = await page.evaluate(async (keys) => {
    const db = await new Promise((resolve) => { const o = indexedDB.open('crm-bridge'); o.onsuccess = () => resolve(o.result); });
    const found = await Promise.all(keys.map((key) => new Promise((resolve) => { const q = db.transaction('contacts').objectStore('contacts').get(key); q.onsuccess = () => resolve(q.result); })));
    db.close();
    return found;
  }, sampled.map((i) => `${site}#${i}`));
  const generated = eval(GENERATOR)(0, 8, 0); // eslint-disable-line no-eval
  const plain = sampled.map((i) => eval(SHAPER)(generated[i], i)); // eslint-disable-line no-eval
  const comparable = (r) => JSON.stringify({ ...r, seq: 0 }, Object.keys(r ?? {}).sort());
  const sameRecords = ours.every((r, i) => r && comparable(r) === comparable(plain[i])) || JSON.stringify([ours, plain]);
  if (sameRecords !== true) throw new Error(`the baseline's records are not ours: ${sameRecords}`);

  const ratio = (ours, base) => ours / base;
  const firstRound = imports[0].ms;
  record(`import ${count} contacts (ours, as the options page sends them; round 1)`, firstRound, 'ms');
  record(`  of which in the worker (each chunk's arrival → answer posted, summed)`, busyImport, 'ms');
  record(`  baseline: plain JS, same records and indexes, one transaction, in the worker (round 1: mean of just before and after)`, (schemaPuts[0] + schemaPuts[1]) / 2, 'ms');
  importRatios.forEach((r, i) => record(`  round ${i + 1} ÷ its baseline`, r, '×'));
  record(`  import ÷ baseline (median of ${IMPORT_ROUNDS} rounds)`, median(importRatios), '×', { op: '<=', value: 1.2 });
  record(`  plain JS, one-index records (the issue's example), one transaction, in a page`, baseline.put, 'ms');
  record(`  import ÷ that`, ratio(firstRound, baseline.put), '×');

  step('widget');
  // The widget's side, through the simulator: full sync, delta, search, match.
  const crmPage = await context.newPage();
  await crmPage.goto(`${crm.origin}/contacts`);
  const widget = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 300_000 });
  // The widget's first full sync has started the worker's in-memory index (see the memory
  // index step below): let it finish, so that neither figure runs beside its build; ours is then
  // what every widget load gets while the worker runs.
  const tab = Math.min(count, TAB_LIMIT);
  await waitForMemory(crmPage);
  // Three rounds: the same-work baseline in the worker, then ours (a widget load's full sync).
  const fulls = [];
  const reads = [];
  const busyBefore = (await wakeAndAsk()).worker.busyMs;
  let busyBaselines = 0;
  await profiled('fullsync', async () => {
    for (let i = 0; i < 3; i += 1) {
      const busy = (await wakeAndAsk()).worker.busyMs;
      reads.push(await newestPagedReadIn(worker, tab));
      busyBaselines += (await wakeAndAsk()).worker.busyMs - busy; // the asks' own (tiny) share
      fulls.push(await widget.evaluate(() => window.simSync('manual', true)));
    }
  });
  const busyFull = ((await wakeAndAsk()).worker.busyMs - busyBefore - busyBaselines) / 3;
  if (fulls[0].held !== tab) throw new Error(`the widget holds ${fulls[0].held}, expected the newest ${tab}`);
  const fullMs = median(fulls.map((f) => f.ms));
  const readMs = median(reads);
  record(`full sync to the widget: newest ${tab} of ${count} (median of 3)`, fullMs, 'ms');
  record(`  baseline: plain JS in the worker reading the same ${tab} records (our seq index, pages of 1,000)`, readMs, 'ms');
  record(`  full sync ÷ baseline (median of the rounds' ratios)`, median(fulls.map((f, i) => f.ms / reads[i])), '×', { op: '<=', value: 2 });
  // What the widget itself spends decoding the pages' message events (the same for any sender).
  const unpackMs = median(fulls.map((f) => f.unpackMs));
  record(`  of which the widget decoding the pages' messages`, unpackMs, 'ms');
  record(`  of which in the worker (each page's arrival → answer posted, summed; mean of 3)`, busyFull, 'ms');
  record(`  full sync less that decoding ÷ baseline`, ratio(fullMs - unpackMs, readMs), '×');
  record(`  per contact: ours / plain-JS read of all ${count}`, (fullMs / tab) * 1000, 'µs');
  record(`  plain JS in a page, paged read of all ${count} one-index records (the issue's example)`, baseline.pagedRead, 'ms');

  step('deltas');
  const deltas = [];
  for (let revision = 1; revision <= 5; revision += 1) {
    await page.evaluate(async ({ generator, site, revision }) => {
      const contactsFrom = eval(generator); // eslint-disable-line no-eval
      const port = chrome.runtime.connect({ name: 'bench' });
      await new Promise((resolve) => port.onMessage.addListener((m) => { if (m.kind === 'ready') port.postMessage({ id: 1, body: { kind: 'importContacts', site, contacts: contactsFrom(revision * 1000, 100, revision) } }); else if (m.kind === 'reply') resolve(); }));
      port.disconnect();
    }, { generator: GENERATOR, site, revision });
    const delta = await widget.evaluate(() => window.simSync('manual'));
    if (delta.received < 100) throw new Error(`delta carried ${delta.received} changes`);
    deltas.push(delta.ms);
    await crmPage.waitForTimeout(500); // let the pushed re-sync pass
  }
  record('delta sync of 100 changes (median of 5)', median(deltas), 'ms', { op: '<', value: 20 });

  step('memory index');
  // The first search starts building the in-memory index (answered from IndexedDB meanwhile);
  // search and match below are measured once it answers, and the build is timed here.
  await stopWorker(); // a worker that has not built it yet
  const slow = await widget.evaluate(() => window.simTimes('contactSearchPath', [{ searchString: 'ka' }]));
  const memoryState = await waitForMemory(crmPage);
  record(`cold worker: first search (IndexedDB; starts the memory index)`, slow.times[0], 'ms');
  const [, held, mib, builtMs] = memoryState.match(/ready: (\d+) contacts, ([\d.]+) MiB, built in (\d+) ms/);
  record(`memory index: contacts held`, Number(held), '');
  record(`memory index: estimated size`, Number(mib), 'MiB');
  record(`memory index: build time (wall clock in the worker, batches of 2,000)`, Number(builtMs), 'ms');

  step('search');
  const names = await widget.evaluate(() => Object.values(window.simContacts()).slice(0, 5000));
  const queries = Array.from({ length: 200 }, (_, i) => {
    const name = names[(i * 37) % names.length];
    const [first, last] = name.replace(/^Rev\d+ /, '').split(' ');
    return { searchString: i % 2 ? first.slice(0, 3) : `${first.slice(0, 2)} ${last.slice(0, 3)}` };
  });
  const searched = await widget.evaluate((bodies) => window.simTimes('contactSearchPath', bodies), queries);
  if (searched.empty > 0) throw new Error(`${searched.empty} searches found nothing`);
  record('search p95 (200 queries, via widget)', percentile(searched.times, 95), 'ms', { op: '<', value: 15 });

  const numbers = await page.evaluate(({ generator, count }) => {
    const contactsFrom = eval(generator); // eslint-disable-line no-eval
    const all = contactsFrom(0, count, 0);
    return Array.from({ length: 100 }, (_, round) => Array.from({ length: 30 }, (_, i) => {
      const n = all[(round * 997 + i * 31) % all.length].phoneNumbers[0].phoneNumber.replace(/[^0-9+]/g, '');
      return i % 2 ? n : n.slice(1); // also as the widget's digits without "+"
    }));
  }, { generator: GENERATOR, count });
  const matched = await widget.evaluate((bodies) => window.simTimes('contactMatchPath', bodies),
    numbers.map((phoneNumbers) => ({ phoneNumbers, callerIds: {} })));
  if (Object.keys(matched.last.data).length < 25) throw new Error(`only ${Object.keys(matched.last.data).length} of 30 matched`);
  record('match 30 numbers p95 (100 rounds, via widget)', percentile(matched.times, 95), 'ms', { op: '<', value: 5 });
  record('  baseline: plain-JS 30 sequential index lookups p95', percentile(baseline.lookupRounds, 95), 'ms');
  record('  baseline: cross-frame postMessage round trip p50', median(baseline.trips), 'ms');

  step('flood');
  // A hostile page on the enabled site renders 8,000 new people every 4 s (twice the rate the
  // issue measured: 304,000 in 5 minutes): the limits on what pages may add hold it back, so
  // caller matching stays fast. The same flood on a site crm-bridge is not on gives the
  // browser's own share (the page's rendering on this machine's two cores).
  const stored = () => page.evaluate(() => new Promise((resolve) => {
    const port = chrome.runtime.connect({ name: 'bench-counts' });
    port.onMessage.addListener((m) => {
      const message = typeof m === 'string' ? JSON.parse(m) : m;
      if (message.kind === 'ready') port.postMessage({ id: 1, body: { kind: 'contactCounts' } });
      else if (message.kind === 'reply') { port.disconnect(); resolve(Object.values(message.reply.sites).reduce((a, b) => a + b, 0)); }
    });
  }));
  const matchDuringFlood = async (origin) => {
    const flood = await context.newPage();
    await flood.goto(`${origin}/settings`);
    const started = Date.now();
    await flood.evaluate(() => {
      const letters = (n) => { let out = ''; do { out += String.fromCharCode(97 + (n % 26)); n = Math.floor(n / 26); } while (n); return out; };
      let round = 0;
      const render = () => {
        round += 1;
        const rows = [];
        for (let i = 0; i < 8000; i += 1) {
          rows.push(`<tr><td><a href="/flood/${round}x${i}">Flood ${letters(round)} ${letters(i)}</a></td><td>+1 206 ${300 + (round % 600)} ${String(i).padStart(4, '0')}</td></tr>`);
        }
        let table = document.getElementById('flood');
        if (!table) { table = document.body.appendChild(document.createElement('table')); table.id = 'flood'; }
        table.innerHTML = `<thead><tr><th>Name</th><th>Phone</th></tr></thead><tbody>${rows.join('')}</tbody>`;
      };
      render();
      window.floodTimer = setInterval(render, 4000);
    });
    await crmPage.bringToFront();
    // Its first read (8,000 rows, read and held back once) takes the worker a few seconds on two
    // cores; measured from then on: a flood goes on far longer than that.
    await crmPage.waitForTimeout(6_000);
    const times = [];
    for (let batch = 0; batch < 6; batch += 1) {
      const during = await widget.evaluate((bodies) => window.simTimes('contactMatchPath', bodies),
        numbers.map((phoneNumbers) => ({ phoneNumbers, callerIds: {} })));
      times.push(...during.times);
      await crmPage.waitForTimeout(1_000);
    }
    await flood.evaluate(() => clearInterval(window.floodTimer));
    await flood.close();
    return { times, seconds: (Date.now() - started) / 1000 };
  };
  const beforeFlood = await stored();
  const flooded = await matchDuringFlood(crm.origin);
  const floodAdded = (await stored()) - beforeFlood;
  const elsewhere = await matchDuringFlood(crm.origin.replace('127.0.0.1', 'localhost'));
  record('match 30 numbers p95 while a page floods 8,000 new people every 4 s, after its first read (600 rounds)', percentile(flooded.times, 95), 'ms', { op: '<', value: 5 });
  record('  the same flood on a site crm-bridge is not on (the browser\'s own share)', percentile(elsewhere.times, 95), 'ms');
  record(`  new contacts the flood got stored in ${flooded.seconds.toFixed(0)} s (limit: 1,000 a site a minute)`, floodAdded, '', { op: '<=', value: 1_000 * (Math.ceil(flooded.seconds / 60) + 1) });

  // Memory, while the worker still holds what the import, syncs, searches and matches left.
  const memory = await workerMemory();
  record(`worker JS heap used, after importing ${count} and the figures above`, memory.jsHeapUsed / 2 ** 20, 'MiB', { op: '<', value: 60 });
  record('  worker Wasm memory (the Rust heap\'s high-water mark)', memory.wasmBytes / 2 ** 20, 'MiB');

  step('cold');
  const cold = [];
  for (let run = 0; run < 8; run += 1) {
    await stopWorker();
    const first = await widget.evaluate((body) => window.simTimes('contactMatchPath', [body]), { phoneNumbers: numbers[run], callerIds: {} });
    cold.push(first.times[0]);
  }
  record('cold worker → first match answer, store open (median of 8)', median(cold), 'ms', { op: '<', value: 150 });
  await crmPage.close();
}
