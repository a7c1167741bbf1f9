// Logging (issue 8): logging calls one after another, each durable before it is answered,
// beside a plain-JS baseline from the same run (the same entries written one IndexedDB
// transaction each, in the service worker where our logging runs, with the CRM page and the
// widget open as for ours, just before each of our rounds; and once in an extension page);
// the call-log matcher for 1,000 session ids, as the widget asks it; and the options page's
// journal view over a journal of 21,000 entries.

import { PORT_CLIENT } from './port_client.mjs';

const CALLS = 1_000;
/** Rounds of ours, each after its own baseline run: the ratio is the median of the rounds'. */
const ROUNDS = 3;
/** Entries imported for the journal view's rows (a year of a busy team's calls is ≈20,000). */
const JOURNAL = 20_000;

/** A call-log request as the widget sends it, for call `i`. */
const callBody = (i, round = 0) => ({ call: { sessionId: round ? `bench-r${round}-${i}` : `bench-${i}`, telephonySessionId: `s-bench-${round}-${i}`, direction: i % 2 ? 'Inbound' : 'Outbound',
  from: { phoneNumber: `+1206555${String(i % 10_000).padStart(4, '0')}`, name: 'Bench Caller' },
  to: { phoneNumber: '+16505550101', extensionNumber: '101' }, startTime: 1_795_618_200_000 + i * 60_000,
  duration: 30 + (i % 300), result: 'Call connected' }, triggerType: 'createLog', note: `Bench note ${i}: discussed the renewal.`, redirect: true });

/** Median round trip: `message` posted from the host frame to the widget frame, a small ack back. */
async function answerDelivery(hostFrame, widget, message) {
  await widget.evaluate(() => window.addEventListener('message', (event) => {
    if (event.data?.responseId === 'bench') event.source.postMessage({ ack: true }, '*');
  }));
  return hostFrame.evaluate(async (probe) => {
    const frame = document.getElementById('rc-widget-adapter-frame').contentWindow;
    const times = [];
    for (let i = 0; i < 21; i += 1) {
      const acked = new Promise((resolve) => {
        const listen = (event) => { if (event.data?.ack) { window.removeEventListener('message', listen); resolve(); } };
        window.addEventListener('message', listen);
      });
      const started = performance.now();
      frame.postMessage(probe, '*');
      await acked;
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[10];
  }, message);
}

export async function benchLogging({ context, page, crm, record, profiled, median, waitForFrame, stopWorker, wakeAndAsk }) {
  const step = (what) => process.stderr.write(`logging bench: ${what} (${new Date().toISOString().slice(11, 19)})\n`);
  /** Plain IndexedDB, run in `target` (a page or the service worker): both baselines' ms. */
  const baselineIn = (target) => target.evaluate(async ({ count, sample }) => {
    const wait = (request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); });
    await wait(indexedDB.deleteDatabase('baseline-logs'));
    const open = indexedDB.open('baseline-logs', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('logs', { keyPath: 'key' });
    const db = await wait(open);
    /** `count` entries, each written and committed in its own transaction over `scope`; the ms. */
    const oneByOne = async (database, scope, entry) => {
      const started = performance.now();
      for (let i = 0; i < count; i += 1) {
        await new Promise((resolve, reject) => {
          const tx = database.transaction(scope, 'readwrite');
          tx.objectStore('logs').put(entry(i));
          tx.oncomplete = resolve; tx.onerror = () => reject(tx.error);
        });
      }
      return performance.now() - started;
    };
    const ms = await oneByOne(db, ['logs'], (i) => ({ ...sample, key: `call:bench-${i}` }));
    db.close();
    await wait(indexedDB.deleteDatabase('baseline-logs'));
    // The same entries with our journal's schema: its two indexes (the contact's id, absent for
    // an unknown caller as here; the time), and the outbox in the transaction's scope.
    await wait(indexedDB.deleteDatabase('baseline-logs-indexed'));
    const openIndexed = indexedDB.open('baseline-logs-indexed', 1);
    openIndexed.onupgradeneeded = () => {
      const logs = openIndexed.result.createObjectStore('logs', { keyPath: 'key' });
      logs.createIndex('contact', 'contactId');
      logs.createIndex('time', 'time');
      openIndexed.result.createObjectStore('outbox', { keyPath: 'key' }).createIndex('due', 'due');
    };
    const indexed = await wait(openIndexed);
    const msIndexed = await oneByOne(indexed, ['logs', 'outbox'], (i) => ({ ...sample, key: `call:bench-${i}`, time: 1_795_618_200_000 + i * 60_000 }));
    indexed.close();
    await wait(indexedDB.deleteDatabase('baseline-logs-indexed'));
    return { ms, msIndexed };
  }, { count: CALLS, sample: { kind: 'call', contact: { unlinkedBecause: 'no contact has this number' }, revision: 1, ...callBody(0) } });
  const crmPage = await context.newPage();
  await crmPage.goto(`${crm.origin}/settings`);
  const widget = await waitForFrame(crmPage, (f) => f.url().startsWith(`${crm.origin}/widget-sim/`));
  await widget.waitForSelector('body[data-suite]:not([data-suite="waiting"])', { timeout: 60_000 });
  // In an extension page, as the figure (the same loop costs ≈30 % less there than in
  // the worker on this machine kind).
  step('baseline');
  const inPage = await baselineIn(page);
  // Where our logging runs: the baseline in the service worker, then ours, ROUNDS times over
  // (the machine's speed drifts by tens of percent between runs; a ratio of neighbours does not).
  const [worker] = context.serviceWorkers();
  // The worker's own time per request (arrival → answer posted, summed in its diagnostics).
  const workerTimings = async () => (await wakeAndAsk()).worker;
  const rounds = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const baseline = await baselineIn(worker);
    const before = await workerTimings();
    step(`${CALLS} calls, round ${round + 1} of ${ROUNDS}`);
    const logged = await profiled(round === 0 ? 'logging' : '', () => widget.evaluate(({ bodies }) => window.simTimes('callLoggerPath', bodies),
      { bodies: Array.from({ length: CALLS }, (_, i) => callBody(i, round)) }));
    if (logged.last.data !== 'ok') throw new Error(`a call log failed: ${JSON.stringify(logged.last)}`);
    const after = await workerTimings();
    if (after.requestsHandled < before.requestsHandled + CALLS) throw new Error(`the worker restarted while logging: ${JSON.stringify([before, after])}`);
    rounds.push({ baseline, total: logged.times.reduce((a, b) => a + b, 0), inWorker: after.busyMs - before.busyMs });
  }
  const middle = (pick) => median(rounds.map(pick));
  const total = middle((r) => r.total);
  const inWorker = middle((r) => r.inWorker);
  // The relay's share (widget → host → worker → back), from a request the worker answers from
  // memory (a call-log match of one known session), timed the same way in the same run.
  const relayTimes = (await widget.evaluate((n) => window.simTimes('callLogEntityMatcherPath', Array(n).fill({ sessionIds: ['bench-0'] })), 200)).times;
  const relayMs = median(relayTimes) * CALLS;
  const of = `median of ${ROUNDS}`;
  record(`log ${CALLS} calls one after another, durable each (via widget; ${of})`, total, 'ms');
  record(`  of which relay (median no-op round trip × ${CALLS})`, relayMs, 'ms');
  record(`  of which in the worker (each request's arrival → answer posted, summed)`, inWorker, 'ms');
  record(`  baseline: plain JS in the worker, the same entries, a transaction each`, middle((r) => r.baseline.ms), 'ms');
  record('  worker logging ÷ baseline (median of the rounds\' ratios)', middle((r) => r.inWorker / r.baseline.ms), 'ratio', { op: '<=', value: 1.5 });
  record(`  plain JS as the baseline, with our journal's schema (two indexes, outbox in scope)`, middle((r) => r.baseline.msIndexed), 'ms');
  record('  worker logging ÷ that (our overhead over the schema\'s own cost)', middle((r) => r.inWorker / r.baseline.msIndexed), 'ratio');
  record('  (total − relay) ÷ baseline', (total - relayMs) / middle((r) => r.baseline.ms), 'ratio');
  record(`  plain JS in an extension page, store without indexes`, inPage.ms, 'ms');
  record('  worker logging ÷ that', inWorker / inPage.ms, 'ratio');

  step('call-log matcher');
  const ids = { sessionIds: Array.from({ length: 1_000 }, (_, i) => `bench-${i * 7 % CALLS}`) };
  await stopWorker();
  const cold = await widget.evaluate((b) => window.simTimes('callLogEntityMatcherPath', [b]), ids);
  const matched = Object.keys(cold.last.data).length;
  if (matched !== new Set(ids.sessionIds).size) throw new Error(`matcher found ${matched}`);
  record('call-log matcher, 1,000 session ids, worker just stopped (via widget)', cold.times[0], 'ms');
  const warm = await widget.evaluate((b) => window.simTimes('callLogEntityMatcherPath', Array(21).fill(b)), ids);
  const viaWidget = median(warm.times);
  record('call-log matcher, 1,000 session ids (median of 21, via widget)', viaWidget, 'ms');
  // The browser's share: the same answer posted by plain JS from our widget host into the
  // widget frame (another process), which answers with a small ack, as the widget's request
  // went the other way; median of 21 round trips.
  const hostFrame = crmPage.frames().find((f) => f.url().includes('/widget.html'));
  const delivery = await answerDelivery(hostFrame, widget, { type: 'rc-post-message-response', responseId: 'bench', response: warm.last });
  record('  baseline: plain-JS postMessage of that answer into the widget frame and an ack back', delivery, 'ms');
  record('  matcher: via widget − that baseline', viaWidget - delivery, 'ms', { op: '<', value: 10 });
  await crmPage.close();

  step(`journal view over ${JOURNAL} entries`);
  const view = await page.evaluate(async ({ total, first, client }) => {
    const { port, ask } = await eval(client)('bench-journal'); // eslint-disable-line no-eval
    // A logged call as the export has it, copied into a journal of `total` entries a minute apart.
    const [template] = (await ask({ kind: 'journal', query: { text: '', limit: 1 } })).entries;
    const entryAt = (i) => {
      const sessionId = `journal-bench-${i}`;
      return { ...template, key: `call:${sessionId}`, time: first + i * 60_000, updated: first + i * 60_000,
        note: `Imported note ${i}${i % 1_000 === 0 ? ': escalation' : ''}`, call: { ...template.call, sessionId } };
    };
    for (let start = 0; start < total; start += 2_000) {
      const reply = await ask({ kind: 'importJournal', entries: Array.from({ length: Math.min(2_000, total - start) }, (_, i) => entryAt(start + i)) });
      if (reply.kind !== 'journalImported') throw new Error(JSON.stringify(reply).slice(0, 300));
    }
    const timed = async (query, expect) => {
      const times = [];
      for (let round = 0; round < 5; round += 1) {
        const started = performance.now();
        const reply = await ask({ kind: 'journal', query });
        times.push(performance.now() - started);
        if (reply.entries?.length !== expect) throw new Error(`${JSON.stringify(query)}: ${reply.entries?.length ?? JSON.stringify(reply).slice(0, 300)} entries, expected ${expect}`);
      }
      return times.sort((a, b) => a - b)[2];
    };
    const day = 24 * 60 * 60_000;
    const result = {
      newest: await timed({ text: '', limit: 100 }, 100),
      day: await timed({ text: '', from: first + 5 * day, to: first + 6 * day, limit: 2_000 }, 1_440),
      rare: await timed({ text: 'escalation', limit: 100 }, total / 1_000),
    };
    port.disconnect();
    return result;
  }, { total: JOURNAL, first: 1_700_000_000_000, client: PORT_CLIENT });
  record(`journal view, newest 100 of ${JOURNAL + CALLS} entries (median of 5, options page)`, view.newest, 'ms');
  record('  one day (1,440 entries) of a date range', view.day, 'ms');
  record(`  a word in ${JOURNAL / 1_000} entries, searched through all of them`, view.rare, 'ms');
}
