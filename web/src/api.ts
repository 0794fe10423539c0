/** The public API, called with the API key the user entered (kept in this browser's localStorage). */

const KEY_STORAGE = 'docsight.apiKey';

export const apiKey = {
  get: (): string => localStorage.getItem(KEY_STORAGE) ?? '',
  set: (key: string): void => {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  },
};

/** An API error with the server's readable message (`{"error":{"message","code"}}`) and HTTP status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey.get();
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  let code: string | undefined;
  try {
    const body = (await response.json()) as { error?: { message?: string; code?: string } };
    if (body.error?.message) message = body.error.message;
    code = body.error?.code;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(message, response.status, code);
}

/** fetch with the key; a non-2xx answer throws an ApiError carrying the server's message. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const isJson = typeof init.body === 'string';
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: headers(isJson ? { 'content-type': 'application/json' } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError('The server cannot be reached. Is `docsight serve` running?', 0);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await request(path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
}

/**
 * Reads a server-sent event stream (`data: <json>` frames) from a response, calling `onFrame` per frame.
 * A frame `{"error":…}` throws an ApiError. Resolves when the stream ends.
 */
export async function readEvents(response: Response, onFrame: (frame: Record<string, unknown>) => void) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (!data || data === '[DONE]') continue;
      const parsed = JSON.parse(data) as Record<string, unknown>;
      const error = parsed.error as { message?: string; code?: string } | undefined;
      if (error) throw new ApiError(error.message ?? 'The server reported an error.', 500, error.code);
      onFrame(parsed);
    }
  }
}

/** An image or file of the API as an object URL (fetched with the key, which <img src> cannot send). */
export async function objectUrl(path: string, signal?: AbortSignal): Promise<string> {
  const response = await request(path, { signal });
  return URL.createObjectURL(await response.blob());
}

/** Saves an API response as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const url = await objectUrl(path);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface DocumentJson {
  id: number;
  name: string;
  mime: string;
  size_bytes: number;
  collection: string | null;
  tags: string[];
  status: 'pending' | 'ready' | 'failed';
  page_count: number | null;
  error: string | null;
  created_at: string;
}

export interface Conversation {
  id: string;
  title: string;
  message_count: number;
  updated_at: string;
}

export interface MessageJson {
  seq: number;
  role: string;
  text: string;
  task: string | null;
  stats: Record<string, number | string> | null;
  images: { sha256: string; url: string }[];
}

export interface Citation {
  document_id: number;
  document_name: string;
  page: number;
  boxes: number[][];
  quote: string;
  passage: number;
}
