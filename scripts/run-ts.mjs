// Runs a TypeScript script of this repo: bundles it with esbuild into out/scripts/, then runs
// it with node. `node scripts/run-ts.mjs scripts/make-vocab.ts [args...]`
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { repoRoot } from './lib.mjs';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: node scripts/run-ts.mjs SCRIPT.ts [args...]');
  process.exit(2);
}
const outfile = join(repoRoot, 'out', 'scripts', basename(script).replace(/\.ts$/, '.js'));
await build({ entryPoints: [join(repoRoot, script)], bundle: true, platform: 'node', format: 'cjs', outfile, external: ['onnxruntime-node', 'tokenizers'], logLevel: 'warning' });
const { status } = spawnSync('node', [outfile, ...args], { cwd: repoRoot, stdio: 'inherit' });
process.exit(status ?? 1);
