// `npm run package [-- --target linux-x64]`: one .vsix per platform, carrying only that
// platform's native binaries (onnxruntime-node and tokenizers ship every platform in npm).
// The JavaScript is bundled by esbuild, so only the two native packages travel in node_modules.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNodeModules, repoRoot, run } from './lib.mjs';

/** VS Code target → [onnxruntime-node bin folder, tokenizers binary suffix]. */
const TARGETS = {
  'linux-x64': ['linux/x64', 'linux-x64-gnu'],
  'linux-arm64': ['linux/arm64', 'linux-arm64-gnu'],
  'darwin-arm64': ['darwin/arm64', 'darwin-arm64'],
  'win32-x64': ['win32/x64', 'win32-x64-msvc'],
  'win32-arm64': ['win32/arm64', 'win32-arm64-msvc'],
};

const argIndex = process.argv.indexOf('--target');
const target = argIndex > 0 ? process.argv[argIndex + 1] : `${process.platform}-${process.arch}`;
if (!TARGETS[target]) {
  console.error(`Unsupported target "${target}". Supported: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}
const [ortBin, tokenizersSuffix] = TARGETS[target];

ensureNodeModules();
run('node', ['esbuild.mjs'], 'build');

// .vscodeignore holds what every platform ships; add this platform's native binaries.
const ignore = `${readFileSync(join(repoRoot, '.vscodeignore'), 'utf8').trimEnd()}
!node_modules/onnxruntime-node/bin/napi-v6/${ortBin}/**
!node_modules/tokenizers/tokenizers.${tokenizersSuffix}.node
`;
const outDir = join(repoRoot, '.cache', 'package');
mkdirSync(outDir, { recursive: true });
const ignoreFile = join(outDir, `vscodeignore-${target}`);
writeFileSync(ignoreFile, ignore);
const vsix = join(repoRoot, `bert-lens-${target}.vsix`);
run(
  'npx',
  ['vsce', 'package', '--target', target, '--ignoreFile', ignoreFile, '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix],
  `package ${target}`,
);
console.log(`\n${vsix}: ${(statSync(vsix).size / 1e6).toFixed(1)} MB`);
