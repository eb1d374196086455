#!/usr/bin/env node
// Integration-test runner: what @vscode/test-electron does, on code-server in headless Chromium.
// Starts code-server with the smoke-test driver, opens the workbench on the examples/ folder
// with the repo as a development extension and out/integration/index.js as extensionTestsPath,
// forwards the extension host's console (mocha's output) to stdout, and exits with the code the
// workbench hands to window.codeAutomationExit. The last line is `N passed, N failed`.
//
//   node test/integration/run.mjs [--no-build] [--extension DIR] [--tests FILE.js]
//                                 [--folder DIR] [--timeout SECONDS] [--verbose]
// Environment variables (e.g. BERT_LENS_MODEL) reach the extension host unchanged.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureInstalled } from '../../scripts/harness/install.mjs';
import { launchCodeServer } from '../../scripts/harness/launch.mjs';
import { launchBrowser } from '../../scripts/harness/browser.mjs';
import { paths } from '../../scripts/harness/paths.mjs';

const RESULT_MARKER = 'BERT_LENS_MOCHA_RESULT ';
const MOCHA_LINE_PREFIX = '[exthost:mocha] ';

const { values: args } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    extension: { type: 'string', default: paths.repoRoot },
    tests: { type: 'string' },
    folder: { type: 'string', default: paths.examplesDir },
    timeout: { type: 'string', default: '300' },
    verbose: { type: 'boolean', default: false },
  },
});
const extensionDir = resolve(args.extension);
const testsFile = resolve(args.tests ?? join(extensionDir, 'out', 'integration', 'index.js'));
const timeoutMs = Number(args.timeout) * 1000;
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line) => process.stdout.write(`[integration] ${line}\n`);

function finish(exitCode, counts, reason) {
  if (reason) say(reason);
  say(`finished in ${elapsed()} with exit code ${exitCode}`);
  // A run that never reported counts (crash, timeout) must not look like a pass.
  const passed = counts?.passed ?? 0;
  const failed = counts?.failed ?? (exitCode === 0 ? 0 : 1);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(exitCode);
}

ensureInstalled();
if (!args['no-build']) {
  // A test deleted from the sources must not keep running from a stale bundle.
  rmSync(join(paths.repoRoot, 'out', 'integration'), { recursive: true, force: true });
  say('building: node esbuild.mjs --tests');
  const build = spawnSync(process.execPath, ['esbuild.mjs', '--tests'], { cwd: paths.repoRoot, stdio: 'inherit' });
  if (build.status !== 0) finish(1, null, 'build failed');
}
if (!existsSync(testsFile)) finish(1, null, `test entry ${testsFile} does not exist (build first)`);

let server;
let browser;
let counts = null;
const cleanup = async () => {
  await browser?.close();
  await server?.stop();
};

try {
  server = await launchCodeServer({ smokeTestDriver: true, extensionDevelopmentPath: extensionDir });
  say(`code-server ready at ${server.url} after ${elapsed()} (log: ${server.logFile})`);
  browser = await launchBrowser();
  const { page } = browser;

  let resolveExit;
  const exitCode = new Promise((resolveIt) => {
    resolveExit = resolveIt;
  });
  // Must exist before the workbench loads: it calls this when the test run() settles.
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
  mkdirSync(paths.testResultsDir, { recursive: true });
  const consoleLog = [];
  page.on('console', (message) => {
    const text = message.text();
    consoleLog.push(`[${message.type()}] ${text}`);
    const markerAt = text.indexOf(RESULT_MARKER);
    if (markerAt >= 0) counts = JSON.parse(text.slice(markerAt + RESULT_MARKER.length));
    // Mocha's lines are formatted in the extension host and prefixed by suite/index.ts; the
    // rest is workbench noise (gallery look-ups that fail offline...), kept in the log file.
    const mochaAt = text.indexOf(MOCHA_LINE_PREFIX);
    if (mochaAt >= 0) process.stdout.write(`${text.slice(mochaAt + MOCHA_LINE_PREFIX.length)}\n`);
    else if (args.verbose) process.stdout.write(`[console:${message.type()}] ${text}\n`);
  });
  page.on('pageerror', (error) => consoleLog.push(`[pageerror] ${error.message}`));

  const target = server.workbenchUrl({ folder: args.folder, extensionDevelopmentPath: extensionDir, extensionTestsPath: testsFile });
  say(`opening ${target}`);
  await page.goto(target);

  let timer;
  const timedOut = new Promise((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([exitCode, timedOut]);
  clearTimeout(timer);
  writeFileSync(join(paths.testResultsDir, 'integration-console.log'), consoleLog.join('\n'));
  if (outcome === 'timeout') {
    await page.screenshot({ path: join(paths.testResultsDir, 'integration-timeout.png') }).catch(() => {});
    await cleanup();
    finish(
      1,
      counts,
      `TIMEOUT: no test result after ${timeoutMs / 1000} s. Is code-server started with ` +
        `enable-smoke-test-driver, does ${testsFile} export run(), and did the extension activate? ` +
        `Browser console: test-results/integration-console.log, screenshot: test-results/integration-timeout.png`,
    );
  }
  await cleanup();
  if (!counts) say('the test suite did not report its counts (did run() throw before mocha started?)');
  finish(outcome, counts);
} catch (error) {
  await cleanup();
  finish(1, counts, `ERROR: ${error.stack ?? error}`);
}
