/**
 * Labelled training files: the RFC 4180 CSV parser (quotes, commas and newlines in quotes,
 * CRLF), broken lines skipped with their line numbers, JSONL records, the one-class and
 * no-example errors, format guessing and fold reduction.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { foldsForData, guessFormat, LabelledDataError, parseCsv, parseLabelledData, readLabelledData } from '../../src/engine/labelled-data';

const work = mkdtempSync(join(tmpdir(), 'bert-lens-labelled-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('parseCsv', () => {
  test('quoted fields hold commas, doubled quotes and newlines; records keep their start line', () => {
    const csv = 'text,label\r\n"Hello, world",pos\r\n"She said ""no""",neg\n"two\nlines",pos\nplain,neg';
    const records = parseCsv(csv);
    assert.deepEqual(
      records.map((r) => [r.line, r.fields]),
      [
        [1, ['text', 'label']],
        [2, ['Hello, world', 'pos']],
        [3, ['She said "no"', 'neg']],
        [4, ['two\nlines', 'pos']],
        [6, ['plain', 'neg']],
      ],
    );
  });

  test('empty fields and a trailing newline', () => {
    assert.deepEqual(
      parseCsv('a,,c\n"",x,\n').map((r) => r.fields),
      [
        ['a', '', 'c'],
        ['', 'x', ''],
      ],
    );
  });

  test('a stray quote breaks only its own line', () => {
    const records = parseCsv('text,label\nbad "quote,pos\n"after" x,neg\ngood,pos\n');
    assert.equal(records.length, 4);
    assert.match(records[1].error!, /quote inside an unquoted field/);
    assert.equal(records[1].line, 2);
    assert.match(records[2].error!, /text after a closing quote/);
    assert.equal(records[2].line, 3);
    assert.deepEqual(records[3], { fields: ['good', 'pos'], line: 4 });
  });

  test('an unterminated quote is reported on the line it opens', () => {
    const records = parseCsv('text,label\nok,pos\n"never closed,neg\nmore,pos\n');
    assert.equal(records.length, 3);
    assert.equal(records[2].line, 3);
    assert.match(records[2].error!, /opened on line 3 is never closed/);
  });
});

describe('parseLabelledData', () => {
  test('CSV: columns found by header name in any order, extra columns ignored, labels sorted', () => {
    const data = parseLabelledData('id,label,text\n1,pos,"Great, really"\n2,neg,Awful\n3,pos,Fine\n', 'csv');
    assert.deepEqual(data.examples, [
      { text: 'Great, really', label: 'pos', line: 2 },
      { text: 'Awful', label: 'neg', line: 3 },
      { text: 'Fine', label: 'pos', line: 4 },
    ]);
    assert.deepEqual(data.labels, ['neg', 'pos']);
    assert.deepEqual(data.counts, [1, 2]);
    assert.deepEqual(data.warnings, []);
  });

  test('CSV: broken lines are skipped with warnings that name them', () => {
    const csv = '\uFEFFtext,label\nfine,a\nbad "one",b\nthree,fields,here\n,b\nempty label,\nok,b\n';
    const data = parseLabelledData(csv, 'csv');
    assert.deepEqual(
      data.examples.map((e) => e.line),
      [2, 7],
    );
    assert.deepEqual(
      data.warnings.map((w) => w.split(':')[0]),
      ['line 3', 'line 4', 'line 5', 'line 6'],
    );
    assert.match(data.warnings[1], /3 fields, the header has 2/);
    assert.match(data.warnings[2], /the text is empty/);
    assert.match(data.warnings[3], /the label is empty/);
  });

  test('CSV without text and label columns is an error', () => {
    assert.throws(() => parseLabelledData('sentence,class\na,b\n', 'csv', 'f.csv'), /f\.csv: the CSV header \(line 1\) must name the columns "text" and "label"/);
  });

  test('JSONL: broken lines skipped, numeric labels read as strings, blank lines ignored', () => {
    const jsonl = ['{"text": "good", "label": 1}', '', '{"text": "bad", "label": 0}', '{not json', '{"text": "x"}', '["text"]', '{"text": "meh", "label": "1"}'].join('\n');
    const data = parseLabelledData(jsonl, 'jsonl');
    assert.deepEqual(
      data.examples.map((e) => [e.line, e.text, e.label]),
      [
        [1, 'good', '1'],
        [3, 'bad', '0'],
        [7, 'meh', '1'],
      ],
    );
    assert.deepEqual(data.warnings, ['line 4: not valid JSON', 'line 5: missing "label" (a string or a number)', 'line 6: expected an object {"text": ..., "label": ...}']);
  });

  test('one class is a clear error', () => {
    assert.throws(
      () => parseLabelledData('{"text":"a","label":"x"}\n{"text":"b","label":"x"}\n', 'jsonl', 'one.jsonl'),
      (error: Error) => error instanceof LabelledDataError && /one\.jsonl has only one class \("x", 2 examples\)/.test(error.message),
    );
  });

  test('a file with no usable example says why', () => {
    assert.throws(() => parseLabelledData('{oops\n', 'jsonl', 'bad.jsonl'), /bad\.jsonl has no usable examples \(1 broken line; first: line 1: not valid JSON\)/);
  });
});

describe('reading files and choosing folds', () => {
  test('readLabelledData guesses the format from the extension, then the content', async () => {
    const csv = join(work, 'data.csv');
    writeFileSync(csv, 'text,label\na,x\nb,y\n');
    assert.equal((await readLabelledData(csv)).format, 'csv');
    const noExtension = join(work, 'data');
    writeFileSync(noExtension, '{"text":"a","label":"x"}\n{"text":"b","label":"y"}\n');
    assert.equal((await readLabelledData(noExtension)).format, 'jsonl');
    assert.equal(guessFormat('x.tsv', 'text,label'), 'csv');
    await assert.rejects(readLabelledData(join(work, 'missing.csv')), /cannot read .*missing\.csv: no such file/);
  });

  test('folds drop to the smallest class with a warning; a single example disables cross-validation', () => {
    assert.deepEqual(foldsForData({ labels: ['a', 'b'], counts: [50, 40] }, 10), { folds: 10 });
    const reduced = foldsForData({ labels: ['a', 'b'], counts: [50, 4] }, 10);
    assert.equal(reduced.folds, 4);
    assert.match(reduced.warning!, /"b" has only 4 examples, fewer than 10 folds: using 4 folds/);
    const none = foldsForData({ labels: ['a', 'b'], counts: [1, 9] }, 10);
    assert.equal(none.folds, 0);
    assert.match(none.warning!, /"a" has only one example/);
    assert.deepEqual(foldsForData({ labels: ['a', 'b'], counts: [1, 9] }, 0), { folds: 0 });
  });
});
