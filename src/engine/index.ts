/**
 * The engine's public surface: model folders, tokenizer, loaded models and tasks.
 * Never imports vscode or LSP code.
 */
export * from './types';
export { BertTokenizer, codePointToUtf16, DEFAULT_MAX_LENGTH } from './tokenizer';
export type { BertTokenizerOptions, SpecialTokenIds } from './tokenizer';
export { ModelFolderError, readModelFolder, maxInputTokens, DEFAULT_SPECIAL_TOKENS } from './model-folder';
export type {
  BertConfig,
  ModelFolder,
  ReadModelFolderOptions,
  TokenizerSettings,
  SpecialTokenNames,
} from './model-folder';
export { BertModel, loadModel, disposeAllModels, MODEL_OUTPUTS } from './session';
/** The name the server and CLI use for a loaded model. */
export type { BertModel as LoadedModel } from './session';
export { autoProviderOrder, describeFallbacks, EXECUTION_PROVIDERS, providerPlan, unavailableReason } from './execution-providers';
export type { ProviderEnvironment, ProviderFallback } from './execution-providers';
export type {
  ExecutionProviderChoice,
  ExecutionProviderName,
  LoadModelOptions,
  ModelOutputName,
  RunOptions,
  RunOutputs,
} from './session';
export { fillMask, fillMaskBatch, fillMaskSettled, findMaskPositions, DEFAULT_TOP_K } from './fill-mask';
export type { FillMaskOptions, FillMaskBatchOptions, FillMaskOutcome } from './fill-mask';
export { extractFeatures, featureSize, isPooling, POOLINGS, DEFAULT_POOLING } from './features';
export type { Pooling, ExtractFeaturesOptions, ExtractedFeatures, FeatureProgress } from './features';
export { classify, classifySettled, modelClassifier } from './classify';
export type { ClassifierHead, ClassifyOptions, ClassifyOutcome, ClassifyResult, LabelScore, ModelClassifier } from './classify';
export {
  readLinearHead,
  writeLinearHead,
  parseLinearHead,
  serializeLinearHead,
  applyLinearHead,
  checkHeadModel,
  modelIdentity,
  headModelIdentity,
  LinearHeadError,
  LINEAR_HEAD_FORMAT,
  LINEAR_HEAD_VERSION,
} from './linear-head';
export type { LinearHead, HeadModelIdentity, HeadTraining } from './linear-head';
export { trainLinearHead, trainSoftmaxHead, stratifiedFolds, classificationMetrics, DEFAULT_FOLDS, DEFAULT_SEED } from './train-head';
export type {
  TrainLinearHeadOptions,
  TrainLinearHeadReport,
  TrainLinearHeadPhase,
  CrossValidationReport,
  ClassificationMetrics,
  ClassMetrics,
} from './train-head';
export { DEFAULT_L2 } from './softmax-regression';
export { readLabelledData, parseLabelledData, foldsForData, LabelledDataError } from './labelled-data';
export type { LabelledData, LabelledExample, LabelledDataFormat } from './labelled-data';
export {
  nextSentenceProbability,
  nextSentenceProbabilities,
  nextSentenceSettled,
  isNextProbability,
  assertHasNspHead,
  defaultNspBatchSize,
  CPU_NSP_BATCH_SIZE,
  GPU_NSP_BATCH_SIZE,
} from './nsp';
export type { NspResult, NspBatchOptions, NspOutcome, SentencePair } from './nsp';
export { splitSentences } from './sentences';
export type { Sentence, Paragraph, ParagraphKind, SentenceSplit, SentenceSplitOptions, TextFormat } from './sentences';
export { coherence, TooFewSentencesError, DEFAULT_MAX_SENTENCES } from './coherence';
export type { CoherenceOptions, CoherenceResult, CoherenceBoundary, CoherenceSummary } from './coherence';
export { fillMaskExtended } from './fill-mask-extras';
export type { FillMaskExtendedOptions, FillMaskExtendedResult, ExtendedMaskPredictions, TargetScore } from './fill-mask-extras';
export { suggestReplacements, suggestForSlots, matchCase, DEFAULT_REPLACEMENT_TOP_K, MAX_SELECTED_WORDS } from './replacements';
export type { ReplacementOptions, ReplacementResult, ReplacementCandidate, ReplacementSlot, SlotSuggestions } from './replacements';
export { wordProbabilities, scanDocument, unlikelyWords, SentenceScoreCache, defaultSentenceCache, DEFAULT_MASK_EVERY } from './surprisal';
export type {
  WordScore,
  WordProbabilitiesOptions,
  WordProbabilitiesResult,
  ScanOptions,
  ScanResult,
  UnlikelyWord,
  UnlikelyWordsOptions,
  UnlikelyWordsResult,
} from './surprisal';
export { DEFAULT_WINDOW_TOKENS, encodeDocument } from './window';
export type { DocumentTokens } from './window';
