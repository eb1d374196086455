// The LSP features against the real server process over stdio: hover over any word (its
// alternatives, own probability and rank), opt-in diagnostics (published after didOpen, capped,
// updated after didChange, cleared when disabled), quick fixes and "Replace with…" edits that
// replace exactly the word, a burst of edits and hovers where only the latest version is
// answered, and a 10 MB document that crashes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CodeActionRequest,
  CodeActionTriggerKind,
  DidChangeConfigurationNotification,
  DidCloseTextDocumentNotification,
  HoverRequest,
  LSPErrorCodes,
  ResponseError,
  type CodeAction,
  type Diagnostic,
} from 'vscode-languageserver-protocol/node';
import { StatusRequest, WordProbabilitiesRequest, type UnlikelyWordData } from '../../src/protocol';
import { startTestServer, type TestServer } from './server-harness';

let server: TestServer;
const DIAGNOSTICS = {
  enabled: true,
  unlikelyWordThreshold: 0.5,
  weakTransitionThreshold: 0.999,
  maxPerFile: 7,
  debounceMs: 50,
  maxFileSize: 200_000,
};

before(async () => {
  server = await startTestServer({ topK: 4, diagnostics: { enabled: false } });
  await server.ready;
});

after(async () => {
  await server.stop();
});

const hoverText = (hover: unknown) => (hover as { contents: { value: string } }).contents.value;

test('hover over a word: its alternatives with probabilities, its own probability and rank, the word as range', async () => {
  const uri = 'file:///tmp/hover-word.md';
  await server.open(uri, '# Notes\n\nThe cat sat on the mat today.\n\n```\ncode cat here\n```\n');
  const started = performance.now();
  const hover = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 2, character: 5 } });
  const latency = performance.now() - started;
  assert.ok(hover, 'a hover over "cat"');
  const value = hoverText(hover);
  assert.match(value, /`cat`: [\d.]+%, rank [\d,]+/);
  assert.equal(value.match(/^\| \d \| `[^`]+` \| [\d.]+% \|$/gm)?.length, 4, value);
  assert.deepEqual(hover!.range, { start: { line: 2, character: 4 }, end: { line: 2, character: 7 } });
  console.log(`hover latency on the fixture (first word hover, over stdio): ${latency.toFixed(1)} ms`);

  const inCode = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 5, character: 6 } });
  assert.equal(inCode, null, 'no hover inside a Markdown code block');
  const onSpace = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 0 } });
  assert.equal(onSpace, null);
  const other = 'file:///tmp/hover.ts';
  await server.open(other, 'const cat = 1;', 'typescript');
  assert.equal(await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri: other }, position: { line: 0, character: 7 } }), null, 'not a configured language');

  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 2, character: 9 + (i % 3) } });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`hover latency on the fixture, median of 10: ${times[5].toFixed(1)} ms`);
});

test('diagnostics: published after didOpen when enabled, capped, updated after didChange, cleared when disabled', async () => {
  const c = server.connection;
  await c.sendNotification(DidChangeConfigurationNotification.type, { settings: { bertLens: { diagnostics: DIAGNOSTICS } } });
  const uri = 'file:///tmp/diagnostics.md';
  const paragraph = 'The cat sat on the mat. The dog ran in the park. Birds sing in the morning.';
  const mark = server.published.length;
  await server.open(uri, `${paragraph}\n\n${paragraph}\n`);
  const first = await server.diagnostics(uri, (p) => p.diagnostics.length > 0, mark);
  assert.equal(first.version, 1);
  assert.equal(first.diagnostics.length, 7, 'capped at maxPerFile');
  const codes = new Set(first.diagnostics.map((d) => d.code));
  assert.ok(codes.has('unlikely-word'), [...codes].join(','));
  for (const d of first.diagnostics) assert.equal(d.source, 'BERT Lens');
  const word = first.diagnostics.find((d) => d.code === 'unlikely-word')!;
  const data = word.data as UnlikelyWordData;
  assert.equal(data.alternatives.length, 3);
  assert.match(String(word.message), /is unlikely here \([\d.]+%/);

  // An edit: the new version's diagnostics replace the old ones.
  const changed = 'Completely different words appear now. Nothing else remains.';
  const mark2 = server.published.length;
  await server.replace(uri, 2, changed);
  const second = await server.diagnostics(uri, (p) => p.version === 2, mark2);
  for (const d of second.diagnostics) {
    assert.ok(d.range.start.line === 0 && d.range.end.character <= changed.length);
    if (d.code === 'unlikely-word') {
      const text = changed.slice(d.range.start.character, d.range.end.character);
      assert.equal((d.data as UnlikelyWordData).word, text);
    }
  }

  // Code actions for a diagnostic: one quick fix per alternative, each replacing exactly the word.
  const target = second.diagnostics.find((d) => d.code === 'unlikely-word')!;
  const actions = (await c.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: target.range,
    context: { diagnostics: [target], only: ['quickfix'] },
  })) as CodeAction[];
  const alternatives = (target.data as UnlikelyWordData).alternatives;
  assert.equal(actions.length, alternatives.length);
  actions.forEach((action, i) => {
    assert.equal(action.kind, 'quickfix');
    const edits = action.edit!.changes![uri];
    assert.equal(edits.length, 1);
    assert.deepEqual(edits[0].range, target.range);
    assert.equal(edits[0].newText, alternatives[i].text);
  });

  // Only weak transitions (no word is that unlikely): one per sentence pair of a paragraph, on the second sentence's first word.
  const mark4 = server.published.length;
  await c.sendNotification(DidChangeConfigurationNotification.type, {
    settings: { bertLens: { diagnostics: { ...DIAGNOSTICS, unlikelyWordThreshold: 1e-30 } } },
  });
  const weak = await server.diagnostics(uri, () => true, mark4);
  assert.deepEqual(
    weak.diagnostics.map((d) => [d.code, changed.slice(d.range.start.character, d.range.end.character), d.severity]),
    [['weak-transition', 'Nothing', 4]],
  );

  // Turned off: the diagnostics are cleared.
  const mark3 = server.published.length;
  await c.sendNotification(DidChangeConfigurationNotification.type, { settings: { bertLens: { diagnostics: { ...DIAGNOSTICS, enabled: false } } } });
  const cleared = await server.diagnostics(uri, () => true, mark3);
  assert.deepEqual(cleared.diagnostics, []);
  await c.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
});

test('ignoredWords: an "Ignore" fix for clients with the command; ignored words are not reported, in any case', async () => {
  const other = await startTestServer({ diagnostics: DIAGNOSTICS }, {}, { ignoreWordCommand: 'test.ignoreWord' });
  try {
    await other.ready;
    const uri = 'file:///tmp/ignored.md';
    await other.open(uri, 'The cat sat on the mat. The dog ran in the park. Birds sing in the morning.\n');
    const first = await other.diagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'unlikely-word'));
    const target = first.diagnostics.find((d) => d.code === 'unlikely-word')!;
    const word = (target.data as UnlikelyWordData).word;
    const actions = (await other.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: target.range,
      context: { diagnostics: [target], only: ['quickfix'] },
    })) as CodeAction[];
    const ignore = actions.at(-1)!;
    assert.equal(actions.length, (target.data as UnlikelyWordData).alternatives.length + 1);
    assert.equal(ignore.title, `Ignore "${word}" in BERT Lens diagnostics`);
    assert.equal(ignore.edit, undefined, 'ignoring a word does not edit the document');
    assert.deepEqual(ignore.command, { title: ignore.title, command: 'test.ignoreWord', arguments: [word, uri] });

    // Ctrl+. on the word: the quick fixes, then "Replace with…" rewrites, none making the same edit twice.
    const all = (await other.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: target.range,
      context: { diagnostics: [target], triggerKind: CodeActionTriggerKind.Invoked },
    })) as CodeAction[];
    const edits = all.filter((a) => a.edit).map((a) => JSON.stringify(a.edit!.changes![uri]));
    assert.equal(new Set(edits).size, edits.length, `an edit is offered twice: ${all.map((a) => a.title).join(' | ')}`);
    assert.ok(all.some((a) => a.kind === 'refactor.rewrite'), 'rewrites are still offered');

    // What the command does in VS Code: the word goes into the setting (here in upper case).
    const mark = other.published.length;
    await other.connection.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { bertLens: { diagnostics: { ...DIAGNOSTICS, ignoredWords: [word.toUpperCase(), 42, ''] } } },
    });
    const after = await other.diagnostics(uri, () => true, mark);
    const words = after.diagnostics.filter((d) => d.code === 'unlikely-word').map((d) => (d.data as UnlikelyWordData).word.toLowerCase());
    assert.ok(!words.includes(word.toLowerCase()), `"${word}" is still reported: ${words.join(', ')}`);
    assert.ok(after.diagnostics.length > 0, 'the other findings stay');
  } finally {
    await other.stop();
  }
});

test('"Replace with…" on the word at the cursor: rewrites replacing exactly that word', async () => {
  const uri = 'file:///tmp/replace.md';
  await server.open(uri, 'Hello there.\nThe quick fox jumps.\n');
  const actions = (await server.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: { start: { line: 1, character: 6 }, end: { line: 1, character: 6 } },
    context: { diagnostics: [], triggerKind: CodeActionTriggerKind.Invoked },
  })) as CodeAction[];
  assert.equal(actions.length, 4);
  for (const action of actions) {
    assert.equal(action.kind, 'refactor.rewrite');
    const [edit] = action.edit!.changes![uri];
    assert.deepEqual(edit.range, { start: { line: 1, character: 4 }, end: { line: 1, character: 9 } }, 'the word "quick"');
    assert.ok(action.title.startsWith(`Replace with "${edit.newText}" (`), action.title);
  }
  const automatic = await server.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: { start: { line: 1, character: 6 }, end: { line: 1, character: 6 } },
    context: { diagnostics: [], triggerKind: CodeActionTriggerKind.Automatic },
  });
  assert.deepEqual(automatic, [], 'no model run for the automatic light-bulb query');
});

test('a burst of 20 edits and hovers: only the latest version is answered, older ones are dropped', async () => {
  const uri = 'file:///tmp/burst.md';
  const textOf = (i: number) => `Version ${i} of this text has a cat in it.`;
  await server.open(uri, textOf(0), 'markdown', 1);
  // A long request first keeps the model busy while the burst arrives, as a slow model would.
  const busyText = Array.from({ length: 100 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
  const busy = server.connection.sendRequest(WordProbabilitiesRequest, { text: busyText });
  const hovers: Array<Promise<PromiseSettledResult<unknown>>> = [];
  for (let i = 1; i <= 20; i++) {
    await server.replace(uri, i + 1, textOf(i));
    const hover = server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: textOf(i).indexOf('cat') + 1 } });
    hovers.push(
      hover.then(
        (value): PromiseSettledResult<unknown> => ({ status: 'fulfilled', value }),
        (reason): PromiseSettledResult<unknown> => ({ status: 'rejected', reason }),
      ),
    );
  }
  const outcomes = await Promise.all(hovers);
  await busy;
  const last = outcomes.at(-1)!;
  assert.equal(last.status, 'fulfilled');
  assert.match(hoverText((last as PromiseFulfilledResult<unknown>).value), /`cat`/);
  const dropped = outcomes.slice(0, -1).filter((o) => o.status === 'rejected');
  for (const o of dropped) {
    const error = (o as PromiseRejectedResult).reason as ResponseError<void>;
    assert.ok([LSPErrorCodes.ContentModified, LSPErrorCodes.RequestCancelled].includes(error.code), `code ${error.code}: ${error.message}`);
  }
  assert.equal(dropped.length, 19, 'every older hover was dropped');
});

test('a 10 MB document: no crash, one information diagnostic instead of a scan, hovers still answer', async () => {
  const c = server.connection;
  await c.sendNotification(DidChangeConfigurationNotification.type, { settings: { bertLens: { diagnostics: DIAGNOSTICS } } });
  const uri = 'file:///tmp/huge.md';
  const line = 'The cat sat on the mat and looked at the birds outside the window.\n';
  const text = line.repeat(Math.ceil(10_000_000 / line.length));
  const mark = server.published.length;
  await server.open(uri, text);
  const published = await server.diagnostics(uri, () => true, mark);
  assert.equal(published.diagnostics.length, 1);
  const [info] = published.diagnostics as Diagnostic[];
  assert.equal(info.code, 'file-too-large');
  assert.equal(info.severity, 3);
  const hover = await c.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 100_000, character: 5 } });
  assert.match(hoverText(hover), /`cat`/);
  const status = await c.sendRequest(StatusRequest);
  assert.equal(status.state, 'ready');
  assert.equal(server.process.exitCode, null);
  await c.sendNotification(DidChangeConfigurationNotification.type, { settings: { bertLens: { diagnostics: { ...DIAGNOSTICS, enabled: false } } } });
});

test('diagnostics scan of a 2,000-word document through the server, then a one-sentence edit re-scans only that sentence', async () => {
  const c = server.connection;
  await c.sendNotification(DidChangeConfigurationNotification.type, { settings: { bertLens: { diagnostics: { ...DIAGNOSTICS, maxPerFile: 50 } } } });
  const subjects = ['The editor', 'A reader', 'Our model', 'This tool', 'The server', 'Each user', 'The panel', 'A student'];
  const verbs = ['shows', 'checks', 'reads', 'writes', 'scores', 'finds', 'keeps', 'opens'];
  const objects = ['every sentence', 'the long report', 'a short note', 'many words', 'the next line', 'its own file', 'a new idea', 'the old draft'];
  const tails = ['before lunch', 'with great care', 'in the morning', 'after the meeting', 'on a slow day', 'without any help'];
  const sentences: string[] = [];
  let words = 0;
  for (let i = 0; words < 2000; i++) {
    const sentence = `${subjects[i % 8]} ${verbs[(i >> 3) % 8]} ${objects[(i >> 6) % 8]} ${tails[i % 6]} number ${i}.`;
    sentences.push(sentence);
    words += sentence.split(' ').length;
  }
  const paragraphs: string[] = [];
  for (let i = 0; i < sentences.length; i += 5) paragraphs.push(sentences.slice(i, i + 5).join(' '));
  const text = paragraphs.join('\n\n');
  const uri = 'file:///tmp/readme-2000.md';
  const mark = server.published.length;
  const started = performance.now();
  await server.open(uri, text);
  const first = await server.diagnostics(uri, (p) => p.version === 1, mark, 300_000);
  const firstMs = performance.now() - started;
  assert.equal(first.diagnostics.length, 50);
  console.log(`diagnostics scan through the server: ${words} words in ${firstMs.toFixed(0)} ms = ${((words / firstMs) * 1000).toFixed(0)} words/s`);

  const edited = text.replace('number 7.', 'number seven.');
  const mark2 = server.published.length;
  const editStarted = performance.now();
  await server.replace(uri, 2, edited);
  await server.diagnostics(uri, (p) => p.version === 2, mark2, 300_000);
  const editMs = performance.now() - editStarted - DIAGNOSTICS.debounceMs;
  console.log(`re-scan after a one-sentence edit: ${editMs.toFixed(0)} ms (after the ${DIAGNOSTICS.debounceMs} ms debounce)`);
  assert.ok(editMs < firstMs / 3, `the re-scan took ${editMs.toFixed(0)} ms, the first scan ${firstMs.toFixed(0)} ms`);
  await c.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  await c.sendNotification(DidChangeConfigurationNotification.type, { settings: { bertLens: { diagnostics: { ...DIAGNOSTICS, enabled: false } } } });
});
