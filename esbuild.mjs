// One build script for every process (after vscode-eslint's esbuild.js):
//   node esbuild.mjs            production bundles in dist/ (extension, server, cli)
//   node esbuild.mjs --watch    rebuild on change
//   node esbuild.mjs --tests    also bundle unit and integration tests into out/
// `vscode` is provided by the host; native modules (onnxruntime-node, tokenizers) are
// shipped in node_modules and loaded at run time, so they stay external.
import * as esbuild from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  sourcemap: true,
  external: ['vscode', 'onnxruntime-node', 'tokenizers', 'mocha', 'playwright-core'],
  logLevel: 'warning',
};

/** Every `*.test.ts` below `dir`, recursively. */
function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts', server: 'src/server/main.ts' },
    outdir: 'dist',
  },
  { ...common, entryPoints: { cli: 'src/cli/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
];
if (tests) {
  builds.push({ ...common, entryPoints: testFiles('test/unit'), outdir: 'out/unit' });
  builds.push({
    ...common,
    entryPoints: ['test/integration/suite/index.ts', ...testFiles('test/integration/suite')],
    outdir: 'out/integration',
  });
}

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
  console.log('[watch] watching for changes');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
