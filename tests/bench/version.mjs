// The crate version (the store archives are named after it).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../e2e/lib/extension.mjs';

export async function version() {
  const manifest = JSON.parse(await readFile(join(ROOT, 'dist', 'chrome', 'manifest.json'), 'utf8'));
  return manifest.version;
}
