// `npm run test:desktop`: the same extension-host suite on desktop VS Code through
// @vscode/test-electron, for machines that can download VS Code (it cannot work offline;
// `npm test` runs the suite in code-server instead). Build first: `node esbuild.mjs --tests`.
import { runTests } from '@vscode/test-electron';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib.mjs';

const version = process.env.VSCODE_TEST_VERSION ?? 'stable'; // e.g. 1.91.0, the minimum engine
try {
  await runTests({
    version,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(repoRoot, 'out', 'integration', 'index.js'),
    launchArgs: [join(repoRoot, 'examples'), '--disable-extensions', '--user-data-dir', mkdtempSync(join(tmpdir(), 'bert-lens-desktop-'))],
  });
} catch (error) {
  console.error(`Desktop integration tests failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
