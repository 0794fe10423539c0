/** Lone UTF-16 surrogates (not a character; encodeURIComponent throws on them). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must go
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A `Content-Disposition` header for a file whose name is untrusted text (an uploader's): control
 * characters (CR/LF: header injection) dropped, path separators and quotes replaced, a plain-ASCII
 * `filename` for old clients and the exact name as RFC 5987 `filename*` (UTF-8, percent-encoded).
 *
 * @example
 *   contentDisposition('attachment', '发票 "2024".pdf');
 *   // attachment; filename="__ _2024_.pdf"; filename*=UTF-8''%E5%8F%91%E7%A5%A8%20%222024%22.pdf
 */
export function contentDisposition(type: 'attachment' | 'inline', name: string): string {
  const clean =
    name.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL, '').replace(/[/\\]/g, '_').trim().slice(0, 255) ||
    'document';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/["%]/g, '_');
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
