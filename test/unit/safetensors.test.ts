/**
 * Tests of the safetensors reader and writer (src/model/safetensors.ts): round trips in F32,
 * F16 and BF16 with exact special values, and handcrafted malformed files that must be
 * refused with a message naming the problem.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  bfloat16ToFloat32,
  encodeSafetensors,
  float16ToFloat32,
  MAX_HEADER_BYTES,
  SafetensorsFile,
  type TensorToWrite,
} from '../../src/model/safetensors';

const dir = mkdtempSync(join(tmpdir(), 'bert-lens-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;

function writeTemp(bytes: Uint8Array): string {
  const path = join(dir, `file-${fileCounter++}.safetensors`);
  writeFileSync(path, bytes);
  return path;
}

/** A file with `header` (object or raw text) and `data`; `lengthOverride` replaces the 8-byte length. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): string {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const headerBytes = Buffer.from(text, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return writeTemp(out);
}

async function openFails(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(SafetensorsFile.open(path), (error: Error) => {
    assert.match(error.message, pattern);
    assert.ok(error.message.includes(path), `the message names the file: ${error.message}`);
    return true;
  });
}

const halves = (...bits: number[]) => new Uint8Array(new Uint16Array(bits).buffer);

describe('half-precision widening', () => {
  test('float16 bit patterns give the exact IEEE values, subnormals, infinities and NaN included', () => {
    const values = float16ToFloat32(halves(0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0xc000, 0x3555, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x7c01));
    assert.ok(Object.is(values[0], 0) && Object.is(values[1], -0));
    assert.equal(values[2], 2 ** -24); // smallest subnormal
    assert.equal(values[3], 1023 * 2 ** -24); // largest subnormal
    assert.equal(values[4], 2 ** -14); // smallest normal
    assert.equal(values[5], 1);
    assert.equal(values[6], -2);
    assert.equal(values[7], 0.333251953125);
    assert.equal(values[8], 65504);
    assert.equal(values[9], Infinity);
    assert.equal(values[10], -Infinity);
    assert.ok(Number.isNaN(values[11]) && Number.isNaN(values[12]));
  });

  test('bfloat16 is the top half of a float32', () => {
    const values = bfloat16ToFloat32(halves(0x3f80, 0xc049, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0x8000));
    assert.equal(values[0], 1);
    assert.equal(values[1], -3.140625);
    assert.equal(values[2], 2 ** -133); // float32 subnormal
    assert.equal(values[3], Infinity);
    assert.equal(values[4], -Infinity);
    assert.ok(Number.isNaN(values[5]));
    assert.ok(Object.is(values[6], -0));
  });
});

describe('round trips', () => {
  test('F32, F16 and BF16 tensors read back as float32 (halves rounded to nearest even)', async () => {
    const tensors = new Map<string, TensorToWrite>([
      ['a.f32', { dims: [2, 3], data: Float32Array.from([1, -2.5, 3.25, 1e-30, -0, 123456.789]) }],
      ['b.f16', { dims: [5], data: Float32Array.from([1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 5.960464477539063e-8, 70000]), dtype: 'F16' }],
      ['c.bf16', { dims: [3], data: Float32Array.from([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8]), dtype: 'BF16' }],
      ['d.empty', { dims: [0, 4], data: new Float32Array(0) }],
    ]);
    const path = writeTemp(encodeSafetensors(tensors, { format: 'pt' }));
    const file = await SafetensorsFile.open(path);
    try {
      assert.deepEqual(file.header.metadata, { format: 'pt' });
      assert.deepEqual(file.names.sort(), ['a.f32', 'b.f16', 'c.bf16', 'd.empty']);
      const a = await file.readFloat32('a.f32');
      assert.deepEqual(a.dims, [2, 3]);
      assert.deepEqual(Array.from(a.data), Array.from(tensors.get('a.f32')!.data));
      // 1 + 2^-11 is halfway between two halves: ties to even (1); 1 + 3·2^-11 rounds up to 1 + 2^-9.
      assert.deepEqual(Array.from((await file.readFloat32('b.f16')).data), [1, 1, 1 + 2 ** -9, 2 ** -24, Infinity]);
      assert.deepEqual(Array.from((await file.readFloat32('c.bf16')).data), [1, 1, 1 + 2 ** -6]);
      assert.equal((await file.readFloat32('d.empty')).data.length, 0);
      await assert.rejects(file.readFloat32('nope'), /no tensor "nope"/);
    } finally {
      await file.close();
    }
  });

  test('every finite float16 value survives float16 → float32 → float16', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const widened = float16ToFloat32(new Uint8Array(all.buffer));
    const tensors = new Map<string, TensorToWrite>([['x', { dims: [65536], data: widened, dtype: 'F16' }]]);
    const bytes = encodeSafetensors(tensors);
    const stored = new Uint16Array(bytes.buffer.slice(bytes.length - 65536 * 2));
    for (let bits = 0; bits < 65536; bits++) {
      if (Number.isNaN(widened[bits])) continue;
      assert.equal(stored[bits], bits, `0x${bits.toString(16)}`);
    }
  });

  test('data that starts at an unaligned offset is read correctly', async () => {
    // Header of odd length: the data area starts at an offset that is not a multiple of 4.
    const data = new Float32Array([1.5, -7, 0.25]);
    let header = '{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}';
    while ((8 + header.length) % 4 !== 1) header += ' ';
    assert.notEqual((8 + Buffer.byteLength(header)) % 4, 0);
    const path = craft(header, new Uint8Array(data.buffer));
    const file = await SafetensorsFile.open(path);
    assert.deepEqual(Array.from((await file.readFloat32('w')).data), [1.5, -7, 0.25]);
    await file.close();
  });
});

describe('malformed files are refused', () => {
  const fourFloats = new Uint8Array(16);

  test('a file shorter than the length prefix', async () => {
    await openFails(writeTemp(new Uint8Array(5)), /too short/);
  });

  test('a huge header length, before allocating it', async () => {
    await openFails(craft('{}', new Uint8Array(0), 2n ** 63n), /exceeds the .*limit/);
    await openFails(craft('{}', new Uint8Array(0), BigInt(MAX_HEADER_BYTES + 1)), /exceeds/);
  });

  test('a header length past the end of the file (truncated)', async () => {
    await openFails(craft('{"a":', new Uint8Array(0), 1000n), /runs past the end/);
  });

  test('a header that is not JSON, or not an object', async () => {
    await openFails(craft('{"a": [1, 2'), /not valid UTF-8 JSON/);
    await openFails(craft('[1, 2, 3]'), /must be a JSON object/);
  });

  test('data offsets past the data area (truncated data)', async () => {
    await openFails(craft({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /run past the 8-byte data area/);
  });

  test('a shape that lies about the byte length', async () => {
    await openFails(craft({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, fourFloats), /= 12 bytes, but data_offsets span 16/);
    await openFails(craft({ w: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 16] } }, fourFloats), /= 8 bytes/);
  });

  test('overlapping tensors', async () => {
    const header = {
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    };
    await openFails(craft(header, fourFloats), /"b" overlaps/);
  });

  test('holes between tensors and trailing bytes', async () => {
    const gap = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    await openFails(craft(gap, fourFloats), /4 bytes before tensor "b" belong to no tensor/);
    await openFails(craft({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, fourFloats), /4 bytes at the end/);
  });

  test('unknown dtypes, bad shapes and bad offsets', async () => {
    await openFails(craft({ w: { dtype: 'F33', shape: [4], data_offsets: [0, 16] } }, fourFloats), /unknown dtype "F33"/);
    await openFails(craft({ w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, fourFloats), /"shape" must be a list/);
    await openFails(craft({ w: { dtype: 'F32', shape: [4], data_offsets: [16, 0] } }, fourFloats), /run backwards/);
    await openFails(craft({ w: { dtype: 'F32', shape: [4], data_offsets: [0.5, 16] } }, fourFloats), /"data_offsets" must be/);
    await openFails(craft({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 20], data_offsets: [0, 16] } }, fourFloats), /too large|span/);
    await openFails(craft({ __metadata__: { format: 1 } }), /"__metadata__"."format" must be a string/);
  });

  test('a known but unsupported dtype is listed, and refused by name only when read', async () => {
    const header = { position_ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } };
    const file = await SafetensorsFile.open(craft(header, fourFloats));
    try {
      assert.equal(file.entry('position_ids')?.dtype, 'I64');
      await assert.rejects(file.readFloat32('position_ids'), /"position_ids" has dtype I64; only F32, F16 and BF16/);
    } finally {
      await file.close();
    }
  });
});
