import MarkdownIt from 'markdown-it';

// Raw HTML off: `<img onerror=…>` in an answer is shown as text. markdown-it's validateLink refuses
// javascript:, vbscript:, file: and most data: URLs, so such links render as plain text.
const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  if (!token.attrGet('data-cite')) {
    token.attrSet('rel', 'noopener noreferrer');
    token.attrSet('target', '_blank');
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

// With `env.citations`, a passage number `[3]` in the text becomes a link the page handles (`data-cite="3"`).
md.core.ruler.push('citations', (state) => {
  if (!(state.env as { citations?: boolean }).citations) return;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const children: typeof block.children = [];
    for (const child of block.children) {
      if (child.type !== 'text' || !/\[\d{1,3}\]/.test(child.content)) {
        children.push(child);
        continue;
      }
      for (const part of child.content.split(/(\[\d{1,3}\])/)) {
        if (!part) continue;
        const number = /^\[(\d{1,3})\]$/.exec(part)?.[1];
        if (number === undefined) {
          const text = new state.Token('text', '', 0);
          text.content = part;
          children.push(text);
          continue;
        }
        const open = new state.Token('link_open', 'a', 1);
        open.attrs = [
          ['href', `#cite-${number}`],
          ['class', 'cite'],
          ['data-cite', number],
        ];
        const text = new state.Token('text', '', 0);
        text.content = part;
        children.push(open, text, new state.Token('link_close', 'a', -1));
      }
    }
    block.children = children;
  }
});

/**
 * Markdown as HTML: markdown-it escapes every character of the input, so its output is safe to insert.
 * `citations`: `[n]` markers become links carrying `data-cite="n"`.
 */
export const renderMarkdown = (text: string, options: { citations?: boolean } = {}): string =>
  md.render(text, { citations: options.citations === true });

/**
 * Splits a growing answer at its last blank line outside a code fence: the blocks before it are finished
 * and never change again, the tail is still being written.
 */
export function splitBlocks(text: string): { done: string[]; tail: string } {
  const done: string[] = [];
  let start = 0;
  let fence = false;
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const end = offset + line.length + 1;
    if (!fence && line.trim() === '' && i < lines.length - 1) {
      const block = text.slice(start, end);
      // A run of blank lines joins the block before it: nothing of the text is lost.
      if (block.trim() || done.length === 0) done.push(block);
      else done[done.length - 1] += block;
      start = end;
    }
    offset = end;
  }
  return { done, tail: text.slice(start) };
}
