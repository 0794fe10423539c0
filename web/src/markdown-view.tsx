import { memo } from 'preact/compat';
import { useMemo } from 'preact/hooks';
import { renderMarkdown, splitBlocks } from './markdown.js';

const Block = memo(function Block({ text, citations }: { text: string; citations: boolean }) {
  const html = useMemo(() => renderMarkdown(text, { citations }), [text, citations]);
  return <div class="md-block" dangerouslySetInnerHTML={{ __html: html }} />;
});

/**
 * A streamed answer: each finished block is rendered once (memoised by its text), only the block being written
 * is rendered again as tokens arrive, so a long answer does not re-render on every token.
 */
export function Markdown({ text, onCite }: { text: string; onCite?: (passage: number) => void }) {
  const { done, tail } = splitBlocks(text);
  const citations = onCite !== undefined;
  return (
    <div
      class="markdown"
      onClick={(e) => {
        // A `[n]` marker (see renderMarkdown's citations): handled here, never followed as a link.
        const link = (e.target as Element).closest?.('a[data-cite]');
        if (!link || !onCite) return;
        e.preventDefault();
        onCite(Number(link.getAttribute('data-cite')));
      }}
    >
      {done.map((block, i) => (
        <Block key={i} text={block} citations={citations} />
      ))}
      {tail.trim() ? <Block key="tail" text={tail} citations={citations} /> : null}
    </div>
  );
}
