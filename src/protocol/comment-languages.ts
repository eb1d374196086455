/**
 * The code languages whose comments BERT Lens can read (`bertLens.comments.enabled`), shared by
 * the client (its document selector) and the server (comment-ranges.ts has one comment syntax
 * per id here; the compiler checks that both lists agree).
 */
export const COMMENT_LANGUAGES = [
  'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'c', 'cpp', 'cuda-cpp', 'csharp', 'java', 'kotlin',
  'scala', 'swift', 'groovy', 'dart', 'objective-c', 'objective-cpp', 'go', 'rust', 'php', 'jsonc', 'css', 'scss', 'less',
  'python', 'shellscript', 'dockerfile', 'makefile', 'ruby', 'perl', 'r', 'julia', 'elixir', 'coffeescript', 'yaml', 'toml',
  'ini', 'properties', 'powershell', 'sql', 'lua', 'haskell', 'matlab', 'erlang', 'clojure', 'lisp', 'html', 'xml', 'vue',
  'svelte',
] as const;

export type CommentLanguage = (typeof COMMENT_LANGUAGES)[number];

/**
 * The language ids a client should send to the server: `languages`, plus, when `comments` is
 * on, every comment language not among them (the client's document selector).
 */
export function documentLanguages(languages: readonly string[], comments: boolean): string[] {
  return comments ? [...languages, ...COMMENT_LANGUAGES.filter((l) => !languages.includes(l))] : [...languages];
}
