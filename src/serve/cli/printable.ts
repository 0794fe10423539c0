/**
 * File names and error messages are data from outside (an upload, a folder someone else filled): a name
 * holding ANSI escape sequences would recolour, move or clear the terminal, a newline would forge table
 * rows, and bidirectional overrides (U+202E) would show a name reversed. Every name printed on a terminal
 * goes through `printable`, which writes such characters as visible escapes.
 *
 * Call it where text from a file or the library meets the terminal: document names and errors in
 * `docs list/show`, `jobs`, the `ingest` progress and "skipped" lines, and the top-level error line in
 * main.ts. JSON output needs nothing (JSON.stringify escapes control characters); HTML (the WebUI) must
 * escape `<`, `&` and quotes itself — this is for terminals only.
 *
 * @example
 *   printable('scan\x1b[2J.pdf'); // 'scan\\x1b[2J.pdf'
 *   printable('a\nb.pdf'); // 'a\\nb.pdf'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => NAMED[c] ?? escapeCode(c.codePointAt(0)!));
}

/** C0 and C1 controls, DEL, line/paragraph separators, and the bidirectional embedding/override/isolate marks. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const escapeCode = (code: number): string =>
  code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
