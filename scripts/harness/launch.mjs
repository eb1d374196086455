// Starts code-server (VS Code's real workbench + Node extension host) in an isolated state:
// its own --user-data-dir, --extensions-dir, XDG_* folders and a user settings.json that turns
// off chat/AI, telemetry, welcome page, trust prompts and update checks. Binds 127.0.0.1 on a
// free port, waits until /healthz answers, and returns { url, port, pid, logFile, stop(),
// workbenchUrl(), exited }. The process tree is killed by stop(), on process exit and on failure.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { paths } from './paths.mjs';
import { harnessUserSettings } from './settings.mjs';
import { freePort, killTree, killTreeNow } from './process-tree.mjs';

const live = new Set();
let exitHooksInstalled = false;

function installExitHooks() {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const instance of live) instance.killNow();
  });
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(name, () => {
      for (const instance of live) instance.killNow();
      process.exit(128 + (name === 'SIGINT' ? 2 : name === 'SIGTERM' ? 15 : 1));
    });
  }
}

/**
 * Links `folder` into `extensionsDir` as <publisher>.<name>-<version>. Measured: VS Code scans
 * the folder (there is no extensions.json yet) and loads it as an installed extension, while a
 * payload extensionDevelopmentPath is ignored unless the smoke-test driver is on.
 */
function linkExtension(folder, extensionsDir) {
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  const target = join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  symlinkSync(resolve(folder), target, 'dir');
  return target;
}

async function waitUntilAnswering(url, child, timeoutMs, logFile) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child.once('exit', (code, sig) => {
    exited = `code-server exited early (code ${code}, signal ${sig}); see ${logFile}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`code-server did not answer on ${url} within ${timeoutMs} ms; see ${logFile}`);
}

/**
 * @param {object} [options]
 * @param {string} [options.extensionDevelopmentPath] absolute folder loaded as a development extension
 * @param {Record<string,string>} [options.env] extra environment (reaches the extension host)
 * @param {boolean} [options.smokeTestDriver] start with enable-smoke-test-driver (integration tests)
 * @param {number} [options.port] preferred port (first free one from there), else any free port
 * @param {string[]} [options.linkExtensions] extension folders symlinked into --extensions-dir, so
 *   they load as installed extensions without the smoke-test driver (which hides toasts)
 * @param {string[]} [options.installExtensions] .vsix files to install before starting
 * @param {object} [options.settings] extra user settings merged over the harness defaults
 * @param {boolean} [options.keepState] keep the temporary state folder after stop()
 * @param {boolean} [options.echo] echo code-server's own output to stderr
 * @param {number} [options.startTimeoutMs]
 */
export async function launchCodeServer(options = {}) {
  if (!existsSync(paths.codeServerEntry) || !existsSync(paths.node24Bin)) {
    throw new Error('code-server is not installed: run `node scripts/harness/install.mjs` first');
  }
  installExitHooks();
  const stateDir = mkdtempSync(join(tmpdir(), 'bert-lens-code-server-'));
  const dirs = {
    userData: join(stateDir, 'user-data'),
    extensions: join(stateDir, 'extensions'),
    xdgConfig: join(stateDir, 'xdg-config'),
    xdgData: join(stateDir, 'xdg-data'),
    xdgCache: join(stateDir, 'xdg-cache'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(
    join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify({ ...harnessUserSettings, ...(options.settings ?? {}) }, null, 2),
  );
  const configFile = join(stateDir, 'config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');

  const port = await freePort(options.port);
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    ...(options.env ?? {}),
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    // code-server (and its extension host) must run on Node 24, not the machine's Node 20.
    PATH: `${paths.node24BinDir}:${process.env.PATH}`,
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  delete env.NODE_OPTIONS;

  const common = [
    '--config', configFile,
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
  ];
  const links = (options.linkExtensions ?? []).map((folder) => linkExtension(folder, dirs.extensions));
  for (const vsix of options.installExtensions ?? []) {
    await new Promise((resolveInstall, rejectInstall) => {
      const installer = spawn(paths.node24Bin, [paths.codeServerEntry, ...common, '--install-extension', resolve(vsix)], {
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      installer.once('exit', (code) =>
        code === 0 ? resolveInstall() : rejectInstall(new Error(`--install-extension ${vsix} exited ${code}`)),
      );
    });
  }

  const args = [paths.codeServerEntry, ...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none'];
  if (options.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  const logFile = join(stateDir, 'code-server.log');
  const log = createWriteStream(logFile);
  const child = spawn(paths.node24Bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      log.write(chunk);
      if (options.echo) process.stderr.write(chunk);
    });
  }

  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  let stopped = false;
  /** Removes the state folder; the extension links go first, so nothing can follow them. */
  function removeState() {
    if (options.keepState) return;
    for (const link of links) rmSync(link, { force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
  const instance = {
    killNow() {
      if (child.pid) killTreeNow(child.pid);
      removeState();
    },
  };
  live.add(instance);

  async function stop() {
    if (stopped) return;
    stopped = true;
    live.delete(instance);
    if (child.pid) await killTree(child.pid);
    log.end();
    removeState();
  }

  try {
    await waitUntilAnswering(url, child, options.startTimeoutMs ?? 60_000, logFile);
  } catch (error) {
    options.keepState = true;
    await stop();
    throw error;
  }

  /** Workbench URL opening `folder`, optionally with a test/development payload. */
  function workbenchUrl({ folder, extensionDevelopmentPath, extensionTestsPath } = {}) {
    const query = new URLSearchParams();
    if (folder) query.set('folder', resolve(folder));
    const payload = [];
    const remote = (path) => `vscode-remote://127.0.0.1:${port}${resolve(path)}`;
    const devPath = extensionDevelopmentPath ?? options.extensionDevelopmentPath;
    if (devPath) payload.push(['extensionDevelopmentPath', remote(devPath)]);
    if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
    if (payload.length) query.set('payload', JSON.stringify(payload));
    return `${url}/?${query.toString()}`;
  }

  return { url, port, pid: child.pid, logFile, stateDir, stop, workbenchUrl, exited };
}
