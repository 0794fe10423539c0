import MarkdownIt from 'markdown-it';

// Raw HTML off: `<img onerror=…>` in an answer is shown as text. markdown-it's validateLink refuses
// javascript:, vbscript:, file: and most data: URLs, so such links render as plain text.
const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('rel', 'noopener noreferrer');
  tokens[idx]!.attrSet('target', '_blank');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Markdown as HTML: markdown-it escapes every character of the input, so its output is safe to insert. */
export const renderMarkdown = (text: string): string => md.render(text);

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
