/**
 * Attention maps for the panel. The everyday graph leaves attention probabilities out (the
 * fused kernels keep them inside), so the first attention request compiles the model's
 * checkpoint once more with the `attentions` output into the per-user graph cache, loads that
 * second session, and keeps it. A model without a checkpoint (model.safetensors + config.json)
 * gets a clear Unsupported error instead.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type BertModel, type EncodedInput } from '../engine';
import { compileCheckpoint } from '../model/compile';
import { checkpointHash, downloadCheckpoint, GraphCache, graphCacheKey, hubIdFromModelSpec } from '../model/hub';
import { BERT_GRAPH_VERSION } from '../model/onnx/bert-graph';
import type { AttentionResult, BertLensSettings } from '../protocol';

export const DEFAULT_ATTENTION_TOKENS = 64;
/** The heatmap is tokens × tokens per layer and head: beyond this the answer gets too big to draw or send. */
export const MAX_ATTENTION_TOKENS = 256;

export const NO_CHECKPOINT_MESSAGE =
  'This model was not imported from a checkpoint (no model.safetensors and config.json next to it), so attention maps are not available';

export class AttentionHost {
  private loading: Promise<BertModel> | undefined;

  constructor(
    private readonly settings: BertLensSettings,
    private readonly log: (message: string) => void,
  ) {}

  /** The session with an `attentions` output for `model`, compiled and loaded on first use. */
  modelFor(model: BertModel, checkpointFolder: () => Promise<string | undefined>): Promise<BertModel> {
    if (model.hasOutput('attentions')) return Promise.resolve(model);
    this.loading ??= this.load(checkpointFolder).catch((error) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async load(checkpointFolder: () => Promise<string | undefined>): Promise<BertModel> {
    const folder = await checkpointFolder();
    if (!folder) throw new Error(NO_CHECKPOINT_MESSAGE);
    const cache = new GraphCache();
    const key = graphCacheKey({
      checkpointHash: await checkpointHash(folder),
      compilerVersion: BERT_GRAPH_VERSION,
      options: { attentions: true },
    });
    const entry = await cache.getOrCompile(key, async (outDir) => {
      this.log(`Compiling ${folder} with attention outputs…`);
      await compileCheckpoint(folder, outDir, { attentions: true });
    });
    this.log(entry.hit ? `Attention graph from the cache (${entry.folder})` : `Attention graph compiled in ${(entry.compileMs / 1000).toFixed(1)} s`);
    const model = await loadModel(entry.folder, { executionProvider: this.settings.executionProvider });
    if (!model.hasOutput('attentions')) throw new Error(`${entry.folder} has no attentions output; attention maps are not available`);
    return model;
  }
}

/** The checkpoint behind a model: its own folder, the folder the spec names, or the Hub snapshot. */
export async function findCheckpointFolder(modelFolder: string, spec: string, specFolder: string | undefined): Promise<string | undefined> {
  const isCheckpoint = (folder: string) => existsSync(join(folder, 'config.json')) && (existsSync(join(folder, 'model.safetensors')) || existsSync(join(folder, 'model.safetensors.index.json')));
  for (const folder of [modelFolder, specFolder]) if (folder && isCheckpoint(folder)) return folder;
  let hubId;
  try {
    hubId = hubIdFromModelSpec(spec.trim());
  } catch {
    return undefined;
  }
  if (!hubId) return undefined;
  const download = await downloadCheckpoint(hubId).catch(() => undefined);
  return download && isCheckpoint(download.folder) ? download.folder : undefined;
}

/** `[CLS] text [SEP]` cut to `maxTokens` (a `[SEP]` always closes it). */
export function truncateInput(input: EncodedInput, maxTokens: number, sepId: number): { input: EncodedInput; truncated: boolean } {
  if (input.ids.length <= maxTokens) return { input, truncated: input.truncated };
  const keep = maxTokens - 1;
  const cut = <T>(values: T[], last: T) => [...values.slice(0, keep), last];
  return {
    input: {
      ids: cut(input.ids, sepId),
      typeIds: cut(input.typeIds, 0),
      attentionMask: cut(input.attentionMask, 1),
      tokens: cut(input.tokens, input.tokens[input.tokens.length - 1]),
      offsets: cut(input.offsets, [0, 0] as [number, number]),
      sequenceIds: cut(input.sequenceIds, null),
      wordIds: cut(input.wordIds, null),
      truncated: true,
    },
    truncated: true,
  };
}

/** Runs `text` through the attention graph: attentions[layer][head][query][key]. */
export async function attentionMaps(model: BertModel, text: string, maxTokens: number): Promise<AttentionResult> {
  const encoded = await model.tokenizer.encode(text);
  const { input, truncated } = truncateInput(encoded, maxTokens, model.tokenizer.specialIds.sep);
  const { outputs } = await model.run([input], { outputs: ['attentions'] });
  const { data, dims } = outputs.attentions;
  // [layers, batch, heads, seq, seq]
  const [layers, , heads, seq] = dims;
  if (dims.length !== 5 || seq !== input.ids.length) throw new Error(`attentions has shape [${dims.join(', ')}], expected [layers, 1, heads, ${input.ids.length}, ${input.ids.length}]`);
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  const attentions: number[][][][] = [];
  for (let l = 0; l < layers; l++) {
    const layer: number[][][] = [];
    for (let h = 0; h < heads; h++) {
      const base = (l * heads + h) * seq * seq;
      const rows: number[][] = [];
      for (let q = 0; q < seq; q++) rows.push(Array.from(data.subarray(base + q * seq, base + (q + 1) * seq), round));
      layer.push(rows);
    }
    attentions.push(layer);
  }
  return { tokens: input.tokens, layers, heads, attentions, truncated };
}
