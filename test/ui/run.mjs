#!/usr/bin/env node
// UI-test runner: code-server with BERT Lens loaded, the examples/ folder open in headless
// Chromium, then every test in test/ui/*.ui.mjs in file order, as a person would use the
// workbench. Screenshots of each step go to test-results/screenshots/. Last line:
// `N passed, N failed`; exit code 1 on any failure.
//
//   node test/ui/run.mjs [--no-build] [--dev] [--grep TEXT[|TEXT...]] [--verbose]
// --grep keeps the tests whose name or file name contains one of the TEXTs.
// By default the repo is linked into code-server's extensions folder and loads as an installed
// extension, so notifications show as toasts the way a user sees them. --dev loads it as a
// development extension instead (needs the smoke-test driver, which hides toasts: messages are
// then read from the notification center).
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ensureInstalled } from '../../scripts/harness/install.mjs';
import { launchCodeServer } from '../../scripts/harness/launch.mjs';
import { launchBrowser } from '../../scripts/harness/browser.mjs';
import { paths } from '../../scripts/harness/paths.mjs';
import { Workbench } from './workbench.mjs';

const { values: args } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    dev: { type: 'boolean', default: false },
    grep: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const started = Date.now();
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);
const say = (line) => process.stdout.write(`[ui] ${line}\n`);

let passed = 0;
let failed = 0;
function finish(reason) {
  if (reason) say(reason);
  say(`finished in ${seconds(started)} s; screenshots in ${paths.screenshotsDir}`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

ensureInstalled();
if (!args['no-build']) {
  say('building: node esbuild.mjs');
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: paths.repoRoot, stdio: 'inherit' });
  if (build.status !== 0) {
    failed = 1;
    finish('build failed');
  }
}

const tests = [];
const uiDir = join(paths.repoRoot, 'test', 'ui');
for (const file of readdirSync(uiDir).filter((name) => name.endsWith('.ui.mjs')).sort()) {
  const module = await import(pathToFileURL(join(uiDir, file)).href);
  for (const test of module.tests) tests.push({ ...test, file });
}
// --grep 'a|b': tests whose name or file name contains a or b.
const wanted = args.grep?.split('|').filter(Boolean) ?? [];
const selected = tests.filter((test) => wanted.length === 0 || wanted.some((text) => test.name.includes(text) || test.file.includes(text)));

rmSync(paths.screenshotsDir, { recursive: true, force: true });
let server;
let browser;
try {
  server = await launchCodeServer({
    smokeTestDriver: args.dev,
    extensionDevelopmentPath: args.dev ? paths.repoRoot : undefined,
    linkExtensions: args.dev ? [] : [paths.repoRoot],
  });
  say(`code-server ready at ${server.url} after ${seconds(started)} s (log: ${server.logFile})`);
  browser = await launchBrowser();
  if (args.verbose) browser.page.on('console', (m) => say(`[console:${m.type()}] ${m.text()}`));
  const workbench = new Workbench(browser.page, paths.screenshotsDir, { toasts: !args.dev });
  const paintStart = Date.now();
  await workbench.open(server.workbenchUrl({ folder: paths.examplesDir }));
  say(`workbench painted after ${seconds(paintStart)} s`);
  await workbench.screenshot('workbench');

  for (const test of selected) {
    const testStart = Date.now();
    try {
      await test.run({ workbench, page: browser.page, paths, log: say });
      passed++;
      say(`✔ ${test.name} (${seconds(testStart)} s)`);
    } catch (error) {
      failed++;
      say(`✘ ${test.name} (${seconds(testStart)} s)\n    ${String(error.stack ?? error).split('\n').slice(0, 6).join('\n    ')}`);
      await workbench.screenshot(`FAILED-${test.name.replace(/\W+/g, '-')}`).catch(() => {});
      await workbench.reset().catch(() => {});
    }
  }
} catch (error) {
  failed++;
  say(`ERROR: ${error.stack ?? error}`);
  await browser?.page.screenshot({ path: join(paths.testResultsDir, 'ui-error.png') }).catch(() => {});
} finally {
  await browser?.close();
  await server?.stop();
}
finish();
