/**
 * The safetensors format (Hugging Face): a bounds-checked header parser, a reader that loads
 * one tensor at a time straight from the file into its final Float32Array (F32 as is, F16 and
 * BF16 widened exactly), and a writer for tests, fixtures and benchmarks.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`,
 * then the data area; offsets are relative to the data area, which the tensors must cover
 * exactly, without overlaps or holes (as the reference implementation requires).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';

/** Bytes per element of every dtype the format defines; only F32, F16 and BF16 can be loaded. */
const DTYPE_SIZES: Readonly<Record<string, number>> = Object.freeze({
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1,
  BOOL: 1, F8_E4M3: 1, F8_E5M2: 1, C64: 8,
});

export type LoadableDtype = 'F32' | 'F16' | 'BF16';
const LOADABLE = new Set<string>(['F32', 'F16', 'BF16']);

/** Headers above this are refused before allocating (the reference implementation allows 100 MB). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte offsets in the file, [begin, end). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Tensors in file order (sorted by offset). */
  entries: SafetensorsEntry[];
  byName: ReadonlyMap<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Absolute offset of the data area (8 + header length). */
  dataStart: number;
}

export class SafetensorsError extends Error {
  constructor(message: string, readonly path: string) {
    super(`${path}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and validates the header. `prefix` holds the file's first bytes (at least 8, and the
 * whole header when it is to be parsed); `fileSize` is the size of the whole file.
 */
export function parseSafetensorsHeader(prefix: Uint8Array, fileSize: number, path: string): SafetensorsHeader {
  const fail = (message: string): never => {
    throw new SafetensorsError(message, path);
  };
  if (fileSize < 8 || prefix.length < 8) fail(`file is ${fileSize} bytes, too short for a safetensors header`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(headerLength);
  if (8 + n > fileSize) fail(`header length ${n} runs past the end of the ${fileSize}-byte file (truncated?)`);
  if (prefix.length < 8 + n) fail(`only ${prefix.length} of the header's ${8 + n} bytes were given`);

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + n)));
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (!isRecord(json)) fail('header must be a JSON object');
  const header = json as Record<string, unknown>;

  const dataStart = 8 + n;
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(info)) fail('"__metadata__" must be an object of strings');
      for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`"__metadata__"."${key}" must be a string`);
        metadata[key] = value as string;
      }
      continue;
    }
    if (!isRecord(info)) fail(`tensor "${name}": entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`tensor "${name}": missing "dtype"`);
    const elementSize = DTYPE_SIZES[dtype as string];
    if (elementSize === undefined) fail(`tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isIndex)) fail(`tensor "${name}": "shape" must be a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      fail(`tensor "${name}": "data_offsets" must be [begin, end] with non-negative integers`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end) fail(`tensor "${name}": data_offsets [${begin}, ${end}] run backwards`);
    if (end > dataSize) fail(`tensor "${name}": data_offsets [${begin}, ${end}] run past the ${dataSize}-byte data area`);
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (!Number.isSafeInteger(count)) fail(`tensor "${name}": shape [${(shape as number[]).join(', ')}] is too large`);
    }
    if (count * elementSize !== end - begin) {
      fail(
        `tensor "${name}": shape [${(shape as number[]).join(', ')}] × ${dtype} (${elementSize} bytes) = ` +
          `${count * elementSize} bytes, but data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype as string, shape: [...(shape as number[])], begin: dataStart + begin, end: dataStart + end });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = dataStart;
  for (const entry of entries) {
    if (entry.begin < covered) fail(`tensor "${entry.name}" overlaps the tensor before it`);
    if (entry.begin > covered) fail(`${entry.begin - covered} bytes before tensor "${entry.name}" belong to no tensor`);
    covered = entry.end;
  }
  if (covered !== fileSize) fail(`${fileSize - covered} bytes at the end of the file belong to no tensor (or the file is padded)`);
  return { entries, byName: new Map(entries.map((e) => [e.name, e])), metadata, dataStart };
}

// ---------------------------------------------------------------------------------------
// Half-precision widening
// ---------------------------------------------------------------------------------------

let f16Table: Float32Array | undefined;

/** The float32 value of every IEEE 754 binary16 bit pattern (exact: subnormals, ±inf, NaN). */
function halfToFloatTable(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    if (exponent === 0) table[bits] = sign * mantissa * 2 ** -24; // zero and subnormals
    else if (exponent === 31) table[bits] = mantissa === 0 ? sign * Infinity : NaN;
    else table[bits] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  f16Table = table;
  return table;
}

/** float16 bit patterns (little-endian bytes) → float32. */
export function float16ToFloat32(bytes: Uint8Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(bytes.length >> 1);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) out[i] = table[bytes[j] | (bytes[j + 1] << 8)];
  return out;
}

/** bfloat16 (the top half of a float32) → float32: exact, NaN payloads kept. */
export function bfloat16ToFloat32(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length >> 1);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) bits[i] = ((bytes[j] | (bytes[j + 1] << 8)) << 16) >>> 0;
  return out;
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/** An open safetensors file: validated header, tensors read on demand. Close it when done. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    readonly header: SafetensorsHeader,
    readonly fileSize: number,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size < 8) parseSafetensorsHeader(new Uint8Array(0), size, path);
      const lengthBytes = new Uint8Array(8);
      await readExactly(handle, lengthBytes, 0, path);
      const length = new DataView(lengthBytes.buffer).getBigUint64(0, true);
      // Validate the length before allocating for it.
      if (length > BigInt(MAX_HEADER_BYTES) || 8 + Number(length) > size) parseSafetensorsHeader(lengthBytes, size, path);
      const prefix = new Uint8Array(8 + Number(length));
      prefix.set(lengthBytes);
      await readExactly(handle, prefix.subarray(8), 8, path);
      return new SafetensorsFile(path, parseSafetensorsHeader(prefix, size, path), size, handle);
    } catch (error) {
      await handle.close();
      if (error instanceof SafetensorsError) throw error;
      throw new SafetensorsError((error as Error).message, path);
    }
  }

  get names(): string[] {
    return this.header.entries.map((e) => e.name);
  }

  entry(name: string): SafetensorsEntry | undefined {
    return this.header.byName.get(name);
  }

  /**
   * The tensor `name` as float32, read from the file into its final array (F32: no further
   * copy; F16 / BF16: one temporary of the stored bytes). Other dtypes are refused by name.
   */
  async readFloat32(name: string): Promise<{ dims: number[]; data: Float32Array }> {
    const entry = this.entry(name);
    if (!entry) throw new SafetensorsError(`no tensor "${name}"`, this.path);
    if (!LOADABLE.has(entry.dtype)) {
      throw new SafetensorsError(`tensor "${name}" has dtype ${entry.dtype}; only F32, F16 and BF16 weights are supported`, this.path);
    }
    const byteLength = entry.end - entry.begin;
    if (entry.dtype === 'F32') {
      const data = new Float32Array(byteLength / 4);
      await readExactly(this.handle, new Uint8Array(data.buffer), entry.begin, this.path);
      if (!HOST_IS_LITTLE_ENDIAN) swapBytes32(new Uint8Array(data.buffer));
      return { dims: [...entry.shape], data };
    }
    const raw = new Uint8Array(byteLength);
    await readExactly(this.handle, raw, entry.begin, this.path);
    return { dims: [...entry.shape], data: entry.dtype === 'F16' ? float16ToFloat32(raw) : bfloat16ToFloat32(raw) };
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Reads all of `target` from `position`; a short read means the file changed or is truncated. */
async function readExactly(handle: FileHandle, target: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const chunk = Math.min(target.length - done, 1 << 30);
    const { bytesRead } = await handle.read(target, done, chunk, position + done);
    if (bytesRead === 0) throw new SafetensorsError(`unexpected end of file at byte ${position + done}`, path);
    done += bytesRead;
  }
}

function swapBytes32(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const a = bytes[i];
    const b = bytes[i + 1];
    bytes[i] = bytes[i + 3];
    bytes[i + 1] = bytes[i + 2];
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

// ---------------------------------------------------------------------------------------
// Writing (tests, fixtures, benchmarks)
// ---------------------------------------------------------------------------------------

export interface TensorToWrite {
  dims: readonly number[];
  /** float32 values, written as F32 unless `dtype` asks for F16 / BF16 (rounded to nearest even). */
  data: Float32Array;
  dtype?: LoadableDtype;
}

function float32ToBfloat16Bits(value: number, scratch: Float32Array, bits: Uint32Array): number {
  scratch[0] = value;
  const x = bits[0];
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff; // NaN stays NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Rounds to the nearest integer, ties to even. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  return rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
}

function float32ToFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= 65520) return sign | 0x7c00; // rounds to infinity
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal; 1024 becomes the smallest normal
  let exponent = Math.floor(Math.log2(a));
  if (2 ** exponent > a) exponent--;
  else if (2 ** (exponent + 1) <= a) exponent++;
  let mantissa = roundHalfEven((a / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | mantissa;
}

/** The bytes of a safetensors file holding `tensors` (in name order), data aligned to 8 bytes. */
export function encodeSafetensors(tensors: ReadonlyMap<string, TensorToWrite>, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const size = DTYPE_SIZES[t.dtype ?? 'F32'];
    const length = t.data.length * size;
    header[name] = { dtype: t.dtype ?? 'F32', shape: [...t.dims], data_offsets: [offset, offset + length] };
    offset += length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const view = new DataView(out.buffer);
  let position = 8 + headerBytes.length;
  const scratch = new Float32Array(1);
  const scratchBits = new Uint32Array(scratch.buffer);
  for (const name of names) {
    const { data, dtype = 'F32' } = tensors.get(name)!;
    if (dtype === 'F32' && HOST_IS_LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    } else {
      for (let i = 0; i < data.length; i++) {
        if (dtype === 'F32') view.setFloat32(position + 4 * i, data[i], true);
        else if (dtype === 'F16') view.setUint16(position + 2 * i, float32ToFloat16Bits(data[i]), true);
        else view.setUint16(position + 2 * i, float32ToBfloat16Bits(data[i], scratch, scratchBits), true);
      }
    }
    position += data.length * DTYPE_SIZES[dtype];
  }
  return out;
}

export function writeSafetensors(path: string, tensors: ReadonlyMap<string, TensorToWrite>, metadata?: Record<string, string>): void {
  writeFileSync(path, encodeSafetensors(tensors, metadata));
}
