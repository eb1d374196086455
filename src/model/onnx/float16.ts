/**
 * The fp16 precision pass (for GPU execution providers): rewrites a built graph so every
 * float initializer is stored as float16, every Cast to float casts to float16 instead, and
 * the float graph outputs keep their names and float32 type through one Cast at the boundary.
 * Inputs (int64 ids and masks) are unchanged. Compute then runs in float16 wherever the
 * execution provider has float16 kernels.
 */
import { onnx } from 'onnx-proto';
import type { OnnxGraphBuilder } from './graph-builder';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE 754 binary16 bits of `value`, rounded to nearest even; overflow gives ±infinity. */
export function float16Bits(value: number): number {
  scratch[0] = value;
  const x = scratchBits[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // inf / NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero).
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++; // a carry into the exponent is correct rounding
  return sign | half;
}

/** float32 little-endian bytes → float16 little-endian bytes. */
function toFloat16Bytes(raw: Uint8Array): Uint8Array {
  const floats = new Float32Array(raw.byteLength / 4);
  new Uint8Array(floats.buffer).set(raw);
  const out = new Uint8Array(floats.length * 2);
  for (let i = 0; i < floats.length; i++) {
    const bits = float16Bits(floats[i]);
    out[2 * i] = bits & 0xff;
    out[2 * i + 1] = bits >>> 8;
  }
  return out;
}

export function convertToFloat16(builder: OnnxGraphBuilder): void {
  const graph = builder.parts();
  for (const tensor of graph.initializers) {
    if (tensor.dataType !== FLOAT) continue;
    if (!tensor.rawData) throw new Error(`fp16: initializer ${tensor.name} has no raw data`);
    tensor.rawData = toFloat16Bytes(tensor.rawData);
    tensor.dataType = FLOAT16;
  }
  for (const node of graph.nodes) {
    if (node.opType !== 'Cast') continue;
    for (const attribute of node.attribute ?? []) if (attribute.name === 'to' && Number(attribute.i) === FLOAT) attribute.i = FLOAT16;
  }
  for (const output of graph.outputs) {
    if (output.type?.tensorType?.elemType !== FLOAT) continue;
    const name = output.name!;
    const internal = builder.freshName(`${name}_float16`);
    for (const node of graph.nodes) {
      node.output = node.output!.map((o) => (o === name ? internal : o));
      node.input = node.input!.map((i) => (i === name ? internal : i));
    }
    graph.nodes.push({
      name: `${name}:cast_to_float32`,
      opType: 'Cast',
      domain: '',
      input: [internal],
      output: [name],
      attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
    });
  }
}
