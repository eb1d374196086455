/**
 * What every part of the server shares: the connection, open documents, settings, the model
 * host and its queue, and per-version facts about documents (Markdown code ranges). Created
 * once by server.ts; the model host arrives with `initialize`.
 */
import { ResponseError, type Connection, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { BertModel } from '../engine';
import { ErrorCodes, type BertLensSettings } from '../protocol';
import type { ModelHost } from './model-host';
import { ModelQueue } from './queue';
import type { SettingsStore } from './settings';
import { markdownCodeRanges } from './text-regions';

export class ServerContext {
  host: ModelHost | undefined;
  settings!: SettingsStore;
  packageRoot: string;
  readonly queue: ModelQueue;
  private readonly codeRanges = new Map<string, { version: number; ranges: Array<[number, number]> }>();

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

  /** True when BERT Lens works on this document's language. */
  covers(document: TextDocument, settings: BertLensSettings): boolean {
    return settings.languages.includes(document.languageId);
  }

  /** Code ranges (Markdown only; none for other languages), computed once per document version. */
  codeRangesOf(document: TextDocument): Array<[number, number]> {
    if (document.languageId !== 'markdown') return [];
    const cached = this.codeRanges.get(document.uri);
    if (cached?.version === document.version) return cached.ranges;
    const ranges = markdownCodeRanges(document.getText());
    this.codeRanges.set(document.uri, { version: document.version, ranges });
    return ranges;
  }

  forget(uri: string): void {
    this.codeRanges.delete(uri);
    this.settings.forget(uri);
  }

  /** True when the open document `uri` is no longer at `version`. */
  isOutdated(uri: string, version: number): boolean {
    return this.documents.get(uri)?.version !== version;
  }
}
