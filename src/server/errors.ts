/**
 * Turns whatever a handler threw into the ResponseError the client gets: input problems are
 * InvalidInput, a model that failed to load is ModelUnavailable, a model without the head a
 * request needs is Unsupported, an aborted run is RequestCancelled.
 */
import { LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { ErrorCodes } from '../protocol';
import { validateText } from '../protocol/validate';

const UNSUPPORTED = /has no (masked-LM|next-sentence|classifier) head|attention maps are not available|no .* token/;

export function toResponseError(error: unknown): ResponseError<void> {
  if (error instanceof ResponseError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new ResponseError(LSPErrorCodes.RequestCancelled, 'The request was cancelled');
  const message = error instanceof Error ? error.message : String(error);
  if (UNSUPPORTED.test(message)) return new ResponseError(ErrorCodes.Unsupported, message);
  return new ResponseError(ErrorCodes.InvalidInput, message);
}

export function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidInput, message);
}

/** Throws InvalidInput unless `text` is a non-empty string within `maxLength`. */
export function checkText(text: unknown, maxLength: number, what = 'text'): asserts text is string {
  const problem = validateText(text, maxLength);
  if (problem) throw invalid(what === 'text' ? problem : `${what}: ${problem}`);
}

/** An optional integer parameter within bounds, else InvalidInput naming it. */
export function optionalInteger(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function optionalNumber(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function optionalFormat(value: unknown): 'plain' | 'markdown' | undefined {
  if (value === undefined || value === null) return undefined;
  if (value !== 'plain' && value !== 'markdown') throw invalid(`format must be "plain" or "markdown", got ${JSON.stringify(value)}`);
  return value;
}
