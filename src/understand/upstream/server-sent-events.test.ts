import { describe, expect, it } from 'vitest';
import { readServerSentEvents } from './server-sent-events.js';

async function collect(chunks: string[]): Promise<string[]> {
  async function* body() {
    for (const c of chunks) yield new TextEncoder().encode(c);
  }
  const out: string[] = [];
  for await (const data of readServerSentEvents(body())) out.push(data);
  return out;
}

describe('readServerSentEvents', () => {
  it('yields each event’s data, even when chunks split lines and multi-byte characters', async () => {
    const text = 'data: {"a":"发票"}\n\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(text);
    // Cut inside the three UTF-8 bytes of 发: the decoder must carry the partial character over.
    const cut = new TextEncoder().encode('data: {"a":"').length + 1;
    async function* body() {
      yield bytes.subarray(0, cut);
      yield bytes.subarray(cut);
    }
    const out: string[] = [];
    for await (const d of readServerSentEvents(body())) out.push(d);
    expect(out).toEqual(['{"a":"发票"}', '[DONE]']);
  });

  it('joins multi-line data, skips comments, accepts CRLF and a missing final blank line', async () => {
    expect(await collect([': keep-alive\r\n', 'data: one\r\ndata: two\r\n\r\n', 'data: last'])).toEqual([
      'one\ntwo',
      'last',
    ]);
  });
});
