import { describeError, isDocSightError, type ErrorCode } from '../../errors.js';

/**
 * The one place error codes become HTTP: a status, and the body OpenAI clients parse —
 * `{"error":{"message","type","param","code"}}` with string `type` and `code` (the official clients turn it
 * into their APIError classes by status, and retry 408/409/429/5xx on their own).
 */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  EMPTY_FILE: 400,
  CORRUPT_FILE: 400,
  ENCRYPTED_PDF: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  FILE_TOO_LARGE: 413,
  TOO_MANY_PIXELS: 413,
  TOO_MANY_PAGES: 413,
  UNSUPPORTED_TYPE: 415,
  INVALID_OUTPUT: 422,
  // A file that would need more memory or time than the engines may spend on it (a PDF bomb).
  TOO_COMPLEX: 422,
  BUSY: 429,
  RATE_LIMITED: 429,
  // The server's own state, not the request's: the fix is on the operator's side (the message says how).
  BAD_CONFIG: 500,
  INTERNAL: 500,
  ENGINE_FAILED: 500,
  DOWNLOAD_FAILED: 502,
  CHECKSUM_MISMATCH: 502,
  MODEL_MISSING: 503,
  MODEL_INVALID: 503,
  // A request cancelled by the server itself (shutting down); a client that hung up gets no answer at all.
  CANCELLED: 503,
  TIMEOUT: 504,
  DISK_FULL: 507,
};

/** OpenAI's error `type` for a status. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  /** Seconds, for 429 and 503: when trying again makes sense. */
  retryAfter?: number;
}

/**
 * Any thrown value as an HTTP error. Unknown errors are 500 with a generic message: their text may name
 * server paths or internals, so it goes to the log (`logged`), never to the client.
 *
 * @example
 *   const { status, body } = toHttpError(new DocSightError('BUSY', 'All slots are busy.'));
 *   // 429, { error: { type: 'rate_limit_error', code: 'busy', … } }
 */
export function toHttpError(err: unknown): HttpError & { logged?: string } {
  if (!isDocSightError(err)) {
    return {
      status: 500,
      body: {
        error: {
          message: 'The server failed to handle the request; the error is in its log.',
          type: 'server_error',
          param: null,
          code: 'internal',
        },
      },
      logged: describeError(err),
    };
  }
  const status = STATUS[err.code] ?? 500;
  const retryAfter =
    err.code === 'BUSY' || err.code === 'RATE_LIMITED' ? 2 : err.code === 'CANCELLED' ? 5 : undefined;
  return {
    status,
    body: {
      error: {
        message: err.message,
        type: errorType(status),
        param: err.param ?? null,
        code: err.code.toLowerCase(),
      },
    },
    retryAfter,
  };
}
