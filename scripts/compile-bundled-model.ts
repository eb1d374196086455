/**
 * Compiles a checkpoint folder with the project's compiler, with the `attentions` output
 * (which `bert-lens import` does not expose), so the panel's attention heatmap works on a model
 * folder that ships without its checkpoint, and the `layer_means` output (as `bert-lens import`
 * has it), which `layers-mean` linear heads read. Used by scripts/make-bundled-model.mjs.
 *
 *   node scripts/run-ts.mjs scripts/compile-bundled-model.ts CHECKPOINT OUT [int8|fp16|fp32] [--no-attentions] [--no-layer-means]
 */
import { compileCheckpoint } from '../src/model/compile';
import type { BertGraphPrecision } from '../src/model/onnx/bert-graph';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const attentions = !args.includes('--no-attentions');
  const layerMeans = !args.includes('--no-layer-means');
  const [source, out, precision = 'int8'] = args.filter((a) => !a.startsWith('--'));
  if (!source || !out || !['int8', 'fp16', 'fp32'].includes(precision)) {
    throw new Error('usage: compile-bundled-model.ts CHECKPOINT OUT [int8|fp16|fp32] [--no-attentions] [--no-layer-means]');
  }
  const result = await compileCheckpoint(source, out, { precision: precision as BertGraphPrecision, attentions, layerMeans });
  const files = result.files.map((f) => `${f.name} ${f.bytes}`).join(', ');
  const extras = `${attentions ? ' + attentions' : ''}${layerMeans ? ' + layer_means' : ''}`;
  console.log(`${result.outDir}: ${result.variant} ${result.precision}${extras}; ${files}; ${(result.timings.totalMs / 1000).toFixed(1)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
