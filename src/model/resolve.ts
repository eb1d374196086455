/**
 * Turns a model spec (`bertLens.model`, the CLI's `--model`) into a model folder the engine can
 * load, in this order: a bundled name; a folder with a compiled model.onnx; a Hugging Face
 * checkpoint folder (compiled once, kept in the per-user graph cache); a Hub id (downloaded into
 * the per-user Hub cache, then compiled the same way). Compiled with IMPORT_COMPILE_OPTIONS (the
 * `layer_means` output), which are part of the cache key.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MODEL, BUNDLED_MODELS, ModelNotFoundError, resolveModelFolder } from './bundled';
import { compileCheckpoint, IMPORT_COMPILE_OPTIONS } from './compile';
import { BERT_GRAPH_VERSION } from './onnx/bert-graph';
import { checkpointHash, downloadCheckpoint, formatHubId, GraphCache, graphCacheKey, hubIdFromModelSpec, type DownloadProgress } from './hub';

export interface ResolveOptions {
  /** Folder holding package.json (bundled models live below it). */
  packageRoot: string;
  cwd?: string;
  /** Hub endpoint (default https://huggingface.co) and token (default HF_TOKEN). */
  endpoint?: string;
  token?: string;
  /** How to tell the user where a token is set, used in 401/403 messages. */
  tokenHint?: string;
  /** Per-user cache root override (tests); never the workspace. */
  cacheDir?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** One line of news for the user or the log: "downloading…", "compiling…", "using the cache". */
  onStep?: (message: string) => void;
  signal?: AbortSignal;
}

export interface ResolvedModel {
  folder: string;
  source: 'bundled' | 'folder' | 'checkpoint' | 'hub';
  /** Set when the Hub could not be reached and a cached snapshot was used. */
  offlineReason?: string;
}

const ONNX = 'model.onnx';

export async function resolveModel(spec: string, options: ResolveOptions): Promise<ResolvedModel> {
  const name = spec.trim() || DEFAULT_MODEL;
  const cwd = options.cwd ?? process.cwd();
  if (BUNDLED_MODELS[name] !== undefined) return { folder: resolveModelFolder(name, options.packageRoot, cwd), source: 'bundled' };
  let folder: string | undefined;
  try {
    folder = resolveModelFolder(name, options.packageRoot, cwd);
  } catch (error) {
    if (!(error instanceof ModelNotFoundError)) throw error;
    const hubId = hubIdFromModelSpec(name);
    if (!hubId) throw error;
    options.onStep?.(`Fetching ${formatHubId(hubId)} from the Hugging Face Hub…`);
    const download = await downloadCheckpoint(hubId, {
      endpoint: options.endpoint,
      token: options.token,
      tokenHint: options.tokenHint,
      cacheDir: options.cacheDir === undefined ? undefined : join(options.cacheDir, 'hub'),
      onProgress: options.onProgress,
      signal: options.signal,
    });
    if (download.offlineReason) options.onStep?.(`Using the cached copy: ${download.offlineReason}`);
    const compiled = await compileCached(download.folder, options, new Map(Object.entries(download.sha256)));
    return { folder: compiled, source: 'hub', offlineReason: download.offlineReason };
  }
  if (existsSync(join(folder, ONNX))) return { folder, source: 'folder' };
  if (existsSync(join(folder, 'config.json'))) return { folder: await compileCached(folder, options), source: 'checkpoint' };
  throw new ModelNotFoundError(`${folder} is neither a model folder (config.json, vocab.txt, model.onnx) nor a Hugging Face checkpoint (config.json, model.safetensors)`);
}

/** Compiles a checkpoint folder once per content + compiler version; later calls hit the cache. */
async function compileCached(checkpointFolder: string, options: ResolveOptions, knownSha256?: Map<string, string>): Promise<string> {
  const cache = new GraphCache(options.cacheDir === undefined ? undefined : join(options.cacheDir, 'graphs'));
  const key = graphCacheKey({
    checkpointHash: await checkpointHash(checkpointFolder, undefined, knownSha256),
    compilerVersion: BERT_GRAPH_VERSION,
    options: { ...IMPORT_COMPILE_OPTIONS },
  });
  const entry = await cache.getOrCompile(key, async (outDir) => {
    options.onStep?.(`Compiling ${checkpointFolder} to ONNX…`);
    await compileCheckpoint(checkpointFolder, outDir, IMPORT_COMPILE_OPTIONS);
  });
  options.onStep?.(entry.hit ? `Using the compiled graph from the cache (${entry.folder})` : `Compiled in ${(entry.compileMs / 1000).toFixed(1)} s`);
  return entry.folder;
}
