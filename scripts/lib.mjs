// Small helpers shared by the repo's scripts (test, start, package, harness): the repo root,
// running a step with a clear failure message, installing npm dependencies and Debian packages
// when they are missing.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));

/** Runs a command in the repo root with inherited output; exits the script if it fails. */
export function run(command, args, what, options = {}) {
  console.log(`\n> ${what}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`\n${what} failed (exit code ${result.status ?? result.signal}).`);
    process.exit(result.status || 1);
  }
}

/** `npm ci` when node_modules is missing or older than package-lock.json. */
export function ensureNodeModules() {
  const marker = join(repoRoot, 'node_modules', '.package-lock.json');
  const lock = join(repoRoot, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  run('npm', ['ci', '--no-audit', '--no-fund'], 'install npm dependencies', {
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
}

/**
 * Installs the Debian packages that dpkg does not report as installed (apt-get update first),
 * refusing any install that would remove a package (such as nodejs). Throws on failure.
 */
export function ensureAptPackages(names, log = (m) => console.log(m)) {
  const missing = names.filter((name) => {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return result.status !== 0 || !result.stdout.includes('install ok installed');
  });
  if (missing.length === 0) {
    log(`apt packages: ${names.join(' ')} already installed`);
    return;
  }
  const apt = (args, options = {}) => {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', ...options });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed with exit code ${result.status}`);
  };
  log(`apt packages missing: ${missing.join(' ')}; running apt-get update`);
  const started = Date.now();
  apt(['update', '-qq']);
  const simulated = spawnSync('apt-get', ['-s', 'install', '-y', ...missing], { encoding: 'utf8' });
  const removals = simulated.stdout.split('\n').filter((line) => /^Remv /.test(line));
  if (removals.length > 0) {
    throw new Error(`refusing to install ${missing.join(' ')}: apt would remove\n${removals.join('\n')}`);
  }
  log(`apt-get install ${missing.join(' ')}`);
  apt(['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  log(`apt packages installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
