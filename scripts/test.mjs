// `npm test`: everything a fresh machine needs, then the three tiers of tests.
//   1. npm dependencies (npm ci when node_modules is missing or stale)
//   2. type check (tsc --noEmit) and build (dist/ + out/ test bundles)
//   3. unit tests (node:test); the pre-training pipeline's Python tests (Debian's PyTorch,
//      installed by apt when missing); integration tests in code-server's extension host; UI
//      tests with Playwright + Chromium against code-server (their harness installs on first run)
// Ends with one line `N passed, N failed` summing all tiers; exits non-zero on any failure.
//   node scripts/test.mjs [--only unit|training|integration|ui]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { ensureAptPackages, ensureNodeModules, repoRoot, run } from './lib.mjs';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const tiers = only ? [only] : ['unit', 'training', 'integration', 'ui'];

ensureNodeModules();
run('npx', ['tsc', '--noEmit', '-p', '.'], 'type check');
run('node', ['esbuild.mjs', '--tests'], 'build');
if (tiers.some((t) => t === 'integration' || t === 'ui')) run('node', ['scripts/harness/install.mjs'], 'code-server harness');

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
  if (tier === 'training') return trainingTests();
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

/**
 * training/test_*.py with Debian's PyTorch (/usr/bin/python3: a pyenv or venv python3 first on
 * PATH would lack torch). OpenBLAS keeps Debian's torch from its slow reference BLAS.
 */
async function trainingTests() {
  ensureAptPackages(['python3-torch', 'python3-numpy', 'libopenblas0-pthread'], (m) => console.log(`[training] ${m}`));
  const { status, output } = await spawnTee('/usr/bin/python3', ['-m', 'unittest', '-v', 'training/test_data.py', 'training/test_train.py'], true);
  const outcomes = [...output.matchAll(/ \.\.\. (ok|FAIL|ERROR|skipped|expected failure|unexpected success)/g)].map((m) => m[1]);
  const passed = outcomes.filter((o) => o === 'ok' || o === 'expected failure').length;
  const failed = outcomes.filter((o) => o === 'FAIL' || o === 'ERROR' || o === 'unexpected success').length;
  if (outcomes.length === 0) return { passed: 0, failed: 0, error: `no test report (exit code ${status})` };
  return { passed, failed, error: status !== 0 && failed === 0 ? `exit code ${status}` : undefined };
}

/** Runs a child with its output shown live and resolves with { status, output }. */
function spawnTee(command, args, withStderr = false) {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', withStderr ? 'pipe' : 'inherit'] });
    const tee = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on('data', tee(process.stdout));
    child.stderr?.on('data', tee(process.stderr));
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
