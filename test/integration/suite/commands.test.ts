// The analysis commands run from code, their pickers replaced by arguments (each command's
// `...Args` type in src/extension/commands/): replacements applied as one undoable edit,
// coherence, sentence pairs, training a head on examples/reviews.jsonl and classifying with it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { EXTENSION_ID, closeAllEditors, readyApi, showDocument, workspaceFile } from './bert-lens';

interface ReplacementOutcome {
  result: { original: { text: string; probability: number; rank: number }; candidates: Array<{ text: string; probability: number }>; range: [number, number] };
  applied?: string;
}
interface CoherenceResult {
  sentences: Array<{ text: string; range: [number, number] }>;
  boundaries: Array<{ from: number; to: number; isNext: number }>;
  summary: { count: number; mean: number | null; min: number | null };
}
interface TrainResult {
  headPath: string;
  labels: string[];
  examples: number;
  accuracy?: number;
}
interface ClassifyResult {
  labels: Array<{ label: string; score: number }>;
  head: string;
}

const HEAD_NAME = 'integration-reviews';

function assertProbability(value: unknown, what: string): void {
  assert.ok(typeof value === 'number' && value >= 0 && value <= 1, `${what} = ${value} is not a probability`);
}

suite('analysis commands', () => {
  suiteSetup(async () => {
    await readyApi();
  });
  teardown(closeAllEditors);
  suiteTeardown(() => {
    const heads = path.join(workspaceFile('').fsPath, '.bert-lens');
    fs.rmSync(path.join(heads, 'heads', `${HEAD_NAME}.json`), { force: true });
    for (const dir of [path.join(heads, 'heads'), heads]) {
      if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
    }
  });

  test('every contributed command is registered', async () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: Array<{ command: string; category?: string }> } };
    const registered = await vscode.commands.getCommands(true);
    assert.ok(manifest.contributes.commands.length >= 13, 'the manifest lost commands');
    for (const { command, category } of manifest.contributes.commands) {
      assert.ok(registered.includes(command), `${command} is contributed but not registered`);
      assert.strictEqual(category, 'BERT Lens', `${command} is not in the BERT Lens category`);
    }
  });

  test('Suggest Replacements applies the picked word as one undoable edit', async () => {
    const content = 'The cat sat on the mat and looked out of the window .';
    // A file of its own: an untitled document would reuse the name Untitled-1 of one closed a
    // moment ago (the 1 MB one of bad-input.test.ts), which the extension host may still hold.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-replace-')), 'cat.txt');
    fs.writeFileSync(file, content);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const editor = await showDocument(doc);
    const start = content.indexOf('mat');
    const outcome = await vscode.commands.executeCommand<ReplacementOutcome>('bertLens.suggestReplacements', {
      uri: doc.uri,
      range: [start, start + 3],
      pick: 0,
    });
    assert.ok(outcome, 'no result');
    const { result, applied } = outcome;
    assert.strictEqual(result.original.text, 'mat');
    assertProbability(result.original.probability, 'original probability');
    assert.ok(Number.isInteger(result.original.rank) && result.original.rank >= 1, `rank ${result.original.rank}`);
    assert.ok(result.candidates.length > 0, 'no candidates');
    for (const [i, c] of result.candidates.entries()) {
      assertProbability(c.probability, `candidates[${i}]`);
      assert.notStrictEqual(c.text.toLowerCase(), 'mat', 'the original is offered as its own replacement');
      if (i > 0) assert.ok(result.candidates[i - 1].probability >= c.probability, 'candidates not sorted');
    }
    assert.strictEqual(applied, result.candidates[0].text);
    const expected = content.slice(0, result.range[0]) + applied + content.slice(result.range[1]);
    assert.strictEqual(doc.getText(), expected);
    // One undo restores the original: the replacement was a single edit.
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), content, 'one undo did not restore the original');
  });

  test('Suggest Replacements with a selection and no pick changes nothing without a choice', async () => {
    const content = 'She opened the door and walked into the room .';
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content });
    const start = content.indexOf('walked');
    const editor = await showDocument(doc, new vscode.Selection(doc.positionAt(start), doc.positionAt(start + 'walked'.length)));
    // `pick` names a word that is not offered: nothing is applied.
    const outcome = await vscode.commands.executeCommand<ReplacementOutcome>('bertLens.suggestReplacements', { pick: 'no-such-word-xyz' });
    assert.ok(outcome, 'no result');
    assert.strictEqual(outcome.result.original.text, 'walked');
    assert.strictEqual(outcome.applied, undefined);
    assert.strictEqual(doc.getText(), content);
  });

  test('Check Coherence scores every boundary of the essay', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceFile('essay.md'));
    await showDocument(doc);
    const result = await vscode.commands.executeCommand<CoherenceResult>('bertLens.checkCoherence');
    assert.ok(result, 'no result');
    assert.ok(result.sentences.length >= 10, `only ${result.sentences.length} sentences`);
    // Across paragraphs: every consecutive pair of sentences is scored.
    assert.strictEqual(result.boundaries.length, result.sentences.length - 1);
    for (const b of result.boundaries) {
      assert.strictEqual(b.to, b.from + 1);
      assertProbability(b.isNext, `boundary ${b.from}→${b.to}`);
    }
    const min = Math.min(...result.boundaries.map((b) => b.isNext));
    assert.ok(Math.abs((result.summary.min ?? NaN) - min) < 1e-9, 'summary.min is not the lowest boundary');
    // Ranges point into the document.
    const text = doc.getText();
    for (const s of result.sentences) assert.ok(text.slice(s.range[0], s.range[1]).length > 0);
  });

  test('Check Coherence highlights the sentences after weak boundaries (bertLens.diagnostics.weakTransitionThreshold)', async () => {
    const config = vscode.workspace.getConfiguration('bertLens');
    const doc = await vscode.workspace.openTextDocument(workspaceFile('essay.md'));
    await showDocument(doc);
    type Outcome = CoherenceResult & { highlighted: vscode.Range[] };
    try {
      for (const threshold of [0, 1]) {
        await config.update('diagnostics.weakTransitionThreshold', threshold, vscode.ConfigurationTarget.Global);
        const result = await vscode.commands.executeCommand<Outcome>('bertLens.checkCoherence');
        assert.ok(result, 'no result');
        const weak = result.boundaries.filter((b) => b.isNext < threshold);
        assert.strictEqual(result.highlighted.length, weak.length, `threshold ${threshold}`);
        weak.forEach((b, i) => {
          const sentence = result.sentences[b.to];
          assert.strictEqual(doc.offsetAt(result.highlighted[i].start), sentence.range[0], 'highlight does not start at the sentence');
        });
      }
    } finally {
      await config.update('diagnostics.weakTransitionThreshold', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('Check Coherence on a selection reads only the selection', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceFile('essay.md'));
    const text = doc.getText();
    const paragraph = 'Trees also help when it rains.';
    const start = text.indexOf(paragraph);
    const end = text.indexOf('\n', start);
    const editor = await showDocument(doc, new vscode.Selection(doc.positionAt(start), doc.positionAt(end)));
    const result = await vscode.commands.executeCommand<CoherenceResult>('bertLens.checkCoherence');
    assert.ok(result);
    assert.strictEqual(result.sentences.length, 3, result.sentences.map((s) => s.text).join(' | '));
  });

  test('Compare Sentence Pair: arguments and the selection give the same probability', async () => {
    const a = 'Trees cool the air in summer.';
    const b = 'Their leaves shade the pavement.';
    const direct = await vscode.commands.executeCommand<{ isNext: number; truncated: boolean }>('bertLens.compareSentencePair', { a, b });
    assert.ok(direct, 'no result');
    assertProbability(direct.isNext, 'isNext');
    assert.strictEqual(direct.truncated, false);

    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: `${a} ${b}` });
    const editor = await showDocument(doc, new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length)));
    const fromSelection = await vscode.commands.executeCommand<{ isNext: number }>('bertLens.compareSentencePair');
    assert.ok(fromSelection, 'no result from the selection');
    assert.ok(Math.abs(fromSelection.isNext - direct.isNext) < 1e-6, `${fromSelection.isNext} vs ${direct.isNext}`);
  });

  test('Train Classifier from File trains a head on examples/reviews.jsonl', async () => {
    const file = workspaceFile('reviews.jsonl');
    const result = await vscode.commands.executeCommand<TrainResult>('bertLens.trainClassifierFromThisFile', {
      file,
      name: HEAD_NAME,
      overwrite: true,
      folds: 5,
    });
    assert.ok(result, 'no training result');
    assert.deepStrictEqual([...result.labels].sort(), ['negative', 'positive']);
    assert.strictEqual(result.examples, fs.readFileSync(file.fsPath, 'utf8').trim().split('\n').length);
    assert.ok(fs.existsSync(result.headPath), `head file ${result.headPath} missing`);
    assert.ok(result.headPath.includes(path.join('.bert-lens', 'heads')), result.headPath);
    if (result.accuracy !== undefined) assertProbability(result.accuracy, 'accuracy');
  });

  test('Classify Selection with the trained head gives its labels as probabilities', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'The battery died after a day and the screen cracked.' });
    const editor = await showDocument(doc, new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length)));
    const result = await vscode.commands.executeCommand<ClassifyResult>('bertLens.classifySelection', { head: HEAD_NAME });
    assert.ok(result, 'no classification (did the training test run?)');
    assert.strictEqual(result.head, HEAD_NAME);
    assert.deepStrictEqual(result.labels.map((l) => l.label).sort(), ['negative', 'positive']);
    const total = result.labels.reduce((sum, l) => sum + l.score, 0);
    assert.ok(Math.abs(total - 1) < 1e-4, `scores add up to ${total}`);
    assert.ok(result.labels[0].score >= result.labels[1].score, 'labels not sorted');
  });

  test('a command without the text it needs warns and returns nothing', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'nothing selected here' });
    await showDocument(doc);
    assert.strictEqual(await vscode.commands.executeCommand('bertLens.classifySelection', { head: HEAD_NAME }), undefined);
    assert.strictEqual(await vscode.commands.executeCommand('bertLens.suggestReplacements', { pick: 0 }), undefined);
    assert.strictEqual(doc.getText(), 'nothing selected here');
  });

  test('Import Model refuses an invalid Hub id without restarting the server', async () => {
    const api = await readyApi();
    const pid = api.serverPid();
    assert.strictEqual(await vscode.commands.executeCommand('bertLens.importModel', { id: 'not a hub id/with spaces@' }), undefined);
    assert.strictEqual(api.serverPid(), pid);
  });
});
