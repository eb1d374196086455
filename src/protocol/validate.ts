/**
 * Input checks shared by every request that carries text: clear messages, no surprises.
 */

/** Returns a message describing what is wrong with `text`, or undefined when it is usable. */
export function validateText(text: unknown, maxLength: number): string | undefined {
  if (typeof text !== 'string') return 'No text was given.';
  if (text.trim() === '') return 'The text is empty.';
  if (text.length > maxLength) {
    return `The text is ${text.length.toLocaleString('en')} characters long; the limit is ${maxLength.toLocaleString('en')} (setting bertLens.maxTextLength).`;
  }
  return undefined;
}
