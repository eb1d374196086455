/**
 * Hugging Face Hub ids (`org/name[@revision]`, or a bare legacy `name[@revision]` when the
 * caller says the text is a Hub id) and the names of files inside a Hub repository. In the
 * protocol because both sides read them: the client checks what the user types, the server's
 * downloader (src/model/hub) builds URLs and cache paths from them.
 * Everything that later becomes part of a URL or of a cache path is validated here, so no id,
 * revision or file name can climb out of the cache folder or smuggle in URL syntax.
 *
 * The rule for model specs (`--model`, `bertLens.model`, `import SOURCE`):
 *  - `hf:ID` is always a Hub id; ID may be `org/name` or a bare legacy name such as
 *    `hf:bert-base-uncased` (the Hub redirects those to their current organisation).
 *  - `org/name[@revision]` without the prefix is a Hub id only when it is not a bundled model
 *    name and no folder of that (relative) path exists — the caller checks those first.
 *  - A bare `name` without the prefix is never taken as a Hub id: it would be ambiguous with a
 *    bundled model or a folder in the current directory.
 */

/** A parsed, validated Hub model id. */
export interface HubId {
  /** Organisation or user; undefined for a bare legacy id such as `bert-base-uncased`. */
  readonly owner?: string;
  readonly name: string;
  /** Branch, tag or commit hash; `main` when the text gave none. */
  readonly revision: string;
  /** True when the text named a revision with `@`. */
  readonly explicitRevision: boolean;
}

/** Prefix that marks a model spec as a Hub id, which also allows bare legacy names. */
export const HUB_SPEC_PREFIX = 'hf:';
export const DEFAULT_REVISION = 'main';

export class HubIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubIdError';
  }
}

// The Hub's own rule for owner and repository names: letters, digits, `-`, `_`, `.`; no
// leading or trailing `-` / `.`, no `--` or `..`; at most 96 characters.
const NAME_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;
// Revisions: git branch / tag names (which may hold `/`, as in `refs/pr/1`) or commit hashes.
const REVISION_CHARS = /^[A-Za-z0-9_.\-/]{1,255}$/;
const COMMIT_HASH = /^[0-9a-f]{40}$/;
// One segment of a file path inside the repository; no hidden files, no `.` or `..`.
const FILE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$/;

function checkNamePart(part: string, what: string, text: string): void {
  if (!NAME_PART.test(part) || part.includes('--') || part.includes('..')) {
    throw new HubIdError(
      `Invalid Hub id "${text}": the ${what} "${part}" may only hold letters, digits, "-", "_" and "." ` +
        '(not at the start or end, no "--" or ".."), at most 96 characters.',
    );
  }
}

/** Throws unless `revision` is a safe branch, tag or commit name. */
export function validateRevision(revision: string): string {
  const bad =
    !REVISION_CHARS.test(revision) ||
    revision.includes('..') ||
    revision.includes('//') ||
    revision.startsWith('/') ||
    revision.endsWith('/') ||
    revision.startsWith('-') ||
    revision.endsWith('.lock') ||
    revision.split('/').some((segment) => segment === '.' || segment.startsWith('.'));
  if (bad) {
    throw new HubIdError(
      `Invalid revision "${revision}": use a branch, tag or commit hash made of letters, digits, "-", "_", "." and "/" ` +
        '(no "..", no leading "/" or ".").',
    );
  }
  return revision;
}

/** True for a full 40-character commit hash (immutable: a complete cached copy needs no network). */
export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

export interface ParseHubIdOptions {
  /** Accept a bare legacy name such as `bert-base-uncased` (the caller knows the text is a Hub id). */
  allowBareName?: boolean;
}

/**
 * Parses `org/name[@revision]`, or `name[@revision]` when `allowBareName`. A leading `hf:` is
 * accepted and allows a bare name. Throws HubIdError with the rule when the text is invalid.
 */
export function parseHubId(text: string, options: ParseHubIdOptions = {}): HubId {
  let rest = text.trim();
  let allowBare = options.allowBareName ?? false;
  if (rest.startsWith(HUB_SPEC_PREFIX)) {
    rest = rest.slice(HUB_SPEC_PREFIX.length);
    allowBare = true;
  }
  const at = rest.indexOf('@');
  const repo = at === -1 ? rest : rest.slice(0, at);
  const revisionText = at === -1 ? undefined : rest.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length > 2 || repo === '' || parts.some((part) => part === '')) {
    throw new HubIdError(`Invalid Hub id "${text}": expected org/name or org/name@revision.`);
  }
  if (parts.length === 1 && !allowBare) {
    throw new HubIdError(
      `"${text}" is not an org/name Hub id. For a legacy id without an organisation write ${HUB_SPEC_PREFIX}${repo}.`,
    );
  }
  parts.forEach((part, i) => checkNamePart(part, parts.length === 2 && i === 0 ? 'organisation' : 'name', text));
  if (revisionText !== undefined && revisionText === '') {
    throw new HubIdError(`Invalid Hub id "${text}": nothing after "@".`);
  }
  const revision = validateRevision(revisionText ?? DEFAULT_REVISION);
  return parts.length === 2
    ? { owner: parts[0], name: parts[1], revision, explicitRevision: revisionText !== undefined }
    : { name: parts[0], revision, explicitRevision: revisionText !== undefined };
}

/**
 * Reads a model spec as a Hub id following the rule at the top of this file, or returns
 * undefined when it is not one (the caller has already tried bundled names and folders).
 * Throws HubIdError for `hf:` specs and org/name-shaped specs that are invalid.
 */
export function hubIdFromModelSpec(spec: string): HubId | undefined {
  const text = spec.trim();
  if (text.startsWith(HUB_SPEC_PREFIX)) return parseHubId(text);
  // Paths (absolute, relative, Windows) are folders, never Hub ids.
  if (/^[./\\~]/.test(text) || /^[A-Za-z]:/.test(text) || text.includes('\\')) return undefined;
  if (!/^[^/@]+\/[^/@]+(@.+)?$/.test(text)) return undefined;
  return parseHubId(text);
}

/** `org/name` or `name`, as used in URLs and messages (no revision). */
export function repoPath(id: HubId): string {
  return id.owner === undefined ? id.name : `${id.owner}/${id.name}`;
}

/** `org/name@revision`, the canonical text of an id. */
export function formatHubId(id: HubId): string {
  return `${repoPath(id)}@${id.revision}`;
}

/** Returns `id` with another revision (validated). */
export function withRevision(id: HubId, revision: string): HubId {
  return { ...id, revision: validateRevision(revision), explicitRevision: true };
}

/**
 * Throws unless `name` is a safe relative file name inside a repository: `/`-separated
 * segments of letters, digits, `-`, `_`, `.`, none empty, `.`/`..` or hidden; no backslash,
 * no `%` (no encoded separators), no drive letters or absolute paths.
 */
export function validateRepoFileName(name: string): string {
  const segments = name.split('/');
  const ok = name.length <= 1024 && segments.length <= 8 && segments.every((segment) => FILE_SEGMENT.test(segment));
  if (!ok) {
    throw new HubIdError(
      `Refusing file name "${name}": repository file names must be relative paths of letters, digits, "-", "_" and "." ` +
        '(no "..", no hidden files, no backslashes, no "%").',
    );
  }
  return name;
}
