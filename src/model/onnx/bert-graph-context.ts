/**
 * What the BERT graph's building blocks share while one graph is built: the builder, the
 * config, the weights (each added as an initializer once, under its canonical name) and
 * the two weight-using primitives every variant needs, Linear and LayerNormalization.
 */
import type { BertConfig } from '../model-config';
import type { LayerNormNames, LinearNames, WeightMap } from './bert-weights';
import { OnnxGraphBuilder } from './graph-builder';

export class BertGraphContext {
  private readonly constants = new Map<string, string>();

  constructor(
    readonly builder: OnnxGraphBuilder,
    readonly config: BertConfig,
    private readonly weights: WeightMap,
  ) {}

  /** The weight as an initializer in its stored layout, added on first use. */
  weight(name: string): string {
    if (this.builder.hasValue(name)) return name;
    const tensor = this.requireWeight(name);
    return this.builder.addFloatInitializer(name, tensor.dims, tensor.data);
  }

  /**
   * A 2-D weight transposed at build time ([out, in] → [in, out], for MatMul), stored as
   * `<name>_transposed`, added on first use. Nothing reads the untransposed copy, so no
   * parameter is stored twice.
   */
  transposedWeight(name: string): string {
    const transposedName = `${name}_transposed`;
    if (this.builder.hasValue(transposedName)) return transposedName;
    const { dims, data } = this.requireWeight(name);
    if (dims.length !== 2) throw new Error(`Cannot transpose ${name}: it has ${dims.length} dimensions`);
    const [rows, cols] = dims;
    const transposed = new Float32Array(data.length);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) transposed[c * rows + r] = data[r * cols + c];
    }
    return this.builder.addFloatInitializer(transposedName, [cols, rows], transposed);
  }

  /** An int64 constant, shared by every block that asks for the same values. */
  int64(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.memo(`i64:${dims.join(',')}:${values.join(',')}`, () => this.builder.addInt64Constant(hint, values, dims));
  }

  /** A float32 constant, shared by every block that asks for the same values. */
  float(hint: string, values: readonly number[], dims: readonly number[] = []): string {
    const key = `f32:${dims.join(',')}:${Array.from(Float32Array.from(values)).join(',')}`;
    return this.memo(key, () => this.builder.addFloatConstant(hint, values, dims));
  }

  /** PyTorch Linear on the last axis: x · Wᵀ + b. */
  linear(x: string, names: LinearNames, scope: string, outputName?: string): string {
    const product = this.builder.op('MatMul', [x, this.transposedWeight(names.weight)], { scope });
    return this.builder.op('Add', [product, this.weight(names.bias)], { scope, outputName });
  }

  /** LayerNorm over the last axis with the config's epsilon (opset 17 LayerNormalization). */
  layerNorm(x: string, names: LayerNormNames, scope: string, outputName?: string): string {
    return this.builder.op('LayerNormalization', [x, this.weight(names.weight), this.weight(names.bias)], {
      scope,
      outputName,
      attributes: { axis: { int: -1 }, epsilon: { float: this.config.layerNormEps } },
    });
  }

  /** The checkpoint tensor `name` itself (for blocks that lay weights out differently, e.g. fused QKV). */
  tensor(name: string) {
    return this.requireWeight(name);
  }

  private requireWeight(name: string) {
    const tensor = this.weights.get(name);
    if (tensor === undefined) throw new Error(`BERT weight ${name} is missing`);
    return tensor;
  }

  private memo(key: string, create: () => string): string {
    let name = this.constants.get(key);
    if (name === undefined) {
      name = create();
      this.constants.set(key, name);
    }
    return name;
  }
}
