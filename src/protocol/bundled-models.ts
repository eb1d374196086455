/**
 * The models that ship inside the extension / package, by name (the client lists them in
 * Select Model…; the server and the CLI resolve them to folders in src/model/bundled.ts).
 */

/** Bundled models by name → folder relative to the package root. The first one is the default. */
export const BUNDLED_MODELS: Readonly<Record<string, string>> = Object.freeze({
  // Pre-trained by this project (training/): 8 layers x 512, MLM + NSP, int8, 128 tokens,
  // with a sentiment head in heads/. See models/bert-lens-small/README.md (the model card).
  'bert-lens-small': 'models/bert-lens-small',
  // A tiny BERT with seeded random weights: fast and deterministic for tests, and a fallback
  // that needs 4 MB. Its predictions are meaningless by design.
  'tiny-random': 'test/fixtures/tiny-bert',
});

export const DEFAULT_MODEL = Object.keys(BUNDLED_MODELS)[0];
