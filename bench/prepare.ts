/**
 * Benchmark preparation: writes the seeded random checkpoints (BERT-base shape and the tiny
 * fixture shape) under a temporary folder and compiles, from the same weights, every contender:
 * our fused fp32, fused int8 and standard fp32 graphs (model folders for the engine) and the
 * plain export transformers.js loads (standard operators, full `logits`, tokenizer.json,
 * config.json, the graph at onnx/model.onnx). Prints one JSON object: folders, sizes, compile times.
 *
 *   node out/bench/prepare.js WORK_DIR MODEL[,MODEL…]
 */
import { mkdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileCheckpoint, type CompileOptions } from '../src/model/compile';
import { writeBenchCheckpoint, type BenchShape } from './checkpoint';

export const ENGINE_CONTENDERS: Record<string, CompileOptions> = {
  'fused-fp32': { variant: 'fused', precision: 'fp32' },
  'fused-int8': { variant: 'fused', precision: 'int8' },
  'standard-fp32': { variant: 'standard', precision: 'fp32' },
};

const SEEDS: Record<BenchShape, number> = { base: 20251125, tiny: 7 };

async function main(): Promise<void> {
  const [workDir, modelList] = process.argv.slice(2);
  const repoRoot = resolve(__dirname, '..', '..');
  const out: Record<string, unknown> = {};
  for (const shape of modelList.split(',') as BenchShape[]) {
    const checkpoint = join(workDir, shape, 'checkpoint');
    const started = performance.now();
    writeBenchCheckpoint(checkpoint, shape, SEEDS[shape], repoRoot);
    const generateMs = performance.now() - started;
    const folders: Record<string, string> = {};
    const compiled: Record<string, { onnxBytes: number; compileMs: number }> = {};
    for (const [name, options] of Object.entries(ENGINE_CONTENDERS)) {
      const result = await compileCheckpoint(checkpoint, join(workDir, shape, name), options);
      folders[name] = result.outDir;
      compiled[name] = { onnxBytes: result.onnxBytes, compileMs: Math.round(result.timings.totalMs) };
    }
    // transformers.js: <localModelPath>/<name>/{config.json, tokenizer.json, onnx/model.onnx}
    const tjs = join(workDir, shape, 'transformers-js');
    const result = await compileCheckpoint(checkpoint, tjs, { variant: 'standard', precision: 'fp32', mlmOutput: 'all' });
    mkdirSync(join(tjs, 'onnx'), { recursive: true });
    renameSync(join(tjs, 'model.onnx'), join(tjs, 'onnx', 'model.onnx'));
    folders['transformers.js'] = tjs;
    compiled['transformers.js'] = { onnxBytes: result.onnxBytes, compileMs: Math.round(result.timings.totalMs) };
    out[shape] = { checkpoint, seed: SEEDS[shape], parameters: result.checkpoint.parameterCount, generateMs: Math.round(generateMs), folders, compiled };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
