/**
 * The int8 precision pass: dynamic quantization of a built BERT graph's weights, done on the
 * graph itself (like ONNX Runtime's own quantizer, but at build time, without a second tool):
 *
 *  - MatMul(x, W) with a float weight W [K, N] (N ≥ 16) → com.microsoft DynamicQuantizeMatMul
 *    with W symmetric, one scale per output column (7-bit by default, see `weights`); a
 *    following Add of a bias initializer is folded into it. The activation x is quantized per
 *    call (uint8, per tensor, by the kernel).
 *  - com.microsoft Attention with a packed float QKV weight → DynamicQuantizeLinear + QAttention
 *    (same weight format, per-column scales).
 *  - The word-embedding table [V, H] (read by Gather and, tied, by the MLM decoder's Gemm with
 *    transB) → one uint8 table with a zero point of 128 and one scale per row (token):
 *    Gather reads rows and dequantizes them (Cast, −128, × row scale); the decoder quantizes its
 *    few input rows and runs MatMulInteger against the same table, then rescales. Without an
 *    MLM head (a sequence classifier) the table is only looked up, and is quantized the same
 *    way when it has at least MIN_QUANTIZED_TABLE_ROWS rows: the vocabulary is most of such a
 *    graph (23M of BERT-base's 110M parameters), the 2-row token-type table is not worth it.
 *
 * Position / token-type embeddings, LayerNorm parameters, biases and heads with < 16 outputs
 * (NSP, small classifiers) stay float32: they are small, and the heads decide the labels.
 *
 * Measured on a 2-core AVX2 EPYC (bench/README.md), BERT-base shape: ≈ 1.6× faster than fp32
 * and 25.5% of its size. DynamicQuantizeMatMul is what ORT's optimizer makes of
 * DynamicQuantizeLinear + MatMulInteger + Cast + Mul anyway; QDQ was not tried (it wants
 * activation scales calibrated ahead of time, which a compiler without data does not have).
 */
import { onnx } from 'onnx-proto';
import type { OnnxGraphBuilder } from './graph-builder';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const MS_DOMAIN = 'com.microsoft';
const MIN_QUANTIZED_COLUMNS = 16;
/** A lookup-only table (no tied decoder) is quantized from this many rows: vocabularies, not token types (2–16 rows). */
const MIN_QUANTIZED_TABLE_ROWS = 100;

type Node = onnx.INodeProto;
type Tensor = onnx.ITensorProto;

function floats(tensor: Tensor): Float32Array {
  const raw = tensor.rawData!;
  const out = new Float32Array(raw.byteLength / 4);
  new Uint8Array(out.buffer).set(raw);
  return out;
}

function bytesOf(values: Float32Array | Int8Array | Uint8Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * Symmetric per column of a row-major [K, N] matrix: q = round(w / s), s = max|w| / maxLevel,
 * q in [-maxLevel, maxLevel].
 */
export function quantizePerColumn(data: Float32Array, rows: number, cols: number, maxLevel = 127): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c], Math.abs(data[base + c]));
  }
  for (let c = 0; c < cols; c++) scales[c] = scales[c] > 0 ? scales[c] / maxLevel : 1;
  const q = new Int8Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) q[base + c] = Math.max(-maxLevel, Math.min(maxLevel, Math.round(data[base + c] / scales[c])));
  }
  return { q, scales };
}

/** Per row of [rows, cols], stored as uint8 with zero point 128: value ≈ (q − 128) · scale[row]. */
export function quantizePerRowUint8(data: Float32Array, rows: number, cols: number): { q: Uint8Array; scales: Float32Array } {
  const scales = new Float32Array(rows);
  const q = new Uint8Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(data[base + c]));
    const scale = max > 0 ? max / 127 : 1;
    scales[r] = scale;
    for (let c = 0; c < cols; c++) q[base + c] = 128 + Math.max(-127, Math.min(127, Math.round(data[base + c] / scale)));
  }
  return { q, scales };
}

const intAttr = (name: string, value: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });

function attribute(node: Node, name: string): number | undefined {
  const found = node.attribute?.find((a) => a.name === name);
  return found === undefined ? undefined : Number(found.i);
}

/** Which parts to quantize (all by default); turning parts off measures what each one costs in accuracy. */
export interface QuantizeOptions {
  /**
   * How weight matrices are stored. 'int7': int8 in [-63, 63] (ORT's reduce_range): on x86
   * without AVX-512 VNNI, MLAS multiplies uint8 activations by int8 weights with VPMADDUBSW,
   * whose int16 pair sums saturate for full-range int8 weights (255·127·2 > 32767), which
   * wrecks accuracy; 7-bit weights cannot saturate. 'uint8': uint8 with zero point 128 (the
   * slower U8U8 kernels, full 8-bit resolution). Default 'int7'.
   */
  weights?: 'int7' | 'uint8';
  matMuls?: boolean;
  attention?: boolean;
  wordTable?: boolean;
}

export function quantizeToInt8(builder: OnnxGraphBuilder, options: QuantizeOptions = {}): void {
  const { matMuls = true, attention: quantizeAttention = true, wordTable = true, weights: weightFormat = 'int7' } = options;
  /** Quantized weight, scale per column and (uint8 only) zero point per column, as initializers. */
  const quantizedWeight = (weight: Tensor) => {
    const [K, N] = weight.dims!.map(Number);
    if (weightFormat === 'uint8') {
      const { q, scales } = quantizePerColumn(floats(weight), K, N, 127);
      const u = new Uint8Array(q.length);
      for (let i = 0; i < q.length; i++) u[i] = q[i] + 128;
      return {
        q: builder.addRawInitializer(`${weight.name}_uint8`, 'uint8', [K, N], u),
        scale: builder.addRawInitializer(`${weight.name}_scale`, 'float32', [N], bytesOf(scales)),
        zeroPoint: builder.addRawInitializer(`${weight.name}_zero_point`, 'uint8', [N], new Uint8Array(N).fill(128)),
      };
    }
    const { q, scales } = quantizePerColumn(floats(weight), K, N, 63);
    return {
      q: builder.addRawInitializer(`${weight.name}_int7`, 'int8', [K, N], bytesOf(q)),
      scale: builder.addRawInitializer(`${weight.name}_scale`, 'float32', [N], bytesOf(scales)),
      zeroPoint: '',
    };
  };
  const graph = builder.parts();
  const initializers = new Map(graph.initializers.map((t) => [t.name!, t]));
  const consumers = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    for (const input of node.input ?? []) {
      if (!consumers.has(input)) consumers.set(input, []);
      consumers.get(input)!.push(node);
    }
  }
  const graphOutputs = new Set(graph.outputs.map((o) => o.name!));
  const floatMatrix = (name: string | undefined) => {
    const t = name === undefined ? undefined : initializers.get(name);
    return t !== undefined && t.dataType === FLOAT && t.dims?.length === 2 ? t : undefined;
  };
  const floatVector = (name: string, length: number) => {
    const t = initializers.get(name);
    return t !== undefined && t.dataType === FLOAT && t.dims?.length === 1 && Number(t.dims[0]) === length ? t : undefined;
  };
  const removed = new Set<Node>();
  const replacements = new Map<Node, Node[]>();
  const droppedInitializers = new Set<string>();
  let counter = 0;
  const node = (opType: string, inputs: string[], outputs: string[], domain = '', attributes: onnx.IAttributeProto[] = []): Node => ({
    name: `int8/${opType}_${counter++}`,
    opType,
    domain,
    input: inputs,
    output: outputs,
    attribute: attributes,
  });
  const fresh = (hint: string) => builder.freshName(`int8/${hint}`);

  // 1. MatMul with a float weight → DynamicQuantizeMatMul (+ folded bias).
  for (const matmul of graph.nodes) {
    if (!matMuls || matmul.opType !== 'MatMul' || (matmul.domain ?? '') !== '') continue;
    const weight = floatMatrix(matmul.input![1]);
    if (weight === undefined) continue;
    const [K, N] = weight.dims!.map(Number);
    if (N < MIN_QUANTIZED_COLUMNS) continue;
    const { q: qName, scale: scaleName, zeroPoint } = quantizedWeight(weight);
    droppedInitializers.add(weight.name!);
    const users = consumers.get(matmul.output![0]) ?? [];
    const add = users.length === 1 && !graphOutputs.has(matmul.output![0]) ? users[0] : undefined;
    const biasName =
      add?.opType === 'Add' && (add.domain ?? '') === ''
        ? add.input!.find((i) => i !== matmul.output![0] && floatVector(i, N) !== undefined)
        : undefined;
    if (add !== undefined && biasName !== undefined) {
      replacements.set(matmul, [node('DynamicQuantizeMatMul', [matmul.input![0], qName, scaleName, zeroPoint, biasName], [add.output![0]], MS_DOMAIN)]);
      removed.add(add);
    } else {
      const inputs = [matmul.input![0], qName, scaleName];
      if (zeroPoint !== '') inputs.push(zeroPoint);
      replacements.set(matmul, [node('DynamicQuantizeMatMul', inputs, [matmul.output![0]], MS_DOMAIN)]);
    }
  }

  // 2. Fused Attention with a packed float QKV weight → QAttention.
  for (const attention of graph.nodes) {
    if (!quantizeAttention || attention.opType !== 'Attention' || attention.domain !== MS_DOMAIN) continue;
    const weight = floatMatrix(attention.input![1]);
    if (weight === undefined) continue;
    const { q: qName, scale: scaleName, zeroPoint } = quantizedWeight(weight);
    droppedInitializers.add(weight.name!);
    const [x, , bias, mask] = attention.input!;
    const xq = fresh('attention_input_q');
    const xs = fresh('attention_input_scale');
    const xz = fresh('attention_input_zero_point');
    replacements.set(attention, [
      node('DynamicQuantizeLinear', [x], [xq, xs, xz]),
      node('QAttention', [xq, qName, bias, xs, scaleName, mask ?? '', xz, zeroPoint], [attention.output![0]], MS_DOMAIN, attention.attribute ?? []),
    ]);
  }

  // 3. The word table, read by Gather and (when there is an MLM head) the tied decoder Gemm (transB).
  for (const table of graph.initializers.slice()) {
    if (!wordTable || floatMatrix(table.name!) === undefined) continue;
    const users = consumers.get(table.name!) ?? [];
    const isGather = (n: Node) => n.opType === 'Gather' && n.input![0] === table.name && (attribute(n, 'axis') ?? 0) === 0;
    const isDecoder = (n: Node) =>
      n.opType === 'Gemm' && n.input![1] === table.name && attribute(n, 'transB') === 1 && (attribute(n, 'transA') ?? 0) === 0 &&
      (attribute(n, 'alpha') ?? 1) === 1;
    const [V, H] = table.dims!.map(Number);
    const tied = users.some(isDecoder);
    if (users.length === 0 || !users.every((n) => isGather(n) || isDecoder(n))) continue;
    if (!tied && V < MIN_QUANTIZED_TABLE_ROWS) continue;
    const { q, scales } = quantizePerRowUint8(floats(table), V, H);
    const qName = builder.addRawInitializer(`${table.name}_uint8`, 'uint8', [V, H], bytesOf(q));
    const rowScales = builder.addRawInitializer(`${table.name}_row_scale`, 'float32', [V, 1], bytesOf(scales));
    // The uint8 zero point is only an input of the decoder's MatMulInteger (ORT warns of unused initializers).
    const zeroPoint = tied ? builder.addRawInitializer('int8/table_zero_point', 'uint8', [], Uint8Array.of(128)) : '';
    const zeroPointFloat = builder.addRawInitializer('int8/table_zero_point_float', 'float32', [], bytesOf(Float32Array.of(128)));
    droppedInitializers.add(table.name!);
    for (const user of users) {
      if (isGather(user)) {
        const ids = user.input![1];
        const rows = fresh('word_rows_q');
        const rowsFloat = fresh('word_rows_float');
        const centered = fresh('word_rows_centered');
        const scale = fresh('word_rows_scale');
        replacements.set(user, [
          node('Gather', [qName, ids], [rows]),
          node('Cast', [rows], [rowsFloat], '', [intAttr('to', FLOAT)]),
          node('Sub', [rowsFloat, zeroPointFloat], [centered]),
          node('Gather', [rowScales, ids], [scale]),
          node('Mul', [centered, scale], [user.output![0]]),
        ]);
      } else {
        // logits[m, v] = Σ_h x[m, h] · table[v, h]: computed as table · xᵀ ([V, M]) so the
        // table is read in its stored layout, then transposed back and biased.
        const [x, , bias] = user.input!;
        const xq = fresh('decoder_input_q');
        const xs = fresh('decoder_input_scale');
        const xz = fresh('decoder_input_zero_point');
        const xqT = fresh('decoder_input_q_t');
        const product = fresh('decoder_int32');
        const productFloat = fresh('decoder_float');
        const rowScaled = fresh('decoder_row_scaled');
        const scaled = fresh('decoder_scaled');
        const logitsT = fresh('decoder_logits');
        const steps: Node[] = [
          node('DynamicQuantizeLinear', [x], [xq, xs, xz]),
          node('Transpose', [xq], [xqT], '', [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0] }]),
          node('MatMulInteger', [qName, xqT, zeroPoint, xz], [product]),
          node('Cast', [product], [productFloat], '', [intAttr('to', FLOAT)]),
          node('Mul', [productFloat, rowScales], [rowScaled]),
          node('Mul', [rowScaled, xs], [scaled]),
        ];
        if (bias !== undefined && bias !== '') {
          steps.push(node('Transpose', [scaled], [logitsT], '', [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0] }]));
          steps.push(node('Add', [logitsT, bias], [user.output![0]]));
        } else {
          steps.push(node('Transpose', [scaled], [user.output![0]], '', [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0] }]));
        }
        replacements.set(user, steps);
      }
    }
  }

  const rewritten: Node[] = [];
  for (const n of graph.nodes) {
    if (removed.has(n)) continue;
    rewritten.push(...(replacements.get(n) ?? [n]));
  }
  graph.nodes.splice(0, graph.nodes.length, ...rewritten);
  const stillUsed = new Set(rewritten.flatMap((n) => n.input ?? []));
  const kept = graph.initializers.filter((t) => !droppedInitializers.has(t.name!) || stillUsed.has(t.name!));
  graph.initializers.splice(0, graph.initializers.length, ...kept);
}
