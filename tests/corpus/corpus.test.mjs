// The discovery corpus (issues 6, 22): the real walker runs on every page of tests/fixtures/pages
// (the half the detectors are tuned on) and tests/fixtures/held-out (pages of real CRM software
// never looked at while changing detectors) in headless Chromium, and the native core scores
// each half against the pages' expected contacts (crates/discovery/src/bin/corpus.rs).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { collectCorpus } from './collect.mjs';
import { ROOT } from '../e2e/lib/extension.mjs';

let results;
before(async () => { results = await collectCorpus(); });

test('discovery finds the contacts of the corpus: tuned half ≥ 0.98 / 0.95, held-out half above its floor', async () => {
  assert.ok(results.length >= 120, `the corpus has ${results.length} pages`);
  // Pages of real CRM software installed from the registries (tests/corpus/<crm>/capture.mjs).
  const real = results.filter(({ name }) => /^(creme|tryton)-/.test(name)).length;
  assert.ok(real >= 60, `${real} pages of real CRMs`);
  let output;
  try {
    output = execFileSync('cargo', ['run', '--quiet', '-p', 'crm-discovery', '--bin', 'corpus', '--', '--json'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    assert.fail(`below the bar or unreadable:\n${err.stdout}\n${err.stderr}`);
  }
  const { tuned, heldOut } = JSON.parse(output.split('\n').find((line) => line.startsWith('{')));
  for (const line of output.trim().split('\n').slice(-2)) console.log(`# ${line}`);
  assert.ok(tuned.precision >= 0.98 && tuned.recall >= 0.95);
  assert.ok(heldOut.pages >= 10, 'the held-out half is there');
});

test('the walker stays within a slice budget on every corpus page', () => {
  for (const { name, stats } of results) {
    assert.ok(stats.longestSliceMs < 50, `${name}: a ${stats.longestSliceMs} ms task`);
  }
});
