/**
 * A small, model-agnostic ONNX graph builder on top of the `onnx-proto` protobuf classes:
 * graph inputs/outputs with named dynamic dimensions, initializers, nodes with typed
 * attributes, unique value names, and serialisation to a ModelProto. Knows nothing about BERT.
 */
import { onnx } from 'onnx-proto';

/** Element types the builder can declare for graph inputs, outputs and initializers. */
export type ElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8';

/** A dimension of a graph input/output: a fixed size or the name of a dynamic dimension. */
export type Dimension = number | string;

/** A node attribute, tagged with its ONNX type so `1` is never mistaken for `1.0`. */
export type AttributeValue =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { string: string };

export interface OperatorSet {
  /** '' for the standard ONNX domain, e.g. 'com.microsoft' for ORT contrib operators. */
  domain: string;
  version: number;
}

export interface ModelMetadata {
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString?: string;
  /** Extra key/value pairs stored in ModelProto.metadata_props (sorted by key when written). */
  properties?: Record<string, string>;
}

const ELEMENT_TYPE_CODES: Record<ElementType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
};

/** The mutable parts of a graph under construction, for whole-graph passes (precision rewrites). */
export interface GraphParts {
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  operatorSets: OperatorSet[];
}

/** ONNX IR version 8 is the one that goes with opset 17 (ONNX 1.12+). */
const IR_VERSION = 8;

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Little-endian bytes of a typed array, independent of the host's byte order. On
 * little-endian hosts this is a view of the array itself (no copy of large weights).
 */
function littleEndianBytes(values: Float32Array | BigInt64Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.length * values.BYTES_PER_ELEMENT);
  const view = new DataView(bytes.buffer);
  if (values instanceof Float32Array) {
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  } else {
    for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, values[i], true);
  }
  return bytes;
}

function attributeProto(name: string, value: AttributeValue): onnx.IAttributeProto {
  const type = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: type.INT, i: value.int };
  if ('float' in value) return { name, type: type.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: type.INTS, ints: [...value.ints] };
  return { name, type: type.STRING, s: new TextEncoder().encode(value.string) };
}

function valueInfo(name: string, elementType: ElementType, dims: readonly Dimension[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE_CODES[elementType],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class OnnxGraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private readonly nameCounters = new Map<string, number>();

  private readonly operatorSets: OperatorSet[];

  constructor(operatorSets: readonly OperatorSet[]) {
    this.operatorSets = [...operatorSets];
  }

  /** Node, initializer, I/O and opset lists themselves (not copies), for passes that rewrite the graph before `encode`. */
  parts(): GraphParts {
    return { nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs, operatorSets: this.operatorSets };
  }

  /** A fresh value name derived from `hint` (for passes that add nodes). */
  freshName(hint: string): string {
    return this.uniqueName(hint);
  }

  /** Adds an initializer of any element type from its little-endian bytes and returns its name. */
  addRawInitializer(nameHint: string, elementType: ElementType, dims: readonly number[], rawData: Uint8Array): string {
    const name = this.uniqueName(nameHint);
    this.initializers.push({ name, dataType: ELEMENT_TYPE_CODES[elementType], dims: [...dims], rawData });
    return name;
  }

  /** Declares a graph input and returns its name. */
  addInput(name: string, elementType: ElementType, dims: readonly Dimension[]): string {
    this.claimName(name);
    this.inputs.push(valueInfo(name, elementType, dims));
    return name;
  }

  /** Declares `valueName` (already produced by a node) as a graph output. */
  addOutput(valueName: string, elementType: ElementType, dims: readonly Dimension[]): void {
    if (!this.usedNames.has(valueName)) throw new Error(`Graph output '${valueName}' is not produced by any node`);
    this.outputs.push(valueInfo(valueName, elementType, dims));
  }

  hasValue(name: string): boolean {
    return this.usedNames.has(name);
  }

  /** Adds a float32 initializer (stored as little-endian raw_data) and returns its name. */
  addFloatInitializer(name: string, dims: readonly number[], data: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new Error(`Initializer '${name}': dims [${dims.join(', ')}] hold ${count} values, data has ${data.length}`);
    }
    this.claimName(name);
    this.initializers.push({
      name,
      dataType: onnx.TensorProto.DataType.FLOAT,
      dims: [...dims],
      rawData: littleEndianBytes(data),
    });
    return name;
  }

  /** Adds an int64 constant initializer (a scalar when `dims` is []) and returns its name. */
  addInt64Constant(nameHint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.uniqueName(nameHint);
    this.initializers.push({
      name,
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [...dims],
      rawData: littleEndianBytes(BigInt64Array.from(values, (v) => BigInt(v))),
    });
    return name;
  }

  /** Adds a float32 constant initializer (a scalar when `dims` is []) and returns its name. */
  addFloatConstant(nameHint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.uniqueName(nameHint);
    this.initializers.push({
      name,
      dataType: onnx.TensorProto.DataType.FLOAT,
      dims: [...dims],
      rawData: littleEndianBytes(Float32Array.from(values)),
    });
    return name;
  }

  /**
   * Adds a node with one output and returns the output's name. `outputName` fixes the
   * name (for graph outputs); otherwise a unique name is derived from `scope` and the op.
   */
  op(
    opType: string,
    inputs: readonly string[],
    options: { scope: string; attributes?: Record<string, AttributeValue>; outputName?: string; domain?: string },
  ): string {
    for (const input of inputs) {
      if (input !== '' && !this.usedNames.has(input)) throw new Error(`${opType} in ${options.scope}: unknown input '${input}'`);
    }
    const output = options.outputName ?? this.uniqueName(`${options.scope}/${opType}`);
    if (options.outputName !== undefined) this.claimName(output);
    this.nodes.push({
      name: `${output}:node`,
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: [output],
      attribute: Object.entries(options.attributes ?? {}).map(([name, value]) => attributeProto(name, value)),
    });
    return output;
  }

  /** Serialises the graph to ModelProto bytes. Same calls in the same order give the same bytes. */
  encode(metadata: ModelMetadata): Uint8Array {
    const properties = Object.entries(metadata.properties ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const model: onnx.IModelProto = {
      irVersion: IR_VERSION,
      producerName: metadata.producerName,
      producerVersion: metadata.producerVersion,
      docString: metadata.docString ?? '',
      opsetImport: this.operatorSets.map((set) => ({ domain: set.domain, version: set.version })),
      metadataProps: properties.map(([key, value]) => ({ key, value })),
      graph: {
        name: metadata.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }

  private claimName(name: string): void {
    if (this.usedNames.has(name)) throw new Error(`Duplicate ONNX value name '${name}'`);
    this.usedNames.add(name);
  }

  private uniqueName(hint: string): string {
    let index = this.nameCounters.get(hint) ?? 0;
    let name = index === 0 ? hint : `${hint}_${index}`;
    while (this.usedNames.has(name)) name = `${hint}_${++index}`;
    this.nameCounters.set(hint, index + 1);
    this.claimName(name);
    return name;
  }
}
