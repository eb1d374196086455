/**
 * Owns the one loaded model of the language server: loads it once (in the background, right
 * after initialize), reports its status, and hands it to requests once ready. All requests
 * share the same ONNX session.
 */
import { basename } from 'node:path';
import { loadModel, type BertModel } from '../engine';
import { resolveModelFolder } from '../model/bundled';
import { DEFAULT_MODEL } from '../model/bundled';
import { resolveModel } from '../model/resolve';
import { findCheckpointFolder } from './attention';
import type { BertLensSettings, StatusResult } from '../protocol';

const LATENCY_NOTIFY_MS = 500;

export class ModelHost {
  private loading: Promise<BertModel> | undefined;
  private status: StatusResult;
  private checkpoint: Promise<string | undefined> | undefined;
  private latencyTimer: NodeJS.Timeout | undefined;
  private sentLatency: number | undefined;

  constructor(
    private readonly settings: BertLensSettings,
    private readonly packageRoot: string,
    private readonly log: (message: string) => void,
    private readonly onStatus: (status: StatusResult) => void,
  ) {
    this.status = {
      state: 'loading',
      model: settings.model || 'bundled',
      modelPath: '',
      executionProvider: null,
      pid: process.pid,
    };
  }

  /** Starts loading (idempotent) and resolves with the model, or rejects with a readable error. */
  model(): Promise<BertModel> {
    this.loading ??= this.load();
    return this.loading;
  }

  current(): StatusResult {
    return { ...this.status };
  }

  /** The Hugging Face checkpoint folder behind the loaded model, when there is one (for attention maps). */
  async checkpointFolder(): Promise<string | undefined> {
    const model = await this.model();
    this.checkpoint ??= (async () => {
      let specFolder: string | undefined;
      try {
        specFolder = resolveModelFolder(this.settings.model, this.packageRoot);
      } catch {
        specFolder = undefined;
      }
      return findCheckpointFolder(model.folder.dir, this.settings.model, specFolder);
    })();
    return this.checkpoint;
  }

  /** Records the latest model run's latency; status notifications for it are sent at most every 500 ms. */
  recordLatency(ms: number): void {
    this.status = { ...this.status, lastLatencyMs: Math.round(ms * 10) / 10 };
    if (this.latencyTimer) return;
    this.onStatus(this.current());
    this.latencyTimer = setTimeout(() => {
      this.latencyTimer = undefined;
      if (this.sentLatency === this.status.lastLatencyMs) return;
      this.sentLatency = this.status.lastLatencyMs;
      this.onStatus(this.current());
    }, LATENCY_NOTIFY_MS);
    this.latencyTimer.unref?.();
    this.sentLatency = this.status.lastLatencyMs;
  }

  private async load(): Promise<BertModel> {
    const started = Date.now();
    try {
      const { folder, offlineReason } = await resolveModel(this.settings.model, {
        packageRoot: this.packageRoot,
        endpoint: this.settings.hub.endpoint || undefined,
        token: this.settings.hub.token || undefined,
        tokenHint: 'set the bertLens.hub.token setting or the HF_TOKEN environment variable',
        onStep: this.log,
        onProgress: throttled(this.log),
      });
      if (offlineReason) this.log(`Offline: ${offlineReason}`);
      this.update({ modelPath: folder, model: displayName(this.settings.model, folder) });
      this.log(`Loading model from ${folder} (execution provider: ${this.settings.executionProvider})`);
      const model = await loadModel(folder, { executionProvider: this.settings.executionProvider });
      for (const { provider, reason } of model.fallbacks) this.log(`Execution provider ${provider} not used: ${reason}`);
      this.log(`Model ready on ${model.executionProvider} (setting: ${this.settings.executionProvider}) in ${Date.now() - started} ms`);
      this.update({
        state: 'ready',
        executionProvider: model.executionProvider,
        requestedExecutionProvider: this.settings.executionProvider,
        fallbackReason: model.fallbackReason,
        fallbacks: model.fallbacks.map(({ provider, reason }) => ({ provider, reason })),
      });
      return model;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log(`Model failed to load: ${message}`);
      this.update({ state: 'error', error: message });
      throw error;
    }
  }

  private update(change: Partial<StatusResult>): void {
    this.status = { ...this.status, ...change };
    this.onStatus(this.current());
  }
}

/** The name shown in the status bar: the spec the user gave (Hub id, bundled name) or the folder name. */
function displayName(spec: string, folder: string): string {
  const trimmed = spec.trim();
  if (!trimmed) return DEFAULT_MODEL;
  return /[\\/]/.test(trimmed) && !/^[\w.-]+\/[\w.-]+(@.+)?$/.test(trimmed) ? basename(folder) : trimmed.replace(/^hf:/, '');
}

/** Logs download progress at most every 2 seconds and at the end of each file. */
function throttled(log: (message: string) => void) {
  let last = 0;
  return (p: { file: string; fileBytes: number; fileTotal?: number }) => {
    const now = Date.now();
    const done = p.fileTotal !== undefined && p.fileBytes >= p.fileTotal;
    if (!done && now - last < 2000) return;
    last = now;
    const total = p.fileTotal === undefined ? '' : ` of ${(p.fileTotal / 1e6).toFixed(1)} MB`;
    log(`Downloading ${p.file}: ${(p.fileBytes / 1e6).toFixed(1)} MB${total}`);
  };
}
