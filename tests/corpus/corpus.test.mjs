// The discovery corpus (issue 6): the real walker runs on every page of tests/fixtures/pages in
// headless Chromium, and the native core scores what it finds against each page's expected
// contacts: precision ≥ 0.98 and recall ≥ 0.95 on (name, number) pairs, or this fails.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { collectCorpus } from './collect.mjs';
import { ROOT } from '../e2e/lib/extension.mjs';

let results;
before(async () => { results = await collectCorpus(); });

test('discovery finds the contacts of the corpus pages (precision ≥ 0.98, recall ≥ 0.95)', async () => {
  assert.ok(results.length >= 40, `the corpus has ${results.length} pages`);
  let output;
  try {
    output = execFileSync('cargo', ['run', '--quiet', '-p', 'crm-discovery', '--bin', 'corpus', '--', '--json'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    assert.fail(`below target or unreadable:\n${err.stdout}\n${err.stderr}`);
  }
  const score = JSON.parse(output.split('\n').find((line) => line.startsWith('{')));
  console.log(`# ${output.trim().split('\n').pop()}`);
  assert.ok(score.precision >= 0.98 && score.recall >= 0.95);
});

test('the walker stays within a slice budget on every corpus page', () => {
  for (const { name, stats } of results) {
    assert.ok(stats.longestSliceMs < 50, `${name}: a ${stats.longestSliceMs} ms task`);
  }
});
