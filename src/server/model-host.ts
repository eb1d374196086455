/**
 * Owns the one loaded model of the language server: loads it once (in the background, right
 * after initialize), reports its status, and hands it to requests once ready. All requests
 * share the same ONNX session.
 */
import { basename } from 'node:path';
import { loadModel, type BertModel } from '../engine';
import { resolveModelFolder } from '../model/bundled';
import type { BertLensSettings, StatusResult } from '../protocol';

export class ModelHost {
  private loading: Promise<BertModel> | undefined;
  private status: StatusResult;

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

  recordLatency(ms: number): void {
    this.update({ lastLatencyMs: Math.round(ms * 10) / 10 });
  }

  private async load(): Promise<BertModel> {
    const started = Date.now();
    try {
      const folder = resolveModelFolder(this.settings.model, this.packageRoot);
      this.update({ modelPath: folder, model: this.settings.model ? basename(folder) : basename(folder) });
      this.log(`Loading model from ${folder} (execution provider: ${this.settings.executionProvider})`);
      const model = await loadModel(folder, { executionProvider: this.settings.executionProvider });
      if (model.fallbackReason) this.log(`Execution provider fallback: ${model.fallbackReason}`);
      this.log(`Model ready on ${model.executionProvider} in ${Date.now() - started} ms`);
      this.update({
        state: 'ready',
        executionProvider: model.executionProvider,
        fallbackReason: model.fallbackReason,
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
