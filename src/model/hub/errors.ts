/**
 * The one error type of Hub downloads. `kind` tells callers (CLI, language server) what went
 * wrong without parsing messages; each message says what to do about it.
 */

export type HubErrorKind =
  /** 401 / 403: private or gated model, or a refused token. */
  | 'unauthorized'
  /** 404: model, revision or required file not found. */
  | 'not-found'
  /** Connection refused, DNS failure, reset, timeout, or a 5xx from the server. */
  | 'network'
  /** The cache folder's disk is full (ENOSPC). */
  | 'disk-full'
  /** Downloaded bytes do not match the size or hash the Hub announced. */
  | 'checksum'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** Invalid id, file name, server answer or option. */
  | 'invalid'
  /** Any other HTTP status, or a file-system failure in the cache. */
  | 'failed';

export class HubError extends Error {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // Aborts keep the conventional name so `error.name === 'AbortError'` checks work.
    this.name = kind === 'aborted' ? 'AbortError' : 'HubError';
    this.status = options?.status;
  }
  /** HTTP status when the error came from a response. */
  readonly status?: number;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

/** The `code` of a Node system error, if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for failures of the connection itself (as opposed to HTTP answers or disk errors). */
export function isNetworkFailure(error: unknown): boolean {
  if (error instanceof HubError) return error.kind === 'network';
  const code = errorCode(error);
  if (code !== undefined) return NETWORK_CODES.has(code);
  return error instanceof Error && /socket hang up|aborted/i.test(error.message) && error.name !== 'AbortError';
}

/** What an error message about an HTTP answer needs to know. */
export interface AnswerContext {
  /** `org/name`. */
  repo: string;
  revision: string;
  file: string;
  endpoint: string;
  tokenSent: boolean;
  /** How users give a token, e.g. "set the HF_TOKEN environment variable". */
  tokenHint: string;
}

/**
 * The HubError for a non-success HTTP status. The Hub's `X-Error-Code` header (RepoNotFound,
 * RevisionNotFound, EntryNotFound, GatedRepo) makes the message precise when present.
 */
export function errorForStatus(status: number, errorCodeHeader: string | undefined, ctx: AnswerContext): HubError {
  const where = `${ctx.repo}@${ctx.revision}`;
  const page = `${ctx.endpoint}/${ctx.repo}`;
  if (errorCodeHeader === 'GatedRepo') {
    return new HubError(
      'unauthorized',
      `Model ${ctx.repo} is gated (HTTP ${status}): accept its conditions at ${page} with your Hugging Face account, ` +
        `then ${ctx.tokenSent ? 'check that the token belongs to that account' : ctx.tokenHint}.`,
      { status },
    );
  }
  if (status === 401 || status === 403) {
    const what = ctx.tokenSent
      ? `the Hub refused the token (HTTP ${status}): check that it is valid and can read ${ctx.repo}`
      : `it is private or gated, or does not exist (HTTP ${status}, no token was sent): ${ctx.tokenHint}`;
    return new HubError('unauthorized', `Cannot download ${ctx.file} from ${where}: ${what}.`, { status });
  }
  if (status === 404) {
    if (errorCodeHeader === 'RevisionNotFound') {
      return new HubError('not-found', `Revision "${ctx.revision}" not found in model ${ctx.repo} at ${ctx.endpoint}.`, { status });
    }
    if (errorCodeHeader === 'EntryNotFound') {
      return new HubError('not-found', `File ${ctx.file} not found in model ${where} at ${ctx.endpoint}.`, { status });
    }
    return new HubError('not-found', `Model ${ctx.repo} not found at ${ctx.endpoint} (HTTP 404 for ${ctx.file}); check the id.`, {
      status,
    });
  }
  if (status >= 500) {
    return new HubError('network', `${ctx.endpoint} answered HTTP ${status} for ${where}/${ctx.file}; try again later.`, { status });
  }
  return new HubError('failed', `${ctx.endpoint} answered HTTP ${status} for ${where}/${ctx.file}.`, { status });
}
