/**
 * The one place where client and server agree: every custom message between the extension
 * and the language server (method `bertLens/...`), its params and result types, and the
 * settings both sides read. Nothing here imports `vscode` or the LSP libraries' runtime.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { FillMaskResult, MaskPredictions, TokenPrediction } from '../engine/types';

export type { FillMaskResult, MaskPredictions, TokenPrediction };

export type ExecutionProviderSetting = 'auto' | 'cpu' | 'webgpu';
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';

/** Settings under `bertLens.*` that the server needs. */
export interface BertLensSettings {
  /** Model folder path, Hub id or bundled name; '' = the bundled default. */
  model: string;
  executionProvider: ExecutionProviderSetting;
  topK: number;
  /** Longest text (characters) a single request may carry. */
  maxTextLength: number;
  hover: { enabled: boolean };
  /** Hugging Face Hub endpoint and token for Hub ids in `model` ('' = default / HF_TOKEN). */
  hub: { endpoint: string; token: string };
}

export const DEFAULT_SETTINGS: BertLensSettings = {
  model: '',
  executionProvider: 'auto',
  topK: 5,
  maxTextLength: 100_000,
  hover: { enabled: true },
  hub: { endpoint: '', token: '' },
};

/** Passed by the client in `initializationOptions`. */
export interface InitializationOptions {
  settings: BertLensSettings;
  /** Absolute path of the extension (to resolve bundled models). */
  extensionPath: string;
}

/** client → server: predict every `[MASK]` in `text`. */
export interface FillMaskParams {
  text: string;
  topK?: number;
}
export const FillMaskRequest = new RequestType<FillMaskParams, FillMaskResult, void>('bertLens/fillMask');

/** client → server: what is loaded and how it runs. */
export interface StatusResult {
  state: 'loading' | 'ready' | 'error';
  /** Display name of the model (folder name or bundled name). */
  model: string;
  modelPath: string;
  executionProvider: ExecutionProvider | null;
  /** Why the requested provider was not used, when it was not. */
  fallbackReason?: string;
  lastLatencyMs?: number;
  error?: string;
  /** Process id of the server (for diagnostics and tests). */
  pid: number;
}
export const StatusRequest = new RequestType0<StatusResult, void>('bertLens/status');

/** server → client notification: the status changed (model loaded, failed, latency). */
export const StatusNotification = new NotificationType<StatusResult>('bertLens/statusChanged');

/** Error codes the server uses in ResponseError so the client can word its message. */
export enum ErrorCodes {
  InvalidInput = -32602,
  ModelUnavailable = -32001,
}
