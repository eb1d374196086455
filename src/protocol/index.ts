/**
 * The one place where client and server agree: every custom message between the extension
 * and the language server (method `bertLens/...`), its params and result types, and the
 * settings both sides read. Nothing here imports `vscode` or the LSP libraries' runtime.
 */
import { NotificationType, RequestType, RequestType0, type ProgressToken } from 'vscode-languageserver-protocol';
import type { FillMaskResult, MaskPredictions, TokenPrediction } from '../engine/types';
import type { CoherenceResult } from '../engine/coherence';
import type { NspResult } from '../engine/nsp';
import type { ReplacementResult } from '../engine/replacements';
import type { UnlikelyWordsResult, WordProbabilitiesResult } from '../engine/surprisal';
import type { ClassifyResult } from '../engine/classify';

// Result shapes are the engine's own (type-only imports: nothing of the engine is bundled
// into the extension). Each is documented where it is defined.
export type {
  FillMaskResult,
  MaskPredictions,
  TokenPrediction,
  CoherenceResult,
  NspResult,
  ReplacementResult,
  UnlikelyWordsResult,
  WordProbabilitiesResult,
  ClassifyResult,
};

/** `bertLens.executionProvider`: `auto` tries WebGPU, CUDA, DirectML (Windows) or CoreML (macOS), then CPU. */
export type ExecutionProviderSetting = 'auto' | ExecutionProvider;
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';
export const EXECUTION_PROVIDER_SETTINGS: readonly ExecutionProviderSetting[] = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

/** A provider passed over before the one in use, and why (not available here, or its session failed). */
export interface ExecutionProviderFallback {
  provider: ExecutionProvider;
  reason: string;
}

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
  /** Language ids whose documents get hovers, diagnostics and code actions. */
  languages: string[];
  /**
   * `bertLens.comments.enabled`: in code files (languages not in `languages`), hovers, diagnostics
   * and code actions inside comments only. Absent = off.
   */
  comments?: { enabled: boolean };
  diagnostics: DiagnosticsSettings;
}

/** How a finding is shown in the editor. */
export type DiagnosticSeverityName = 'hint' | 'information' | 'warning' | 'error';

/** `bertLens.diagnostics.*`: opt-in findings published by the server. */
export interface DiagnosticsSettings {
  enabled: boolean;
  /** Words with P(word) below this are reported. */
  unlikelyWordThreshold: number;
  /** Sentence boundaries with P(IsNext) below this are reported. */
  weakTransitionThreshold: number;
  /** Severity of unlikely words (default 'information'). */
  unlikelyWordSeverity?: DiagnosticSeverityName;
  /** Severity of weak transitions (default 'hint'). */
  weakTransitionSeverity?: DiagnosticSeverityName;
  /** Older single setting: the severity of both kinds when the per-kind ones are not set. */
  severity?: DiagnosticSeverityName;
  /** At most this many diagnostics per file (the most severe, then the least likely). */
  maxPerFile: number;
  /** Wait this long after the last edit before scanning, ms. */
  debounceMs: number;
  /** Files longer than this (characters) are not scanned; one information diagnostic says so. Default 200,000. */
  maxFileSize?: number;
  /** Words never reported as unlikely, compared case-insensitively (names, jargon). Default none. */
  ignoredWords?: string[];
}

export const DEFAULT_SETTINGS: BertLensSettings = {
  model: '',
  executionProvider: 'auto',
  topK: 5,
  maxTextLength: 100_000,
  hover: { enabled: true },
  hub: { endpoint: '', token: '' },
  languages: ['markdown', 'plaintext', 'latex', 'restructuredtext'],
  comments: { enabled: false },
  diagnostics: {
    enabled: false,
    unlikelyWordThreshold: 0.001,
    weakTransitionThreshold: 0.2,
    unlikelyWordSeverity: 'information',
    weakTransitionSeverity: 'hint',
    maxPerFile: 50,
    debounceMs: 800,
    maxFileSize: 200_000,
    ignoredWords: [],
  },
};

/**
 * The client command that adds a word to `bertLens.diagnostics.ignoredWords`, with arguments
 * (word: string, documentUri: string). A client that has it says so in
 * `InitializationOptions.ignoreWordCommand`; unlikely-word diagnostics then get an "Ignore" fix.
 */
export const IGNORE_WORD_COMMAND = 'bertLens.ignoreWord';

/** Passed by the client in `initializationOptions`. */
export interface InitializationOptions {
  settings: BertLensSettings;
  /** Absolute path of the extension (to resolve bundled models). */
  extensionPath: string;
  /** The client's ignore-word command (IGNORE_WORD_COMMAND), when it has one. */
  ignoreWordCommand?: string;
}

/** client → server: predict every `[MASK]` in `text`. */
export interface FillMaskParams {
  text: string;
  topK?: number;
}
export const FillMaskRequest = new RequestType<FillMaskExtrasParams, FillMaskResult, void>('bertLens/fillMask');

/** client → server: scores for given candidate words at every `[MASK]`, or masks filled left to right. */
export interface FillMaskExtrasParams extends FillMaskParams {
  /** Candidate words to score at each `[MASK]` (instead of the top-k). */
  targets?: string[];
  /** Fill the masks one after another, each conditioned on the previous fills. */
  leftToRight?: boolean;
}

/** client → server: whole-word alternatives for `text.slice(range[0], range[1])`. */
export interface ReplacementsParams {
  text: string;
  /** `[start, end)` in UTF-16 code units; widened to whole words (see the result's `range`). */
  range: [number, number];
  topK?: number;
}
export const ReplacementsRequest = new RequestType<ReplacementsParams, ReplacementResult, void>('bertLens/replacements');

/** client → server: P(IsNext) for an explicit pair. */
export interface NspParams {
  a: string;
  b: string;
}
export const NspRequest = new RequestType<NspParams, NspResult, void>('bertLens/nsp');

/** client → server: NSP at every sentence boundary of `text` (a selection or a document). */
export interface CoherenceParams {
  text: string;
  /** Markdown documents skip code and make headings / list items paragraphs. */
  format?: 'plain' | 'markdown';
  acrossParagraphs?: boolean;
}
export const CoherenceRequest = new RequestType<CoherenceParams, CoherenceResult, void>('bertLens/coherence');

/** client → server: the words of `text` the model finds least likely, with alternatives. */
export interface UnlikelyWordsParams {
  text: string;
  format?: 'plain' | 'markdown';
  /** Report words below this probability (default 0.001). */
  threshold?: number;
  max?: number;
}
export const UnlikelyWordsRequest = new RequestType<UnlikelyWordsParams, UnlikelyWordsResult, void>('bertLens/unlikelyWords');

/** client → server: pseudo-log-likelihood of every word of `text`. */
export interface WordProbabilitiesParams {
  text: string;
}
export const WordProbabilitiesRequest = new RequestType<WordProbabilitiesParams, WordProbabilitiesResult, void>('bertLens/wordProbabilities');

/** A classifier head the user can pick. */
export interface HeadInfo {
  /** `model` for the classifier compiled into the model, else the head's name. */
  name: string;
  /** Where it comes from: the model, the workspace's `.bert-lens/heads/`, or bundled with the model. */
  source: 'model' | 'workspace' | 'bundled';
  path?: string;
  labels: string[];
}

/** client → server: the classifier heads available for the current model and workspace. */
export interface ListHeadsParams {
  /** Workspace folders whose `.bert-lens/heads/*.json` are listed. */
  workspaceFolders: string[];
}
export const ListHeadsRequest = new RequestType<ListHeadsParams, HeadInfo[], void>('bertLens/listHeads');

/** client → server: label probabilities of `text` under a head (`model`, a name from listHeads, or a path). */
export interface ClassifyParams {
  text: string;
  head: string;
  workspaceFolders: string[];
}
export const ClassifyRequest = new RequestType<ClassifyParams, ClassifyResult, void>('bertLens/classify');

/** client → server: train a linear head from a labelled file (JSONL or CSV); reports work-done progress. */
export interface TrainHeadParams {
  /** Progress token from the client (LSP work-done progress); without one the server creates one when it can. */
  workDoneToken?: ProgressToken;
  dataPath: string;
  name: string;
  /** The workspace folder whose `.bert-lens/heads/` receives the head. */
  workspaceFolder: string;
  folds?: number;
  /** Default 'mean'; 'layers-mean' needs a model with the `layer_means` output. */
  pooling?: 'mean' | 'cls' | 'layers-mean';
  overwrite?: boolean;
}
export interface TrainHeadResult {
  headPath: string;
  labels: string[];
  examples: number;
  /** Cross-validated accuracy, when cross-validation ran. */
  accuracy?: number;
  /** Per-class F1 and the confusion matrix (rows = truth), as the engine reports them. */
  report: unknown;
  warnings: string[];
}
export const TrainHeadRequest = new RequestType<TrainHeadParams, TrainHeadResult, void>('bertLens/trainHead');

/** client → server: the input as BERT sees it. */
export interface TokenizeParams {
  text: string;
  textB?: string;
}
export interface TokenizeResult {
  tokens: string[];
  ids: number[];
  typeIds: number[];
  attentionMask: number[];
  /** `[start, end)` in the given text (A or B, see sequenceIds), UTF-16; `[0, 0]` for specials. */
  offsets: Array<[number, number]>;
  sequenceIds: Array<0 | 1 | null>;
  truncated: boolean;
}
export const TokenizeRequest = new RequestType<TokenizeParams, TokenizeResult, void>('bertLens/tokenize');

/** client → server: attention probabilities of every layer and head for `text`. */
export interface AttentionParams {
  text: string;
  /** Longest input in tokens (the heatmap is tokens × tokens); default 64. */
  maxTokens?: number;
}
export interface AttentionResult {
  tokens: string[];
  layers: number;
  heads: number;
  /** attentions[layer][head][query][key], rows sum to 1. */
  attentions: number[][][][];
  truncated: boolean;
}
export const AttentionRequest = new RequestType<AttentionParams, AttentionResult, void>('bertLens/attention');

/** client → server: what is loaded and how it runs. */
export interface StatusResult {
  state: 'loading' | 'ready' | 'error';
  /** Display name of the model (folder name or bundled name). */
  model: string;
  modelPath: string;
  executionProvider: ExecutionProvider | null;
  /** The `bertLens.executionProvider` setting the model was loaded with. */
  requestedExecutionProvider?: ExecutionProviderSetting;
  /** Why the requested provider was not used, when it was not: every fallback in one line ("webgpu: …; cuda: …"). */
  fallbackReason?: string;
  /** Each provider tried or skipped before `executionProvider`, in order, with its reason. */
  fallbacks?: ExecutionProviderFallback[];
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
  /** The loaded model lacks what the request needs (no NSP head, no classifier, no attention maps). */
  Unsupported = -32002,
}

/** What `data` of an `unlikely-word` diagnostic holds (for quick fixes without another model run). */
export interface UnlikelyWordData {
  kind: 'unlikely-word';
  word: string;
  probability: number;
  alternatives: Array<{ text: string; probability: number }>;
}
