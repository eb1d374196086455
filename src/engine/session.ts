/**
 * Loaded models: one onnxruntime-node InferenceSession plus tokenizer per model folder, created
 * once and shared (concurrent loads of one folder share one promise), session creation on the
 * execution providers that execution-providers.ts plans (each one passed over gets a reason;
 * CPU is the last resort), and batched runs that fetch only the outputs asked for.
 *
 * Graph contract (model.onnx): inputs `input_ids`, `token_type_ids`, `attention_mask` int64
 * [batch, seq] and `mlm_positions` int64 [batch, num_positions]; outputs `mlm_logits` float32
 * [batch, num_positions, vocab], `nsp_logits` [batch, 2], `pooled_output` [batch, hidden],
 * `sequence_output` [batch, seq, hidden] (and `classifier_logits`, `attentions`, `layer_means`, see
 * src/model/onnx/bert-graph.ts). A graph may omit what it does not provide.
 */
import * as ort from 'onnxruntime-node';
import { resolve } from 'node:path';
import {
  currentProviderEnvironment,
  describeFallbacks,
  providerPlan,
  type ExecutionProviderChoice,
  type ExecutionProviderName,
  type ProviderEnvironment,
  type ProviderFallback,
} from './execution-providers';
import { ModelFolder, readModelFolder } from './model-folder';
import { BertTokenizer } from './tokenizer';
import type { EncodedInput } from './types';

export type { ExecutionProviderChoice, ExecutionProviderName, ProviderFallback } from './execution-providers';

export interface LoadModelOptions {
  /** Default 'auto'. A GPU provider that is missing or fails falls back to CPU, with reasons. */
  executionProvider?: ExecutionProviderChoice;
  /** For tests: the platform, build and files that decide which providers are tried (default: this process's). */
  providerEnvironment?: ProviderEnvironment;
  /** Threads for one operator; default: ONNX Runtime's (one per physical core). */
  intraOpNumThreads?: number;
  /** ONNX Runtime log level, 0 verbose … 4 fatal. Default 3 (errors only). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Let idle ONNX Runtime threads spin-wait for work. Default false: measured on 2 cores,
   * spinning threads slowed the next tokenisation ~3× and a 512-token run ~2.5×, and they
   * burn CPU the editor needs between requests.
   */
  allowSpinning?: boolean;
}

export const MODEL_OUTPUTS = ['mlm_logits', 'nsp_logits', 'pooled_output', 'sequence_output', 'classifier_logits', 'attentions', 'layer_means'] as const;
export type ModelOutputName = (typeof MODEL_OUTPUTS)[number];

export interface RunOptions<K extends ModelOutputName> {
  /** The outputs to compute; only these are fetched. */
  outputs: readonly K[];
  /**
   * Per input, the token positions whose `mlm_logits` are wanted (padded with position 0 to the
   * longest list). Required when `mlm_logits` is requested.
   */
  mlmPositions?: ReadonlyArray<readonly number[]>;
}

/** The result of one batched run: row-major float32 data with its dims. */
export interface RunOutputs<K extends ModelOutputName> {
  outputs: Record<K, { data: Float32Array; dims: readonly number[] }>;
  /** Padded sequence length of the batch. */
  seqLength: number;
  /** Padded number of MLM positions per input (≥ 1). */
  numPositions: number;
}

/** A BERT model ready to run: session, tokenizer and folder. Get one with `loadModel`. */
export class BertModel {
  private disposed = false;

  constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: BertTokenizer,
    private readonly session: ort.InferenceSession,
    /** The provider the session runs on. */
    readonly executionProvider: ExecutionProviderName,
    /** Each provider tried or skipped before the one used, with the reason, in order. */
    readonly fallbacks: readonly ProviderFallback[],
    /** Wall time to read the folder and create the session, ms. */
    readonly loadMs: number,
    private readonly onDispose: () => void,
  ) {}

  /** The fallbacks in one line ("webgpu: reason; cuda: reason"), undefined when the first choice ran. */
  get fallbackReason(): string | undefined {
    return describeFallbacks(this.fallbacks);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  hasOutput(name: ModelOutputName): boolean {
    return this.session.outputNames.includes(name);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Runs a batch of encoded inputs, padded to the longest; fetches only `options.outputs`. */
  async run<K extends ModelOutputName>(inputs: readonly EncodedInput[], options: RunOptions<K>): Promise<RunOutputs<K>> {
    if (this.disposed) throw new Error(`The model ${this.folder.dir} has been disposed`);
    if (inputs.length === 0) throw new Error('run() needs at least one input');
    for (const name of options.outputs) {
      if (!this.hasOutput(name)) {
        throw new Error(`${this.folder.onnxPath} has no output '${name}' (it has: ${this.outputNames.join(', ')})`);
      }
    }
    const positions = options.mlmPositions;
    if (positions && positions.length !== inputs.length) {
      throw new Error(`mlmPositions has ${positions.length} rows for ${inputs.length} inputs`);
    }
    if (options.outputs.includes('mlm_logits' as K) && !positions) throw new Error('mlm_logits needs mlmPositions');

    const batch = inputs.length;
    const seqLength = Math.max(...inputs.map((input) => input.ids.length));
    const numPositions = Math.max(1, ...(positions ?? []).map((row) => row.length));
    const ids = new BigInt64Array(batch * seqLength).fill(BigInt(this.tokenizer.specialIds.pad));
    const typeIds = new BigInt64Array(batch * seqLength);
    const mask = new BigInt64Array(batch * seqLength);
    const mlmPositions = new BigInt64Array(batch * numPositions);
    inputs.forEach((input, b) => {
      const base = b * seqLength;
      for (let i = 0; i < input.ids.length; i++) {
        ids[base + i] = BigInt(input.ids[i]);
        typeIds[base + i] = BigInt(input.typeIds[i]);
        mask[base + i] = BigInt(input.attentionMask[i]);
      }
      positions?.[b].forEach((position, j) => {
        if (!Number.isInteger(position) || position < 0 || position >= input.ids.length) {
          throw new RangeError(`MLM position ${position} is outside input ${b} (length ${input.ids.length})`);
        }
        mlmPositions[b * numPositions + j] = BigInt(position);
      });
    });

    const feeds: Record<string, ort.Tensor> = {};
    const available: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [batch, seqLength]),
      token_type_ids: new ort.Tensor('int64', typeIds, [batch, seqLength]),
      attention_mask: new ort.Tensor('int64', mask, [batch, seqLength]),
      mlm_positions: new ort.Tensor('int64', mlmPositions, [batch, numPositions]),
    };
    for (const name of this.session.inputNames) {
      const tensor = available[name];
      if (!tensor) throw new Error(`${this.folder.onnxPath} wants an input '${name}' the engine does not know`);
      feeds[name] = tensor;
    }

    const results = await this.session.run(feeds, [...options.outputs]);
    const outputs = {} as RunOutputs<K>['outputs'];
    for (const name of options.outputs) {
      const tensor = results[name];
      if (tensor.type !== 'float32') throw new Error(`Output '${name}' is ${tensor.type}, expected float32`);
      outputs[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
    }
    return { outputs, seqLength, numPositions };
  }

  /** Releases the session and drops the model from the cache; later runs throw. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose();
    await this.session.release();
  }
}

const cache = new Map<string, Promise<BertModel>>();

/**
 * The model in folder `dir`, loaded once per folder and options and shared: every call with the
 * same absolute folder and options returns the same promise (and so the same BertModel) until
 * it is disposed. A failed load is not cached.
 */
export function loadModel(dir: string, options: LoadModelOptions = {}): Promise<BertModel> {
  const key = cacheKey(dir, options);
  let pending = cache.get(key);
  if (!pending) {
    pending = createModel(dir, options, () => {
      if (cache.get(key) === pending) cache.delete(key);
    });
    cache.set(key, pending);
    pending.catch(() => {
      if (cache.get(key) === pending) cache.delete(key);
    });
  }
  return pending;
}

/** Disposes every cached model (for shutdown and model switches). */
export async function disposeAllModels(): Promise<void> {
  const pending = [...cache.values()];
  cache.clear();
  const models = await Promise.allSettled(pending);
  await Promise.all(models.map((m) => (m.status === 'fulfilled' ? m.value.dispose() : undefined)));
}

function cacheKey(dir: string, options: LoadModelOptions): string {
  // Resolve the folder so that relative and absolute spellings share one session.
  return JSON.stringify([
    resolve(dir),
    options.executionProvider ?? 'auto',
    options.intraOpNumThreads ?? 0,
    options.logSeverityLevel ?? 3,
    options.allowSpinning ?? false,
    options.providerEnvironment ?? null,
  ]);
}

async function createModel(dir: string, options: LoadModelOptions, onDispose: () => void): Promise<BertModel> {
  const started = performance.now();
  const folder = await readModelFolder(dir);
  const tokenizer = await BertTokenizer.fromModelFolder(folder);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    logSeverityLevel: options.logSeverityLevel ?? 3,
    extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  };
  const environment = options.providerEnvironment ?? currentProviderEnvironment(ort.listSupportedBackends().map((b) => b.name));
  const { session, provider, fallbacks } = await createSessionWithFallback(folder, sessionOptions, options.executionProvider ?? 'auto', environment);
  if (!session.inputNames.includes('input_ids')) {
    await session.release();
    throw new Error(`${folder.onnxPath} has no 'input_ids' input (inputs: ${session.inputNames.join(', ')})`);
  }
  return new BertModel(folder, tokenizer, session, provider, fallbacks, performance.now() - started, onDispose);
}

/**
 * A session on the first provider of the plan that is available and loads the model. ONNX
 * Runtime does not fall back by itself (['webgpu', 'cpu'] fails when WebGPU does), so each is
 * tried on its own; the CPU's own error, the last, is thrown as is.
 */
async function createSessionWithFallback(
  folder: ModelFolder,
  options: ort.InferenceSession.SessionOptions,
  choice: ExecutionProviderChoice,
  environment: ProviderEnvironment,
): Promise<{ session: ort.InferenceSession; provider: ExecutionProviderName; fallbacks: ProviderFallback[] }> {
  const fallbacks: ProviderFallback[] = [];
  for (const { provider, skip } of providerPlan(choice, environment)) {
    if (skip !== undefined) {
      fallbacks.push({ provider, reason: skip });
      continue;
    }
    if (provider === 'cpu') return { session: await createSession(folder, options, 'cpu'), provider, fallbacks };
    try {
      const session = await ort.InferenceSession.create(folder.onnxPath, { ...options, executionProviders: [provider] });
      return { session, provider, fallbacks };
    } catch (error) {
      fallbacks.push({ provider, reason: firstLine(error) });
    }
  }
  throw new Error(`No execution provider could load ${folder.onnxPath}: ${describeFallbacks(fallbacks)}`);
}

async function createSession(
  folder: ModelFolder,
  options: ort.InferenceSession.SessionOptions,
  provider: 'cpu',
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(folder.onnxPath, { ...options, executionProviders: [provider] });
  } catch (error) {
    throw new Error(`Cannot load ${folder.onnxPath} on ${provider}: ${firstLine(error)}`);
  }
}

/** The useful part of an ONNX Runtime error: its message without the source location prefix. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n')[0];
  // e.g. "/onnxruntime_src/.../webgpu_context.cc:136 ...<lambda()> adapter_result... Failed to get a WebGPU adapter: ..."
  const failed = line.lastIndexOf(' was false. ');
  return failed >= 0 ? line.slice(failed + ' was false. '.length) : line;
}
