/**
 * The longest pause of the event loop (ms) while `work` runs, as a 5-ms timer sees it: how long a server
 * sharing this thread would have left a request waiting.
 *
 * @example
 *   const ms = await longestStall(() => engine.recognize(page));
 */
export async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(longest, performance.now() - last);
}
