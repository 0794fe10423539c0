/**
 * Reads the `data:` frames of a server-sent event stream as JSON, until the stream ends or `stop` says so
 * (then the connection is closed, as a client that has seen enough would).
 *
 * @example
 *   const events = await readEvents(await fetch(`${base}/api/jobs/1/events`), (e) => e.type === 'done');
 */
export async function readEvents(
  response: Response,
  stop: (event: Record<string, unknown>) => boolean = () => false,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return events;
      buffered += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (!data) continue;
        const event = JSON.parse(data) as Record<string, unknown>;
        events.push(event);
        if (stop(event)) {
          await reader.cancel();
          return events;
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
