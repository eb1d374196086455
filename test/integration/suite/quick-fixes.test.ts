// Diagnostics and quick fixes as the editor sees them: with bertLens.diagnostics.enabled, a
// clearly wrong word gets a BERT Lens diagnostic; vscode.executeCodeActionProvider offers quick
// fixes that replace exactly that word, as one undoable edit; "Replace with…" rewrites come when
// asked for; the "Ignore" fix stores the word in bertLens.diagnostics.ignoredWords; the severity,
// threshold, per-file and file-size settings apply; turning diagnostics off clears them.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { closeAllEditors, readyApi, showDocument, waitFor } from './bert-lens';

/** The bundled model gives "carpet" here a probability near 1e-6 (alternatives water, liquor, wine) and no other word below 0.1%. */
const SENTENCE = 'She drank a cup of hot carpet with milk and sugar every morning.';
const WRONG = 'carpet';

const config = () => vscode.workspace.getConfiguration('bertLens');
const setting = (key: string, value: unknown) => config().update(key, value, vscode.ConfigurationTarget.Global);

function bertLensDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'BERT Lens');
}

function codeOf(diagnostic: vscode.Diagnostic): string {
  const code = diagnostic.code;
  return String(typeof code === 'object' && code !== null ? code.value : code);
}

async function openSentence(): Promise<{ doc: vscode.TextDocument; diagnostic: vscode.Diagnostic }> {
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: `${SENTENCE}\n` });
  await showDocument(doc);
  const diagnostic = await waitFor(
    () => bertLensDiagnostics(doc.uri).find((d) => doc.getText(d.range) === WRONG),
    90_000,
    `a BERT Lens diagnostic on "${WRONG}"`,
  );
  return { doc, diagnostic };
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  return vscode.workspace.fs.stat(uri).then(
    () => true,
    () => false,
  );
}

async function codeActions(uri: vscode.Uri, range: vscode.Range, kind: string): Promise<vscode.CodeAction[]> {
  return (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, kind)) ?? [];
}

suite('diagnostics and quick fixes', () => {
  suiteSetup(async () => {
    await readyApi();
    await setting('diagnostics.enabled', true);
  });
  teardown(closeAllEditors);
  suiteTeardown(async () => {
    for (const key of ['enabled', 'severity', 'unlikelyWordThreshold', 'maxPerFile', 'maxFileSize']) await setting(`diagnostics.${key}`, undefined);
  });

  test('a wrong word gets a diagnostic; its quick fix replaces exactly the word; one undo restores the text', async () => {
    const { doc, diagnostic } = await openSentence();
    assert.strictEqual(codeOf(diagnostic), 'unlikely-word');
    assert.strictEqual(diagnostic.severity, vscode.DiagnosticSeverity.Information, 'the default severity is information');
    assert.strictEqual(bertLensDiagnostics(doc.uri).length, 1, `only "${WRONG}" should be flagged`);

    const fixes = (await codeActions(doc.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value)).filter((a) => a.title.startsWith(`Replace "${WRONG}" with`));
    assert.ok(fixes.length >= 1, 'no quick fix for the diagnostic');
    assert.strictEqual(fixes[0].isPreferred, true, 'the first alternative is the preferred fix');
    for (const fix of fixes) {
      const entries = fix.edit?.entries() ?? [];
      assert.strictEqual(entries.length, 1, `${fix.title}: one document`);
      const [uri, edits] = entries[0];
      assert.strictEqual(uri.toString(), doc.uri.toString());
      assert.strictEqual(edits.length, 1, `${fix.title}: one edit`);
      assert.ok(edits[0].range.isEqual(diagnostic.range), `${fix.title}: does not replace exactly "${WRONG}"`);
      assert.ok(fix.title.includes(`"${edits[0].newText}"`) && /\d%\)$/.test(fix.title), fix.title);
    }

    const replacement = fixes[0].edit!.entries()[0][1][0].newText;
    assert.ok(await vscode.workspace.applyEdit(fixes[0].edit!), 'the quick fix was not applied');
    assert.strictEqual(doc.getText(), `${SENTENCE.replace(WRONG, replacement)}\n`);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), `${SENTENCE}\n`, 'one undo did not restore the text');
  });

  test('the "Ignore" quick fix adds the word to bertLens.diagnostics.ignoredWords: the finding goes, the text stays', async () => {
    const { doc, diagnostic } = await openSentence();
    const ignore = (await codeActions(doc.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value)).find((a) => a.title === `Ignore "${WRONG}" in BERT Lens diagnostics`);
    assert.ok(ignore?.command, 'no "Ignore" quick fix');
    assert.strictEqual(ignore.edit, undefined, 'the Ignore fix must not edit the document');
    // The workspace settings file the command may create; removed again if it was not there.
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const settingsFolder = folder && vscode.Uri.joinPath(folder, '.vscode');
    const hadSettingsFolder = settingsFolder !== undefined && (await exists(settingsFolder));
    const target = await vscode.commands.executeCommand<vscode.ConfigurationTarget>(ignore.command.command, ...(ignore.command.arguments ?? []));
    const stored = () => {
      const inspected = config().inspect<string[]>('diagnostics.ignoredWords');
      return target === vscode.ConfigurationTarget.Global ? inspected?.globalValue : inspected?.workspaceValue;
    };
    try {
      assert.deepStrictEqual(stored(), [WRONG], `stored in the ${vscode.ConfigurationTarget[target]} settings`);
      await waitFor(() => !bertLensDiagnostics(doc.uri).some((d) => doc.getText(d.range) === WRONG), 60_000, `no diagnostic on "${WRONG}"`);
      assert.strictEqual(doc.getText(), `${SENTENCE}\n`);
      // Again: the word is not added twice.
      await vscode.commands.executeCommand(ignore.command.command, WRONG.toUpperCase(), doc.uri.toString());
      assert.deepStrictEqual(stored(), [WRONG]);
    } finally {
      await config().update('diagnostics.ignoredWords', undefined, target);
      if (settingsFolder && !hadSettingsFolder && (await exists(settingsFolder))) {
        await vscode.workspace.fs.delete(settingsFolder, { recursive: true, useTrash: false });
      }
    }
    await waitFor(() => bertLensDiagnostics(doc.uri).find((d) => doc.getText(d.range) === WRONG), 60_000, 'the finding back once the word is no longer ignored');
  });

  test('"Replace with…" rewrites are offered for the word at the cursor when asked for', async () => {
    const { doc } = await openSentence();
    const at = doc.positionAt(SENTENCE.indexOf('sugar') + 2);
    const rewrites = (await codeActions(doc.uri, new vscode.Range(at, at), vscode.CodeActionKind.RefactorRewrite.value)).filter((a) => a.title.startsWith('Replace with "'));
    assert.ok(rewrites.length >= 1, 'no "Replace with…" action');
    const sugar = new vscode.Range(doc.positionAt(SENTENCE.indexOf('sugar')), doc.positionAt(SENTENCE.indexOf('sugar') + 'sugar'.length));
    for (const action of rewrites) {
      const [[, edits]] = action.edit!.entries();
      assert.ok(edits[0].range.isEqual(sugar), `${action.title} does not replace the whole word`);
    }
  });

  test('bertLens.diagnostics.severity and unlikelyWordThreshold apply to open documents', async () => {
    const { doc } = await openSentence();
    try {
      await setting('diagnostics.severity', 'warning');
      await waitFor(() => bertLensDiagnostics(doc.uri).some((d) => d.severity === vscode.DiagnosticSeverity.Warning), 60_000, 'warning severity');
      await setting('diagnostics.unlikelyWordThreshold', 0);
      await waitFor(() => bertLensDiagnostics(doc.uri).length === 0, 60_000, 'no findings at threshold 0');
    } finally {
      await setting('diagnostics.severity', undefined);
      await setting('diagnostics.unlikelyWordThreshold', undefined);
    }
    await waitFor(() => bertLensDiagnostics(doc.uri).find((d) => d.severity === vscode.DiagnosticSeverity.Information), 60_000, 'the defaults back');
  });

  test('bertLens.diagnostics.maxPerFile and maxFileSize limit the findings', async () => {
    const { doc } = await openSentence();
    try {
      await setting('diagnostics.maxPerFile', 0);
      await waitFor(() => bertLensDiagnostics(doc.uri).length === 0, 60_000, 'no findings with maxPerFile 0');
      await setting('diagnostics.maxPerFile', undefined);
      await setting('diagnostics.maxFileSize', 10);
      const [note] = await waitFor(() => {
        const found = bertLensDiagnostics(doc.uri);
        return found.length === 1 && codeOf(found[0]) === 'file-too-large' && found;
      }, 60_000, 'one file-too-large note');
      assert.match(note.message, /10/);
    } finally {
      await setting('diagnostics.maxPerFile', undefined);
      await setting('diagnostics.maxFileSize', undefined);
    }
    await waitFor(() => bertLensDiagnostics(doc.uri).find((d) => doc.getText(d.range) === WRONG), 60_000, 'the finding back');
  });

  test('turning bertLens.diagnostics.enabled off clears the findings', async () => {
    const { doc } = await openSentence();
    try {
      await setting('diagnostics.enabled', false);
      await waitFor(() => bertLensDiagnostics(doc.uri).length === 0, 60_000, 'diagnostics cleared');
    } finally {
      await setting('diagnostics.enabled', true);
    }
  });
});
