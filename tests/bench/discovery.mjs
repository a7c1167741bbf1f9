// Discovery figures for `make bench` (issue 6): the corpus score, the walker's main-thread cost
// on a 5,000-row table and after a 50-node mutation (in headless Chromium, through the same
// live scanner the content script runs, serialising its message included), and the discovery module's own cost (size, first use,
// reading a big page) measured in Node's V8 with the shipped Wasm.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { ROOT, launchPlainChromium } from '../e2e/lib/extension.mjs';
import { collectCorpus } from '../corpus/collect.mjs';

const COUNTRIES = ['Germany', 'France', 'United Kingdom', 'USA', 'Australia', 'Japan'];
// Every row its own number (a read number is remembered, so repeats would flatter the module).
const NUMBERS = [
  (i) => `030 1234 ${String(i).padStart(4, '0')}`, (i) => `01 23 ${String(i).padStart(4, '0').replace(/(..)(..)/, '$1 $2')} 89`,
  (i) => `020 7946 ${String(i).padStart(4, '0')}`, (i) => `(206) 555-${String(i).padStart(4, '0')}`,
  (i) => `(02) 9374 ${String(i).padStart(4, '0')}`, (i) => `03-1234-${String(i).padStart(4, '0')}`,
];

/** A CRM list page with `rows` contacts in a six-column table. */
function bigTable(rows) {
  const body = Array.from({ length: rows }, (_, i) => `<tr><td><a href="/contacts/${i + 1}">Person ${i + 1} Example</a></td>`
    + `<td>Company ${i % 97}</td><td>${COUNTRIES[i % 6]}</td><td>${NUMBERS[i % 6](i)}</td><td>p${i}@example.org</td><td>2024-03-${String(i % 28 + 1).padStart(2, '0')}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Contacts</title></head><body><main><h1>Contacts</h1>
<table><thead><tr><th>Name</th><th>Company</th><th>Country</th><th>Phone</th><th>Email</th><th>Created</th></tr></thead><tbody>${body}</tbody></table></main></body></html>`;
}

export async function benchDiscovery({ record, median }) {
  // Size of the separately loaded module.
  const wasm = await readFile(join(ROOT, 'dist', 'chrome', 'pkg', 'crm_discovery_bg.wasm'));
  record('discovery .wasm raw (loaded on first page read)', wasm.length / 1024, 'KiB');
  record('discovery .wasm gzip', gzipSync(wasm, { level: 9 }).length / 1024, 'KiB');

  // The corpus score.
  const pages = await collectCorpus();
  // The scorer reports the two halves apart (docs/discovery.md "Corpus").
  const none = { precision: 0, recall: 0, pages: 0 };
  let score = { tuned: none, heldOut: none };
  try {
    const out = execFileSync('cargo', ['run', '--quiet', '--release', '-p', 'crm-discovery', '--bin', 'corpus', '--', '--json'], { cwd: ROOT, encoding: 'utf8' });
    score = JSON.parse(out.split('\n').find((l) => l.startsWith('{')));
  } catch (err) {
    const out = String(err.stdout ?? '');
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (line) score = JSON.parse(line);
  }
  record(`corpus tuned precision (${score.tuned.pages} of ${pages.length} pages, name+number pairs)`, score.tuned.precision, 'ratio', { op: '>=', value: 0.98 });
  record('corpus tuned recall', score.tuned.recall, 'ratio', { op: '>=', value: 0.95 });
  record(`corpus held-out precision (${score.heldOut.pages} pages never tuned on)`, score.heldOut.precision, 'ratio', { op: '>=', value: 0.98 });
  record('corpus held-out recall', score.heldOut.recall, 'ratio', { op: '>=', value: 0.95 });

  // The walker on a 5,000-row table, in Chromium.
  const html = bigTable(5000);
  const server = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const browser = await launchPlainChromium();
  const walker = await readFile(join(ROOT, 'extension', 'discover.js'), 'utf8');
  let evidenceText = '';
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/contacts`);
    await page.addScriptTag({ content: walker });
    // Each scan is the live scanner's whole-page scan (the first is cold; later ones find the
    // rows remembered), timed with serialising its message: the page's main thread pays for
    // that too when the message is sent (JSON.stringify stands in for the browser's own).
    const scans = [];
    for (let i = 0; i < 5; i += 1) {
      scans.push(await page.evaluate(async (first) => {
        const longTasks = [];
        const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration)));
        observer.observe({ type: 'longtask' });
        globalThis.__crmBridgeForgetLive();
        const { message, stats } = await globalThis.__crmBridgeLiveScan(null);
        const serialising = performance.now();
        const json = JSON.stringify(message);
        const sendMs = performance.now() - serialising;
        await new Promise((r) => setTimeout(r, 50));
        observer.disconnect();
        return { stats, sendMs, longTasks, kind: message.kind, size: json.length, evidence: first ? JSON.stringify(message.evidence) : '' };
      }, i === 0));
    }
    evidenceText = scans[0].evidence;
    await mkdir(join(ROOT, 'target', 'bench'), { recursive: true });
    await writeFile(join(ROOT, 'target', 'bench', 'table-5000.evidence.json'), evidenceText);
    const total = (scan) => scan.stats.mainThreadMs + scan.sendMs;
    record('walker: 5,000-row table, first full scan, main-thread time (walk + message)', total(scans[0]), 'ms', { op: '<', value: 150 });
    record('walker: … of which serialising the message', scans[0].sendMs, 'ms');
    record('walker: whole-page rescan, rows remembered (median of 4)', median(scans.slice(1).map(total)), 'ms');
    record('walker: 5,000-row table, longest slice', Math.max(...scans.map((s) => s.stats.longestSliceMs)), 'ms', { op: '<', value: 50 });
    record('walker: 5,000-row table, long tasks > 50 ms seen', Math.max(...scans.map((s) => s.longTasks.filter((d) => d > 50).length)), 'count', { op: '<=', value: 0 });
    record('walker: 5,000-row table, message size', scans[0].size / 1024, 'KiB');
    // A rescan after 50 cells changed: only those rows are read and sent.
    const rescans = [];
    for (let i = 0; i < 5; i += 1) {
      rescans.push(await page.evaluate(async (round) => {
        const cells = document.querySelectorAll('tbody tr td:nth-child(2)');
        for (let j = 0; j < 50; j += 1) cells[j * 7 + round].textContent = `Renamed ${round}-${j}`;
        const { message, stats } = await globalThis.__crmBridgeLiveScan(null);
        const serialising = performance.now();
        const json = JSON.stringify(message);
        return { ms: stats.mainThreadMs + performance.now() - serialising, kind: message.kind, rows: message.delta ? message.delta.rows.length : 0, size: json.length };
      }, i));
    }
    if (rescans.some((r) => r.kind !== 'pageEvidenceDelta' || r.rows !== 50)) throw new Error(`a rescan did not send the 50 rows alone: ${JSON.stringify(rescans)}`);
    record('walker: rescan after a 50-node mutation (50 rows read and sent)', median(rescans.map((r) => r.ms)), 'ms', { op: '<', value: 5 });
    record('walker: … its message size', median(rescans.map((r) => r.size)) / 1024, 'KiB');
  } finally {
    await browser.close();
    server.close();
  }

  // The discovery module itself, in Node's V8 with the shipped Wasm and glue.
  const glue = await import(join(ROOT, 'dist', 'chrome', 'pkg', 'crm_discovery.js'));
  const started = performance.now();
  glue.initSync({ module: wasm });
  const instantiated = performance.now();
  const small = await readFile(join(ROOT, 'target', 'corpus', 'detail-dl-de.json'), 'utf8');
  const context = JSON.stringify({ locale: 'en-US', nowMs: Date.now() });
  glue.interpret_json(small, context);
  const firstRead = performance.now();
  record('discovery module: compile + instantiate (Node V8)', instantiated - started, 'ms');
  record('discovery module: first page read (metadata, rules)', firstRead - instantiated, 'ms');
  const reads = [];
  for (let i = 0; i < 3; i += 1) {
    const t = performance.now();
    const found = JSON.parse(glue.interpret_json(evidenceText, context));
    reads.push(performance.now() - t);
    if (i === 0) record('discovery module: contacts read from the 5,000-row table', found.contacts?.length ?? 0, 'count', { op: '>=', value: 5000 });
  }
  record('discovery module: read the 5,000-row table, 5,000 new numbers', reads[0], 'ms');
  record('discovery module: read it again (numbers remembered, a rescan)', median(reads.slice(1)), 'ms');
}
