import { describe, expect, it } from 'vitest';
import { formatChatMl } from './chat-format.js';

const image = { png: Buffer.from('png bytes'), sha256: 'abc' };

describe('formatChatMl', () => {
  it('writes ChatML turns and opens the assistant turn', () => {
    const { prompt, images } = formatChatMl(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      '<__media__>',
    );
    expect(prompt).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(images).toEqual([]);
  });

  it('puts a marker where each image part is, images in order', () => {
    const other = { png: Buffer.from('other'), sha256: 'def' };
    const { prompt, images } = formatChatMl(
      [
        {
          role: 'user',
          content: [
            { type: 'image', image },
            { type: 'text', text: 'Compare with ' },
            { type: 'image', image: other },
          ],
        },
      ],
      '<M>',
    );
    expect(prompt).toBe('<|im_start|>user\n<M>Compare with <M><|im_end|>\n<|im_start|>assistant\n');
    expect(images).toEqual([image, other]);
  });

  it('refuses a marker smuggled in as text (it would misalign images)', () => {
    expect(() => formatChatMl([{ role: 'user', content: 'see <M>' }], '<M>')).toThrow('media marker');
  });
});
