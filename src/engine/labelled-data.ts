/**
 * Labelled text files for training classifier heads: JSONL (`{"text": "...", "label": "..."}`
 * per line) or CSV with a header naming `text` and `label` columns (RFC 4180: quoted fields,
 * `""` for a quote, commas and newlines inside quotes, CRLF or LF). A broken line is skipped
 * with a warning that names its line number; only a file with no usable example, or with fewer
 * than two classes, is an error.
 *
 * Example:
 *   const data = await readLabelledData('reviews.csv');
 *   // data.examples[0] = { text: 'Great film', label: 'positive', line: 2 }; data.labels = ['negative', 'positive']
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

export type LabelledDataFormat = 'jsonl' | 'csv';

export interface LabelledExample {
  text: string;
  label: string;
  /** 1-based line where the example starts in the file. */
  line: number;
}

export interface LabelledData {
  format: LabelledDataFormat;
  examples: LabelledExample[];
  /** The distinct labels, sorted (the order of a head's outputs). */
  labels: string[];
  /** Examples per label, in `labels` order. */
  counts: number[];
  /** One line per skipped record ("line 7: ..."), in file order. */
  warnings: string[];
}

/** A file that cannot be used at all (unreadable, no examples, one class). */
export class LabelledDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelledDataError';
  }
}

/**
 * Reads and parses a labelled file. The format comes from `format`, else the extension
 * (`.jsonl`/`.ndjson`/`.json` → JSONL, `.csv` → CSV), else the first non-blank character
 * (`{` → JSONL, anything else → CSV).
 */
export async function readLabelledData(path: string, format?: LabelledDataFormat): Promise<LabelledData> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LabelledDataError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return parseLabelledData(content, format ?? guessFormat(path, content), path);
}

export function guessFormat(path: string, content: string): LabelledDataFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.jsonl' || extension === '.ndjson' || extension === '.json') return 'jsonl';
  if (extension === '.csv') return 'csv';
  return content.replace(/^\uFEFF/, '').trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/** Parses file content; `source` names the file in errors. */
export function parseLabelledData(content: string, format: LabelledDataFormat, source = 'the data'): LabelledData {
  const text = content.replace(/^\uFEFF/, '');
  const warnings: string[] = [];
  const examples = format === 'jsonl' ? parseJsonlExamples(text, warnings) : parseCsvExamples(text, warnings, source);
  if (examples.length === 0) {
    const why = warnings.length > 0 ? ` (${warnings.length} broken line${warnings.length === 1 ? '' : 's'}; first: ${warnings[0]})` : '';
    throw new LabelledDataError(`${source} has no usable examples${why}`);
  }
  const countByLabel = new Map<string, number>();
  for (const example of examples) countByLabel.set(example.label, (countByLabel.get(example.label) ?? 0) + 1);
  const labels = [...countByLabel.keys()].sort();
  if (labels.length < 2) {
    throw new LabelledDataError(
      `${source} has only one class ("${labels[0]}", ${examples.length} examples): a classifier needs examples of at least two labels`,
    );
  }
  return { format, examples, labels, counts: labels.map((label) => countByLabel.get(label)!), warnings };
}

function parseJsonlExamples(content: string, warnings: string[]): LabelledExample[] {
  const examples: LabelledExample[] = [];
  content.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const where = `line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      warnings.push(`${where}: not valid JSON`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      warnings.push(`${where}: expected an object {"text": ..., "label": ...}`);
      return;
    }
    const record = value as Record<string, unknown>;
    const problem = checkExample(record.text, record.label);
    if (typeof problem === 'string') warnings.push(`${where}: ${problem}`);
    else examples.push({ ...problem, line: index + 1 });
  });
  return examples;
}

function parseCsvExamples(content: string, warnings: string[], source: string): LabelledExample[] {
  const records = parseCsv(content);
  const header = records.find((record) => !isBlankRecord(record));
  if (!header || header.error) {
    throw new LabelledDataError(`${source}: the CSV needs a header line naming the columns "text" and "label"${header?.error ? ` (line ${header.line}: ${header.error})` : ''}`);
  }
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const textColumn = names.indexOf('text');
  const labelColumn = names.indexOf('label');
  if (textColumn < 0 || labelColumn < 0) {
    throw new LabelledDataError(
      `${source}: the CSV header (line ${header.line}) must name the columns "text" and "label", found ${header.fields.map((f) => JSON.stringify(f)).join(', ')}`,
    );
  }
  const examples: LabelledExample[] = [];
  for (const record of records) {
    if (record === header || isBlankRecord(record)) continue;
    const where = `line ${record.line}`;
    if (record.error) {
      warnings.push(`${where}: ${record.error}`);
      continue;
    }
    if (record.fields.length !== header.fields.length) {
      warnings.push(`${where}: ${record.fields.length} fields, the header has ${header.fields.length}`);
      continue;
    }
    const problem = checkExample(record.fields[textColumn], record.fields[labelColumn].trim());
    if (typeof problem === 'string') warnings.push(`${where}: ${problem}`);
    else examples.push({ ...problem, line: record.line });
  }
  return examples;
}

function checkExample(text: unknown, label: unknown): { text: string; label: string } | string {
  if (typeof text !== 'string') return 'missing "text" (a string)';
  if (text.trim() === '') return 'the text is empty';
  if (typeof label === 'number' && Number.isFinite(label)) label = String(label);
  if (typeof label !== 'string') return 'missing "label" (a string or a number)';
  if (label.trim() === '') return 'the label is empty';
  return { text, label };
}

function isBlankRecord(record: CsvRecord): boolean {
  return !record.error && record.fields.length === 1 && record.fields[0].trim() === '';
}

/** One CSV record: its fields, the line it starts on, or why it is broken. */
export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
  /** Set when the record is malformed; `fields` is then empty. */
  error?: string;
}

/**
 * RFC 4180 CSV: records end at CRLF or LF outside quotes; a field is either unquoted (no `"`)
 * or wholly quoted, with `""` for a literal quote. A malformed record (a quote inside an
 * unquoted field, text after a closing quote) is returned with `error` and parsing resumes at
 * the next line; an unterminated quote breaks everything up to the end of the file.
 */
export function parseCsv(content: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let at = 0;
  let line = 1;
  const length = content.length;
  while (at < length) {
    const startLine = line;
    const fields: string[] = [];
    let error: string | undefined;
    // One record: fields separated by commas, up to an unquoted line end.
    for (;;) {
      let field = '';
      if (content[at] === '"') {
        const openedLine = line;
        at++;
        let closed = false;
        while (at < length) {
          const c = content[at];
          if (c === '"') {
            if (content[at + 1] === '"') {
              field += '"';
              at += 2;
              continue;
            }
            at++;
            closed = true;
            break;
          }
          if (c === '\n') line++;
          field += c;
          at++;
        }
        if (!closed) {
          error = `a quoted field opened on line ${openedLine} is never closed`;
          break;
        }
        if (at < length && content[at] !== ',' && content[at] !== '\n' && !(content[at] === '\r' && content[at + 1] === '\n')) {
          error = 'text after a closing quote (write "" for a quote inside a quoted field)';
          break;
        }
      } else {
        while (at < length && content[at] !== ',' && content[at] !== '\n' && !(content[at] === '\r' && content[at + 1] === '\n')) {
          if (content[at] === '"') {
            error = 'a quote inside an unquoted field (quote the whole field and write "" for the quote)';
            break;
          }
          field += content[at];
          at++;
        }
        if (error) break;
      }
      fields.push(field);
      if (content[at] === ',') {
        at++;
        continue;
      }
      // End of record (line end or end of file).
      if (content[at] === '\r') at++;
      if (content[at] === '\n') {
        at++;
        line++;
      }
      break;
    }
    if (error) {
      records.push({ fields: [], line: startLine, error });
      // Resume after the end of the current physical line.
      const next = content.indexOf('\n', at);
      at = next < 0 ? length : next + 1;
      if (next >= 0) line++;
      continue;
    }
    records.push({ fields, line: startLine });
  }
  return records;
}

/**
 * How many cross-validation folds the data allows: `requested`, lowered to the size of the
 * smallest class (stratified folds need one example of each class per fold), with a warning;
 * 0 (no cross-validation) when a class has a single example.
 */
export function foldsForData(data: Pick<LabelledData, 'labels' | 'counts'>, requested: number): { folds: number; warning?: string } {
  if (requested === 0) return { folds: 0 };
  const smallest = Math.min(...data.counts);
  const smallestLabel = data.labels[data.counts.indexOf(smallest)];
  if (smallest >= requested) return { folds: requested };
  if (smallest < 2) {
    return {
      folds: 0,
      warning: `the class "${smallestLabel}" has only one example: no cross-validation, the head is trained on all the data without an accuracy estimate`,
    };
  }
  return {
    folds: smallest,
    warning: `the class "${smallestLabel}" has only ${smallest} examples, fewer than ${requested} folds: using ${smallest} folds`,
  };
}
