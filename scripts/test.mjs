// `npm test`: everything a fresh machine needs, then the three tiers of tests.
//   1. npm dependencies (npm ci when node_modules is missing or stale)
//   2. type check (tsc --noEmit) and build (dist/ + out/ test bundles)
//   3. unit tests (node:test), integration tests in code-server's extension host, UI tests
//      with Playwright + Chromium against code-server (their harness installs on first run)
// Ends with one line `N passed, N failed` summing all tiers; exits non-zero on any failure.
//   node scripts/test.mjs [--only unit|integration|ui]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { ensureNodeModules, repoRoot, run } from './lib.mjs';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const tiers = only ? [only] : ['unit', 'integration', 'ui'];

ensureNodeModules();
run('npx', ['tsc', '--noEmit', '-p', '.'], 'type check');
run('node', ['esbuild.mjs', '--tests'], 'build');
if (tiers.some((t) => t !== 'unit')) run('node', ['scripts/harness/install.mjs'], 'code-server harness');

const results = [];
for (const tier of tiers) results.push({ tier, ...(await runTier(tier)) });

console.log('\nSummary:');
for (const r of results) console.log(`  ${r.tier.padEnd(12)} ${r.passed} passed, ${r.failed} failed${r.error ? ` (${r.error})` : ''}`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed + (r.error ? 1 : 0), 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

async function runTier(tier) {
  console.log(`\n=== ${tier} tests ===`);
  if (tier === 'unit') return unitTests();
  const script = tier === 'integration' ? 'test/integration/run.mjs' : 'test/ui/run.mjs';
  return countsFromOutput(await spawnTee('node', [script, '--no-build'])); // built above
}

function unitTests() {
  mkdirSync(`${repoRoot}/out`, { recursive: true });
  const tap = `${repoRoot}/out/unit.tap`;
  const { status } = spawnSync(
    'node',
    ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, 'out/unit/'],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  const text = readFileSync(tap, 'utf8');
  const count = (name) => Number(text.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? NaN);
  const passed = count('pass');
  const failed = count('fail') + (count('cancelled') || 0);
  if (Number.isNaN(passed)) return { passed: 0, failed: 0, error: 'no test report' };
  return { passed, failed, error: status !== 0 && failed === 0 ? `exit code ${status}` : undefined };
}

/** Runs a child with its output shown live and resolves with { status, output }. */
function spawnTee(command, args) {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (status) => resolve({ status, output }));
  });
}

function countsFromOutput({ status, output }) {
  const lines = [...output.matchAll(/^(\d+) passed, (\d+) failed/gm)];
  const last = lines.at(-1);
  if (!last) return { passed: 0, failed: 0, error: `no result line (exit code ${status})` };
  const passed = Number(last[1]);
  const failed = Number(last[2]);
  return { passed, failed, error: status !== 0 && failed === 0 ? `exit code ${status}` : undefined };
}
