/**
 * What every part of the server shares: the connection, open documents, settings, the model
 * host and its queue, which documents it covers (prose languages, or only the comments of code
 * files), and per-version facts about documents (Markdown code ranges, comment views). Created
 * once by server.ts; the model host arrives with `initialize`.
 */
import { ResponseError, type Connection, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { BertModel } from '../engine';
import { ErrorCodes, type BertLensSettings } from '../protocol';
import { commentView, findComments, hasCommentSyntax } from './comment-ranges';
import type { ModelHost } from './model-host';
import { ModelQueue } from './queue';
import type { SettingsStore } from './settings';
import { markdownCodeRanges } from './text-regions';

interface Regions {
  version: number;
  languageId: string;
  /** Markdown code ranges. */
  code: Array<[number, number]>;
  /** A code file's comment view. */
  commentText?: string;
}

export class ServerContext {
  host: ModelHost | undefined;
  settings!: SettingsStore;
  packageRoot: string;
  /** The client's command that ignores a word in diagnostics (InitializationOptions), if any. */
  ignoreWordCommand: string | undefined;
  readonly queue: ModelQueue;
  private readonly regions = new Map<string, Regions>();

  constructor(
    readonly connection: Connection,
    readonly documents: TextDocuments<TextDocument>,
    defaultPackageRoot: string,
  ) {
    this.packageRoot = defaultPackageRoot;
    this.queue = new ModelQueue(
      () => this.model(),
      (ms) => this.host?.recordLatency(ms),
    );
  }

  log(message: string): void {
    this.connection.console.log(message);
  }

  /** The loaded model, or a ModelUnavailable error that says why not. */
  async model(): Promise<BertModel> {
    if (!this.host) throw new ResponseError(ErrorCodes.ModelUnavailable, 'The server is not initialised');
    try {
      return await this.host.model();
    } catch (error) {
      throw new ResponseError(ErrorCodes.ModelUnavailable, `Model unavailable: ${(error as Error).message}`);
    }
  }

  /**
   * How BERT Lens reads this document: all of it (`prose`: a language of `bertLens.languages`),
   * only its comments (`comments`: a code language it knows, with `bertLens.comments.enabled`),
   * or not at all (undefined).
   */
  coverage(document: TextDocument, settings: BertLensSettings): 'prose' | 'comments' | undefined {
    if (settings.languages.includes(document.languageId)) return 'prose';
    if (settings.comments?.enabled && hasCommentSyntax(document.languageId)) return 'comments';
    return undefined;
  }

  /** True when BERT Lens works on this document (its text or its comments). */
  covers(document: TextDocument, settings: BertLensSettings): boolean {
    return this.coverage(document, settings) !== undefined;
  }

  /**
   * The text the model reads, at the document's offsets: the document's text, or in `comments`
   * coverage its comment view (everything but comment text blanked; see comment-ranges.ts).
   */
  textOf(document: TextDocument, settings: BertLensSettings): string {
    return this.coverage(document, settings) === 'comments' ? this.regionsOf(document).commentText! : document.getText();
  }

  /** Code ranges (Markdown only; none for other languages), computed once per document version. */
  codeRangesOf(document: TextDocument): Array<[number, number]> {
    return document.languageId === 'markdown' ? this.regionsOf(document).code : [];
  }

  /** Markdown code ranges, or a code file's comment view, once per document version. */
  private regionsOf(document: TextDocument): Regions {
    const cached = this.regions.get(document.uri);
    if (cached?.version === document.version && cached.languageId === document.languageId) return cached;
    const text = document.getText();
    const regions: Regions = { version: document.version, languageId: document.languageId, code: [] };
    if (document.languageId === 'markdown') regions.code = markdownCodeRanges(text);
    else regions.commentText = commentView(text, findComments(text, document.languageId));
    this.regions.set(document.uri, regions);
    return regions;
  }

  forget(uri: string): void {
    this.regions.delete(uri);
    this.settings.forget(uri);
  }

  /** True when the open document `uri` is no longer at `version`. */
  isOutdated(uri: string, version: number): boolean {
    return this.documents.get(uri)?.version !== version;
  }
}
