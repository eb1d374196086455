/**
 * Where a command's text comes from: explicit arguments (tests, other extensions), the active
 * editor's selection, or its whole document. Keeps offsets so results can be mapped back.
 */
import * as vscode from 'vscode';

/** A piece of a document (or free text) a command works on. */
export interface TextTarget {
  text: string;
  /** The document it came from, when it came from one. */
  document?: vscode.TextDocument;
  /** Offset of `text` in the document (0 for free text or a whole document). */
  offset: number;
  /** Document version when the text was read. */
  version?: number;
  /** The text format the server should split sentences by. */
  format: 'plain' | 'markdown';
}

export function formatOf(document: vscode.TextDocument | undefined): 'plain' | 'markdown' {
  return document?.languageId === 'markdown' ? 'markdown' : 'plain';
}

/** The active editor's non-empty selection, or undefined. */
export function selectionTarget(): TextTarget | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) return undefined;
  const { document, selection } = editor;
  return {
    text: document.getText(selection),
    document,
    offset: document.offsetAt(selection.start),
    version: document.version,
    format: formatOf(document),
  };
}

export function documentTarget(document: vscode.TextDocument): TextTarget {
  return { text: document.getText(), document, offset: 0, version: document.version, format: formatOf(document) };
}

/** The selection if there is one, else the active document, else undefined. */
export function selectionOrDocumentTarget(): TextTarget | undefined {
  const selection = selectionTarget();
  if (selection) return selection;
  const editor = vscode.window.activeTextEditor;
  return editor ? documentTarget(editor.document) : undefined;
}

/** Free text given as a command argument. */
export function textTarget(text: string, format: 'plain' | 'markdown' = 'plain'): TextTarget {
  return { text, offset: 0, format };
}

/** The range of `[start, end)` offsets of `target.text` in its document. */
export function documentRange(target: TextTarget, range: readonly [number, number]): vscode.Range | undefined {
  if (!target.document) return undefined;
  return new vscode.Range(target.document.positionAt(target.offset + range[0]), target.document.positionAt(target.offset + range[1]));
}

/** Absolute paths of the open workspace folders (where classifier heads live). */
export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/** Resolves a Uri or string argument to a document, opening it if needed. */
export async function documentFromArg(arg: unknown): Promise<vscode.TextDocument | undefined> {
  const uri = uriFromArg(arg);
  if (!uri) return vscode.window.activeTextEditor?.document;
  const matches = (doc: vscode.TextDocument) => !doc.isClosed && doc.uri.toString() === uri.toString();
  // Prefer what the user sees, the active editor first: untitled URIs (Untitled-1) are reused,
  // and a document closed a moment ago can linger, not yet marked closed, with the same URI.
  const active = vscode.window.activeTextEditor?.document;
  if (active && matches(active)) return active;
  const visible = vscode.window.visibleTextEditors.map((editor) => editor.document).find(matches);
  const open = visible ?? [...vscode.workspace.textDocuments].reverse().find(matches);
  return open ?? vscode.workspace.openTextDocument(uri);
}

/** A Uri, a Uri-like object (`{ scheme, path, ... }`), a URI string or a file path, as a Uri. */
export function uriFromArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg !== '') return /^[a-z][\w+.-]+:/i.test(arg) && !/^[a-z]:[\\/]/i.test(arg) ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  if (typeof arg === 'object' && arg !== null && typeof (arg as vscode.Uri).scheme === 'string' && typeof (arg as vscode.Uri).path === 'string') {
    return vscode.Uri.from(arg as vscode.Uri);
  }
  return undefined;
}
