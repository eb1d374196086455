/**
 * `bert-lens import SOURCE [--out DIR] [--quantize int8|fp16|none] [--variant fused|standard] [--json]`: compiles a Hugging Face BERT
 * checkpoint — a local folder (config.json, model.safetensors, vocab.txt or tokenizer.json) or
 * a Hub id, downloaded into the per-user cache first — into a self-contained
 * model folder (config, tokenizer files, model.onnx, with the `layer_means` output that
 * `layers-mean` linear heads read), checks that the engine can load it, and prints what it
 * found: heads, what is off and why, sizes, compile time.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { loadModel } from '../engine';
import { compileCheckpoint, DEFAULT_COMPILE_PRECISION, DEFAULT_COMPILE_VARIANT, IMPORT_COMPILE_OPTIONS, type CompileResult } from '../model/compile';
import type { BertGraphPrecision, BertGraphVariant } from '../model/onnx/bert-graph';
import { downloadCheckpoint, hubIdFromModelSpec, type DownloadProgress } from '../model/hub';
import { type CommandContext, parseCommandArgs, UsageError } from './shared';

/** One stderr line per downloaded file and at most one every 2 s while it downloads. */
function progressOnStderr(ctx: CommandContext): (progress: DownloadProgress) => void {
  let last = 0;
  return ({ file, fileBytes, fileTotal }) => {
    const done = fileTotal !== undefined && fileBytes >= fileTotal;
    if (!done && Date.now() - last < 2000) return;
    last = Date.now();
    const total = fileTotal === undefined ? '' : ` of ${formatBytes(fileTotal)}`;
    ctx.stderr.write(`Downloading ${file}: ${formatBytes(fileBytes)}${total}\n`);
  };
}

const MiB = 1024 * 1024;

function formatBytes(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function headSummary(result: CompileResult): string[] {
  const { heads, labels } = result.checkpoint;
  const lines = [`  masked LM (fill-mask):     ${heads.mlm ? 'yes' : 'no'}`, `  next-sentence prediction:  ${heads.nsp ? 'yes' : 'no'}`];
  lines.push(`  pooled output:             ${heads.pooler ? 'yes' : 'no'}`);
  lines.push(`  sequence classifier:       ${heads.classifierLabels > 0 ? `${heads.classifierLabels} labels (${labels!.join(', ')})` : 'no'}`);
  return lines;
}

/** The JSON shape printed with --json. */
export function importJson(result: CompileResult, loadMs: number) {
  const c = result.checkpoint;
  return {
    out: result.outDir,
    heads: { mlm: c.heads.mlm, nsp: c.heads.nsp, pooler: c.heads.pooler, classifierLabels: c.heads.classifierLabels },
    labels: c.labels ?? null,
    notes: c.notes,
    parameters: c.parameterCount,
    storedDtypes: c.dtypes,
    checkpointBytes: c.weightBytes,
    onnxBytes: result.onnxBytes,
    variant: result.variant,
    precision: result.precision,
    layerMeans: result.layerMeans,
    files: result.files,
    compileMs: Math.round(result.timings.totalMs),
    loadMs: Math.round(loadMs),
  };
}

export async function runImport(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCliArgs(args);
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'missing SOURCE (a checkpoint folder or a Hub id)' : 'give exactly one SOURCE');
  }
  const spec = positionals[0];
  let source = resolve(ctx.cwd, spec);
  let defaultOut = `${basename(source)}-bert-lens`;
  const hubId = existsSync(source) ? undefined : hubIdFromModelSpec(spec);
  if (hubId) {
    // A Hub id: download the checkpoint into the per-user Hub cache (resumable, checksummed;
    // endpoint HF_ENDPOINT, token HF_TOKEN), then compile it like a local folder.
    const download = await downloadCheckpoint(hubId, { onProgress: progressOnStderr(ctx) });
    if (download.offlineReason) ctx.stderr.write(`Using the cached copy: ${download.offlineReason}\n`);
    source = download.folder;
    defaultOut = `${hubId.name}-bert-lens`;
  }
  const out = resolve(ctx.cwd, values.out ?? defaultOut);
  const json = values.json === true;
  const precision = parseQuantize(values.quantize);
  const variant = parseVariant(values.variant);

  const result = await compileCheckpoint(source, out, { ...IMPORT_COMPILE_OPTIONS, variant, precision });
  // The folder must work in the engine: reading it validates config + vocab, the session the graph.
  const model = await loadModel(out, { executionProvider: 'cpu' });
  const loadMs = model.loadMs;
  await model.dispose();

  if (json) {
    ctx.stdout.write(`${JSON.stringify(importJson(result, loadMs))}\n`);
    return 0;
  }
  const c = result.checkpoint;
  const lines = [
    `Imported ${c.dir}`,
    `  config: ${c.config.numHiddenLayers} layers, hidden ${c.config.hiddenSize}, ${c.config.numAttentionHeads} heads, vocabulary ${c.config.vocabSize}` +
      (c.config.architectures.length > 0 ? ` (${c.config.architectures.join(', ')})` : ''),
    `  weights: ${(c.parameterCount / 1e6).toFixed(2)}M parameters, ${Object.entries(c.dtypes).map(([d, n]) => `${n} ${d}`).join(', ')} tensors, ` +
      `${formatBytes(c.weightBytes)} in ${c.weightFiles.length} file${c.weightFiles.length === 1 ? '' : 's'}`,
    `  vocabulary from ${basename(c.vocabSource.path)}`,
    'Heads:',
    ...headSummary(result),
    ...c.notes.map((note) => `  note: ${note}`),
    `Graph: ${result.variant} operators, ${result.precision}${result.layerMeans ? ', with layer_means (for layers-mean heads)' : ''}`,
    `Wrote ${result.outDir}`,
    ...result.files.map((f) => `  ${f.name.padEnd(22)} ${formatBytes(f.bytes).padStart(11)}`),
    `Compiled in ${(result.timings.totalMs / 1000).toFixed(2)} s ` +
      `(read ${(result.timings.readMs / 1000).toFixed(2)} s, build ${(result.timings.buildMs / 1000).toFixed(2)} s, ` +
      `write ${(result.timings.writeMs / 1000).toFixed(2)} s); loads in ${(loadMs / 1000).toFixed(2)} s.`,
    `Use it with --model ${result.outDir}`,
  ];
  ctx.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function parseCliArgs(args: string[]) {
  return parseCommandArgs(args, { out: { type: 'string' }, json: { type: 'boolean' }, quantize: { type: 'string' }, variant: { type: 'string' } });
}

/** `--quantize int8|fp16|none` → graph precision ('none' = fp32); absent → the compiler's default. */
function parseQuantize(value: string | undefined): BertGraphPrecision {
  if (value === undefined) return DEFAULT_COMPILE_PRECISION;
  const precisions: Record<string, BertGraphPrecision> = { int8: 'int8', fp16: 'fp16', none: 'fp32' };
  if (!Object.hasOwn(precisions, value)) throw new UsageError(`--quantize must be int8, fp16 or none, got "${value}"`);
  return precisions[value];
}

/** `--variant fused|standard`; absent → the compiler's default. */
function parseVariant(value: string | undefined): BertGraphVariant {
  if (value === undefined) return DEFAULT_COMPILE_VARIANT;
  if (value !== 'fused' && value !== 'standard') throw new UsageError(`--variant must be fused or standard, got "${value}"`);
  return value;
}
