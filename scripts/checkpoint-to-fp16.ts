/**
 * Writes a float16 copy of a float32 checkpoint folder: every F32 tensor of model.safetensors
 * as F16 (round to nearest even), other tensors as they are, and config.json, vocab.txt and
 * tokenizer_config.json copied. Half the size, and the compiler reads it like the original
 * (its int8 / fp16 graphs are nearly the same; scripts/make-bundled-model.mjs checks that).
 *
 *   node scripts/run-ts.mjs scripts/checkpoint-to-fp16.ts CHECKPOINT OUT
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../src/model/safetensors';

async function main(): Promise<void> {
  const [source, out] = process.argv.slice(2);
  if (!source || !out) throw new Error('usage: checkpoint-to-fp16.ts CHECKPOINT OUT');
  const file = await SafetensorsFile.open(join(source, 'model.safetensors'));
  const tensors = new Map<string, TensorToWrite>();
  try {
    for (const name of file.names) {
      const entry = file.entry(name)!;
      if (entry.dtype !== 'F32' && entry.dtype !== 'F16') throw new Error(`${name} is ${entry.dtype}; only F32 / F16 checkpoints are converted`);
      const { dims, data } = await file.readFloat32(name);
      tensors.set(name, { dims, data, dtype: 'F16' });
    }
  } finally {
    await file.close();
  }
  mkdirSync(out, { recursive: true });
  writeSafetensors(join(out, 'model.safetensors'), tensors, { ...file.header.metadata, format: 'pt', converted: 'float16 copy of a float32 checkpoint' });
  for (const name of ['config.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.json']) {
    if (existsSync(join(source, name))) copyFileSync(join(source, name), join(out, name));
  }
  console.log(`${out}: ${tensors.size} tensors as F16`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
