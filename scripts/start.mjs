#!/usr/bin/env node
// `npm start`: try BERT Lens in a real VS Code (code-server) in your browser.
//   1. installs the harness on first use (Node 24 + code-server in .cache/, Chromium via apt),
//   2. builds dist/ (node esbuild.mjs),
//   3. starts code-server on 127.0.0.1:8080 (or the next free port) with BERT Lens installed
//      (the repo folder linked into its extensions folder) and examples/ open, prints the URL,
//      and runs until Ctrl-C.
// `npm start -- --cli` or BERT_LENS_NO_BROWSER=1: no editor; prints a CLI report: fill-mask, two
//   NSP pairs, the sentiment head and `analyze` of examples/essay.md, on the bundled model.
//   Options: --port N (preferred port, default 8080), --cli.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ensureNodeModules, run } from './lib.mjs';
import { ensureInstalled } from './harness/install.mjs';
import { launchCodeServer } from './harness/launch.mjs';
import { paths } from './harness/paths.mjs';

const { values: args } = parseArgs({
  options: {
    cli: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? '8080' },
  },
});

ensureNodeModules();
run('node', ['esbuild.mjs'], 'build');

if (args.cli || process.env.BERT_LENS_NO_BROWSER === '1') {
  // One run of each analysis on the bundled model, as a person would type them.
  const commands = [
    ['fill-mask', 'the [MASK] sat on the mat .'],
    ['nsp', 'The storm knocked out the power.', 'We lit candles and waited for morning.'],
    ['nsp', 'The storm knocked out the power.', 'Photosynthesis takes place in the chloroplasts.'],
    ['classify', '--head', 'sentiment', 'a wonderful , moving film .'],
    ['analyze', 'examples/essay.md'],
  ];
  let status = 0;
  for (const command of commands) {
    console.log(`\n> bert-lens ${command.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`);
    const result = spawnSync(process.execPath, ['dist/cli.js', ...command], { cwd: paths.repoRoot, stdio: 'inherit' });
    status ||= result.status ?? 1;
  }
  process.exit(status);
}

ensureInstalled();
const server = await launchCodeServer({ port: Number(args.port), linkExtensions: [paths.repoRoot] });
const url = server.workbenchUrl({ folder: paths.examplesDir });
console.log(`
BERT Lens is running in code-server (VS Code in the browser):

    ${url}

Open examples/masks.md, select a sentence with [MASK] and right-click > BERT Lens >
Predict Masked Words, or hover over a [MASK]. After rebuilding (npm run build), run
"Developer: Reload Window" in the editor. code-server log: ${server.logFile}
Press Ctrl-C to stop.`);
const { code, signal } = await server.exited;
console.error(`code-server stopped (exit code ${code}, signal ${signal}); log: ${server.logFile}`);
await server.stop();
process.exit(1);
