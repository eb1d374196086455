#!/usr/bin/env node
// Renders media/icon.svg to media/icon.png (128 × 128, the Marketplace icon in package.json)
// with Debian's Chromium through playwright-core (scripts/harness/browser.mjs).
// Run from the repository root: node scripts/make-icon.mjs
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from './harness/browser.mjs';
import { paths } from './harness/paths.mjs';

const svg = readFileSync(join(paths.repoRoot, 'media', 'icon.svg'), 'utf8');
const { page, close } = await launchBrowser({ viewport: { width: 128, height: 128 } });
try {
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: join(paths.repoRoot, 'media', 'icon.png'), omitBackground: true });
  console.log('wrote media/icon.png');
} finally {
  await close();
}
