// Runs the real discovery walker (extension/discover.js) on every page of the corpus
// (tests/fixtures/pages) in headless Chromium and writes each page's evidence to
// target/corpus/<page>.json, for the native scorer (crates/discovery/src/bin/corpus.rs).
// Each page is served from 127.0.0.1 at the path its expectation names, under /<page>/.
import { createServer } from 'node:http';
import { readFile, readdir, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, launchPlainChromium } from '../e2e/lib/extension.mjs';

export const PAGES = join(ROOT, 'tests', 'fixtures', 'pages');
/** The held-out half: pages the detectors are never tuned on (docs/discovery.md "Corpus"). */
export const HELD_OUT = join(ROOT, 'tests', 'fixtures', 'held-out');
export const OUT = join(ROOT, 'target', 'corpus');

/** Serves the corpus; resolves to {server, origin, pages: [{name, url}]}. */
export async function serveCorpus() {
  const routes = new Map();
  const pages = [];
  for (const dir of [PAGES, HELD_OUT]) {
    const names = (await readdir(dir)).filter((f) => f.endsWith('.html')).map((f) => f.slice(0, -5)).sort();
    for (const name of names) {
      const expected = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8'));
      const path = `/${name}${expected.path}`;
      routes.set(path.split('#')[0], { name, dir });
      pages.push({ name, path });
    }
  }
  const server = createServer(async (req, res) => {
    const page = routes.get(req.url);
    if (!page) { res.writeHead(404).end('not in the corpus'); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(await readFile(join(page.dir, `${page.name}.html`)));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { server, origin, pages: pages.map((p) => ({ ...p, url: origin + p.path })) };
}

/** Collects every page's evidence; resolves to [{name, stats}]. */
export async function collectCorpus() {
  const walker = await readFile(join(ROOT, 'extension', 'discover.js'), 'utf8');
  const { server, pages } = await serveCorpus();
  const browser = await launchPlainChromium();
  await mkdir(OUT, { recursive: true });
  const results = [];
  try {
    const page = await browser.newPage();
    for (const { name, url } of pages) {
      await page.goto(url);
      await page.addScriptTag({ content: walker });
      const { evidence, stats } = await page.evaluate(() => globalThis.__crmBridgeCollect());
      await writeFile(join(OUT, `${name}.json`), JSON.stringify(evidence, null, 1));
      results.push({ name, stats });
    }
  } finally {
    await browser.close();
    server.close();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await collectCorpus();
  console.log(`${results.length} pages → ${OUT}`);
}
