/**
 * Qwen's ChatML prompt format, written out here rather than run through a jinja engine: it is the
 * format every Qwen3-VL GGUF's template produces, and a fixed formatter cannot fail at run time.
 */

import type { ChatMessage, EngineImage } from '../vision-language-engine.js';

export interface FormattedPrompt {
  /** The prompt text, with `marker` where each image goes. */
  prompt: string;
  /** The images in prompt order. */
  images: EngineImage[];
}

/**
 * Formats messages as ChatML and opens the assistant's turn. Images go where they appear in the
 * content; the vision engine wraps each marker in `<|vision_start|>…<|vision_end|>` itself.
 *
 * @example
 *   formatChatMl([{ role: 'user', content: 'Hi' }], '<__media__>').prompt
 *   // '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'
 */
export function formatChatMl(messages: readonly ChatMessage[], marker: string): FormattedPrompt {
  const images: EngineImage[] = [];
  let prompt = '';
  for (const m of messages) {
    let body = '';
    if (typeof m.content === 'string') {
      body = m.content;
    } else {
      for (const part of m.content) {
        if (part.type === 'text') {
          body += part.text;
        } else {
          body += marker;
          images.push(part.image);
        }
      }
    }
    if (body.includes(marker) && typeof m.content === 'string') {
      throw new Error(`message text may not contain the media marker ${marker}`);
    }
    prompt += `<|im_start|>${m.role}\n${body}<|im_end|>\n`;
  }
  prompt += '<|im_start|>assistant\n';
  return { prompt, images };
}
