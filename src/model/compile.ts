/**
 * Compiles a Hugging Face BERT checkpoint folder into a self-contained BERT Lens model folder:
 * config.json (verbatim), vocab.txt (copied, or written from tokenizer.json), the tokenizer
 * files present (tokenizer_config.json, tokenizer.json, special_tokens_map.json) and model.onnx
 * built by `buildBertGraph` with every head the checkpoint has. Each file is written under a
 * temporary name and renamed into place, so a folder never holds a half-written model.onnx.
 */
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadCheckpoint, type CheckpointInfo } from './checkpoint';
import { buildBertGraph, type BertGraphPrecision, type BertGraphVariant } from './onnx/bert-graph';

/**
 * Defaults, from the measurements in bench/README.md (2-core AVX2 EPYC, onnxruntime-node 1.30):
 * the fused and standard fp32 graphs run equally fast on the CPU (within noise, at 16–512
 * tokens, batch 1 and 8), so the standard one, which every execution provider runs (WebGPU
 * included), is the default. fp32 keeps the reference's probabilities (≤ 1e-4); int8 is
 * opt-in (`--quantize int8`): ≈ 1.6× faster and 25% of the size, but it moves probabilities
 * by up to a few hundredths and flips near-tied top-1 tokens.
 */
export const DEFAULT_COMPILE_VARIANT: BertGraphVariant = 'standard';
export const DEFAULT_COMPILE_PRECISION: BertGraphPrecision = 'fp32';

/**
 * What imported models get on top of the defaults (`bert-lens import`, checkpoint folders and Hub
 * ids compiled into the graph cache): the `layer_means` output, so `layers-mean` heads can be
 * trained on them. It costs a few element-wise operations per layer next to the matrix products.
 */
export const IMPORT_COMPILE_OPTIONS: Readonly<Pick<CompileOptions, 'layerMeans'>> = Object.freeze({ layerMeans: true });

export interface CompileOptions {
  /** Graph variant (default DEFAULT_COMPILE_VARIANT). */
  variant?: BertGraphVariant;
  /** Weight / compute precision (default DEFAULT_COMPILE_PRECISION). */
  precision?: BertGraphPrecision;
  /** Also output every layer's attention probabilities (`attentions`, see bert-graph.ts). */
  attentions?: boolean;
  /**
   * Also output the masked token mean of the embeddings and of every layer (`layer_means`, see
   * bert-graph.ts), the features of `layers-mean` linear heads. Default false here; `bert-lens
   * import`, checkpoints resolved through the graph cache and the bundled model turn it on.
   */
  layerMeans?: boolean;
  /** 'all': full-sequence `logits` instead of `mlm_positions` → `mlm_logits` (the export transformers.js loads). */
  mlmOutput?: 'positions' | 'all';
}

export interface CompiledFile {
  name: string;
  bytes: number;
}

export interface CompileResult {
  /** What the checkpoint holds (heads, notes, sizes); `weights` are not kept. */
  checkpoint: CheckpointInfo;
  outDir: string;
  files: CompiledFile[];
  /** Bytes of model.onnx. */
  onnxBytes: number;
  variant: BertGraphVariant;
  precision: BertGraphPrecision;
  /** Whether model.onnx has the `layer_means` output. */
  layerMeans: boolean;
  /** Milliseconds: reading the weights, building + serialising the graph, writing files, all together. */
  timings: { readMs: number; buildMs: number; writeMs: number; totalMs: number };
}

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.partial-${process.pid}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function copyAtomically(from: string, to: string): Promise<void> {
  if (resolve(from) === resolve(to)) return;
  const temporary = `${to}.partial-${process.pid}`;
  try {
    await copyFile(from, temporary);
    await rename(temporary, to);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Compiles the checkpoint folder `sourceDir` into the model folder `outDir` (created if needed). */
export async function compileCheckpoint(sourceDir: string, outDir: string, options: CompileOptions = {}): Promise<CompileResult> {
  const variant = options.variant ?? DEFAULT_COMPILE_VARIANT;
  const precision = options.precision ?? DEFAULT_COMPILE_PRECISION;
  const started = performance.now();
  const checkpoint = await loadCheckpoint(sourceDir);
  const loaded = performance.now();
  let modelBytes: Uint8Array | undefined = buildBertGraph(checkpoint.config, checkpoint.weights, {
    variant,
    precision,
    attentions: options.attentions,
    layerMeans: options.layerMeans,
    mlmOutput: options.mlmOutput,
    heads: checkpoint.heads,
  });
  checkpoint.weights.clear(); // the graph holds its own copy; let the float arrays go
  const built = performance.now();

  const absOut = resolve(outDir);
  await mkdir(absOut, { recursive: true });
  const names: string[] = [];
  const write = async (name: string, data: string | Uint8Array) => {
    await writeAtomically(join(absOut, name), data);
    names.push(name);
  };
  await write('config.json', checkpoint.configText);
  if (checkpoint.vocabSource.kind === 'vocab.txt') {
    await copyAtomically(checkpoint.vocabSource.path, join(absOut, 'vocab.txt'));
    names.push('vocab.txt');
  } else {
    await write('vocab.txt', `${checkpoint.vocab.join('\n')}\n`);
  }
  if (checkpoint.tokenizerConfigText !== undefined) await write('tokenizer_config.json', checkpoint.tokenizerConfigText);
  for (const path of checkpoint.extraTokenizerFiles) {
    await copyAtomically(path, join(absOut, basename(path)));
    names.push(basename(path));
  }
  const onnxBytes = modelBytes.length;
  await write('model.onnx', modelBytes);
  modelBytes = undefined;
  const written = performance.now();
  const files: CompiledFile[] = [];
  for (const name of names) files.push({ name, bytes: (await stat(join(absOut, name))).size });

  const { weights: _dropped, ...info } = checkpoint;
  return {
    checkpoint: info,
    outDir: absOut,
    files,
    onnxBytes,
    variant,
    precision,
    layerMeans: options.layerMeans ?? false,
    timings: { readMs: loaded - started, buildMs: built - loaded, writeMs: written - built, totalMs: written - started },
  };
}
