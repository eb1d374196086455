#!/usr/bin/env node
// Installs what the VS Code test harness needs, idempotently, into the ignored .cache/ folder:
//   - Debian packages: chromium (UI/integration driver), libkrb5-dev, build-essential, python3,
//     pkg-config (code-server's native modules build against them), fonts-wqy-zenhei, neovim
//     (the other-editor LSP test);
//   - Node 24 from the npm registry (.cache/node24), which code-server 4.139 requires;
//   - code-server@4.139.1 (.cache/code-server), built with Node 24 first on PATH and
//     npm_config_nodedir pointing at Node 24's headers (~/.npmrc's nodedir=/usr is overridden).
// A completed step leaves a stamp file, so a second run returns within seconds.
// Usage: node scripts/harness/install.mjs [--quiet]   (also importable: ensureInstalled())
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { paths } from './paths.mjs';
import { ensureAptPackages } from '../lib.mjs';

const NODE24_VERSION = '24.21.0';
const CODE_SERVER_VERSION = '4.139.1';
// fonts-wqy-zenhei: CJK glyphs, so Chinese tokens in hovers and screenshots are not empty boxes.
// neovim: the LSP client that is not ours, for test/unit/neovim-lsp.test.ts (Debian 12: 0.7.2).
const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'build-essential', 'python3', 'pkg-config', 'fonts-wqy-zenhei', 'neovim'];

function log(message) {
  process.stderr.write(`[harness:install] ${message}\n`);
}

function run(command, args, options = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
  }
  return Date.now() - started;
}

function stampMatches(stampFile, expected) {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === expected;
}

/** npm wants a package.json in the private prefix, otherwise it walks up to the repo. */
function ensurePrivatePrefix(dir, name) {
  mkdirSync(dir, { recursive: true });
  const manifest = `${dir}/package.json`;
  if (!existsSync(manifest)) {
    writeFileSync(manifest, JSON.stringify({ name, private: true, description: 'harness cache' }, null, 2));
  }
}

function ensureNode24() {
  const stamp = `${paths.node24Dir}/.installed`;
  if (stampMatches(stamp, NODE24_VERSION) && existsSync(paths.node24Bin)) {
    log(`node ${NODE24_VERSION}: already installed`);
    return;
  }
  ensurePrivatePrefix(paths.node24Dir, 'harness-node24');
  log(`npm install node@${NODE24_VERSION} into ${paths.node24Dir}`);
  const ms = run('npm', ['install', '--no-save', '--no-package-lock', `node@${NODE24_VERSION}`], {
    cwd: paths.node24Dir,
  });
  const version = spawnSync(paths.node24Bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (version !== `v${NODE24_VERSION}`) throw new Error(`node 24 binary reports ${version}`);
  writeFileSync(stamp, NODE24_VERSION);
  log(`node ${version} installed in ${(ms / 1000).toFixed(1)} s`);
}

function ensureCodeServer() {
  const stamp = `${paths.codeServerDir}/.installed`;
  if (stampMatches(stamp, CODE_SERVER_VERSION) && existsSync(paths.codeServerEntry)) {
    log(`code-server ${CODE_SERVER_VERSION}: already installed`);
    return;
  }
  ensurePrivatePrefix(paths.codeServerDir, 'harness-code-server');
  log(`npm install code-server@${CODE_SERVER_VERSION} with Node 24 (takes ~4-5 min the first time)`);
  // Under `npm test` the outer npm (Node 20) exports npm_config_* variables; the inner npm
  // would take them as its own config, e.g. a user agent saying node/v20, which code-server's
  // postinstall reads as the Node version and then refuses. Start from a clean npm environment.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  const env = {
    ...inherited,
    PATH: `${paths.node24BinDir}:${process.env.PATH}`,
    npm_config_nodedir: paths.node24Headers,
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
  };
  const ms = run(
    paths.node24Bin,
    [paths.npmCli, 'install', '--no-save', '--no-package-lock', '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`],
    { cwd: paths.codeServerDir, env },
  );
  if (!existsSync(paths.codeServerEntry)) throw new Error(`code-server entry missing: ${paths.codeServerEntry}`);
  writeFileSync(stamp, CODE_SERVER_VERSION);
  log(`code-server installed in ${(ms / 1000).toFixed(1)} s`);
}

export function ensureInstalled() {
  const started = Date.now();
  ensureAptPackages(APT_PACKAGES, log);
  ensureNode24();
  ensureCodeServer();
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    ensureInstalled();
  } catch (error) {
    log(`FAILED: ${error.message}`);
    process.exit(1);
  }
}
