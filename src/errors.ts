/**
 * Errors are values with a stable code and a message a user can act on.
 * One place (the HTTP layer, the CLI) maps codes to status codes and exit codes.
 *
 * @example
 *   throw new DocSightError('UNSUPPORTED_TYPE', 'scan.xyz: not an image or PDF (found "zip"). Send PNG, JPEG, WebP, TIFF, BMP, GIF or PDF.');
 */
export type ErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_REQUEST'
  /** No API key, or one the server does not know (HTTP 401). */
  | 'UNAUTHORIZED'
  /** A valid key asking for something outside its scope whose existence is not secret (HTTP 403). */
  | 'FORBIDDEN'
  /** Too many requests from one key in a short time (HTTP 429). */
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'EMPTY_FILE'
  | 'FILE_TOO_LARGE'
  | 'UNSUPPORTED_TYPE'
  | 'CORRUPT_FILE'
  | 'TOO_MANY_PIXELS'
  | 'TOO_MANY_PAGES'
  | 'ENCRYPTED_PDF'
  /**
   * The file asks for far more work or memory than a real document of its size (a TIFF with millions of
   * tag values, a PDF page whose drawing exhausts the engine's memory or time limit). Not retried.
   */
  | 'TOO_COMPLEX'
  | 'MODEL_MISSING'
  | 'MODEL_INVALID'
  | 'ENGINE_FAILED'
  | 'DOWNLOAD_FAILED'
  | 'CHECKSUM_MISMATCH'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'BUSY'
  /** The model's answer is not what was asked for (e.g. fields JSON cut off or not matching its schema). */
  | 'INVALID_OUTPUT'
  | 'DISK_FULL'
  | 'INTERNAL';

export class DocSightError extends Error {
  readonly code: ErrorCode;
  /** The request field at fault (`messages.0.content`), when the error is about one; the HTTP body names it. */
  readonly param?: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; param?: string }) {
    super(message, options);
    this.name = 'DocSightError';
    this.code = code;
    if (options?.param) this.param = options.param;
  }
}

/** True when `err` is a DocSightError, optionally of one code. */
export function isDocSightError(err: unknown, code?: ErrorCode): err is DocSightError {
  return err instanceof DocSightError && (code === undefined || err.code === code);
}

/** A one-line reason for any thrown value, for CLI output and logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
