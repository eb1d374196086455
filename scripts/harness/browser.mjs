// Debian's Chromium driven by playwright-core (never a downloaded browser), with the flags
// this offline machine needs: without the background-networking flags Chromium keeps
// opening connections that the closed network refuses.
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from './paths.mjs';

export const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-dev-shm-usage',
];

/** Launches headless Chromium with a fresh profile; returns { browser, context, page, close() }. */
export async function launchBrowser({ viewport = { width: 1400, height: 900 } } = {}) {
  if (!existsSync(paths.chromium)) {
    throw new Error(`${paths.chromium} not found: run \`node scripts/harness/install.mjs\` first`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'bert-lens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: paths.chromium,
    headless: true,
    args: chromiumFlags,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  async function close() {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
  return { context, page, close };
}
