/**
 * Seeded random BERT weights for fixtures, tests and benchmarks: a mulberry32 PRNG with
 * Box-Muller normals, filled in the fixed order of `expectedBertWeights`, so one seed and
 * one config always give bit-identical weights on every platform.
 */
import type { BertConfig } from '../model-config';
import { expectedBertWeights, type WeightMap, type WeightTensor } from './bert-weights';

/** mulberry32: a tiny 32-bit PRNG; returns uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a seeded uniform source (Box-Muller, both values used). */
export function seededNormal(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u1 = 1 - uniform(); // (0, 1]: log stays finite
    const u2 = uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    spare = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  };
}

export interface RandomBertWeightOptions {
  seed: number;
  /** Std of weight matrices and embedding tables (BERT's initializer_range: 0.02). */
  std?: number;
  /** Std of Linear biases and the MLM decoder bias (BERT initialises them to 0). */
  biasStd?: number;
  /** Std of LayerNorm weight around 1 and bias around 0 (BERT initialises them to exactly 1 and 0). */
  layerNormStd?: number;
}

function isLayerNorm(name: string): boolean {
  return name.includes('LayerNorm.');
}

/** Weights for every parameter of BertForPreTraining with `config`, deterministic in `seed`. */
export function randomBertWeights(config: BertConfig, options: RandomBertWeightOptions): WeightMap {
  const { std = 0.02, biasStd = 0, layerNormStd = 0 } = options;
  const normal = seededNormal(options.seed);
  const weights = new Map<string, WeightTensor>();
  for (const { name, dims } of expectedBertWeights(config)) {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    const isBias = name.endsWith('.bias');
    const center = isLayerNorm(name) && !isBias ? 1 : 0;
    const spread = isLayerNorm(name) ? layerNormStd : isBias ? biasStd : std;
    for (let i = 0; i < data.length; i++) data[i] = spread === 0 ? center : center + spread * normal();
    weights.set(name, { dims: [...dims], data });
  }
  return weights;
}
