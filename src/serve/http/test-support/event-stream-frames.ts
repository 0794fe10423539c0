/**
 * The `data:` frames of a server-sent event stream as they arrive, JSON-parsed (`[DONE]` as the string).
 * Stop early with `break`, or abort the fetch's signal: the response body is cancelled either way.
 *
 * @example
 *   const response = await fetch(`${base}/api/ask`, { method: 'POST', body, headers });
 *   for await (const frame of eventStreamFrames(response)) frames.push(frame);
 */
export async function* eventStreamFrames(response: Response): AsyncGenerator<unknown> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = frame
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        if (data) yield data === '[DONE]' ? data : JSON.parse(data);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
