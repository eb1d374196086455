/**
 * The command table: each command is a small factory `(ctx) => handler` (see commands/*.ts).
 * A command that cannot run (no selection, server down, bad input) says why and changes
 * nothing. Every handler accepts optional arguments that replace its pickers and input boxes
 * (documented on each `...Args` type), which tests and other extensions use.
 */
import * as vscode from 'vscode';
import { analyzeDocument, openPanel } from './commands/panel';
import { checkCoherence, compareSentencePair } from './commands/coherence';
import { classifySelection, trainClassifier } from './commands/classify';
import { ignoreWord } from './commands/ignore-word';
import { importModel, selectModel } from './commands/model';
import { predictMaskedWords } from './commands/predict';
import { suggestReplacements } from './commands/replacements';
import { openExample, restartServer, showLog } from './commands/server';
import type { CommandFactory } from './commands/types';
import type { Ctx } from './context';

export { MASK, type PredictArgs } from './commands/predict';

export const COMMANDS: Readonly<Record<string, CommandFactory>> = Object.freeze({
  'bertLens.predictMaskedWords': predictMaskedWords,
  'bertLens.suggestReplacements': suggestReplacements,
  'bertLens.checkCoherence': checkCoherence,
  'bertLens.compareSentencePair': compareSentencePair,
  'bertLens.classifySelection': classifySelection,
  'bertLens.trainClassifier': trainClassifier,
  // The Explorer's "Train Classifier from This File": the same handler, given the file's Uri.
  'bertLens.trainClassifierFromThisFile': trainClassifier,
  'bertLens.analyzeDocument': analyzeDocument,
  'bertLens.openPanel': openPanel,
  'bertLens.selectModel': selectModel,
  'bertLens.importModel': importModel,
  'bertLens.showLog': showLog,
  'bertLens.restartServer': restartServer,
  'bertLens.openExample': openExample,
  // The "Ignore …" quick fix of unlikely-word diagnostics (protocol IGNORE_WORD_COMMAND).
  'bertLens.ignoreWord': ignoreWord,
});

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([name, factory]) => vscode.commands.registerCommand(name, factory(ctx)));
}
