import { memo } from 'preact/compat';
import { useMemo } from 'preact/hooks';
import { renderMarkdown, splitBlocks } from './markdown.js';

const Block = memo(function Block({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return <div class="md-block" dangerouslySetInnerHTML={{ __html: html }} />;
});

/**
 * A streamed answer: each finished block is rendered once (memoised by its text), only the block being written
 * is rendered again as tokens arrive, so a long answer does not re-render on every token.
 */
export function Markdown({ text }: { text: string }) {
  const { done, tail } = splitBlocks(text);
  return (
    <div class="markdown">
      {done.map((block, i) => (
        <Block key={i} text={block} />
      ))}
      {tail.trim() ? <Block key="tail" text={tail} /> : null}
    </div>
  );
}
