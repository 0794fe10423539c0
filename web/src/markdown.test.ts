import { describe, expect, it } from 'vitest';
import { renderMarkdown, splitBlocks } from './markdown.js';

describe('renderMarkdown: model answers as safe HTML', () => {
  it('shows raw HTML as text: no element of the answer reaches the page', () => {
    const html = renderMarkdown('Look <img src=x onerror=alert(1)> <script>alert(2)</script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('refuses javascript:, vbscript: and data: links; keeps http links, opened apart', () => {
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'vbscript:msgbox',
      'data:text/html;base64,PHNjcmlwdD4=',
    ]) {
      const html = renderMarkdown(`[click](${href})`);
      expect(html, href).not.toContain('<a');
    }
    expect(renderMarkdown('[docs](https://example.org/a)')).toBe(
      '<p><a href="https://example.org/a" rel="noopener noreferrer" target="_blank">docs</a></p>\n',
    );
  });

  it('renders the Markdown models write: emphasis, lists, tables, code', () => {
    expect(renderMarkdown('**41** items')).toContain('<strong>41</strong>');
    expect(renderMarkdown('- a\n- b')).toContain('<li>a</li>');
    expect(renderMarkdown('| k | v |\n|---|---|\n| a | 1 |')).toContain('<td>a</td>');
  });
});

describe('renderMarkdown with citations', () => {
  it('turns [n] passage markers into links the page handles, and nothing else', () => {
    expect(renderMarkdown('Rose to **41** [1], then fell [12].', { citations: true })).toBe(
      '<p>Rose to <strong>41</strong> <a href="#cite-1" class="cite" data-cite="1">[1]</a>, then fell ' +
        '<a href="#cite-12" class="cite" data-cite="12">[12]</a>.</p>\n',
    );
    expect(renderMarkdown('Rose [1].')).toBe('<p>Rose [1].</p>\n');
    expect(renderMarkdown('`code [1]` and [x]', { citations: true })).toBe(
      '<p><code>code [1]</code> and [x]</p>\n',
    );
  });
});

describe('splitBlocks: a streamed answer in finished blocks and the tail being written', () => {
  it('finishes a block at a blank line', () => {
    expect(splitBlocks('First para.\n\nSecond, still gro')).toEqual({
      done: ['First para.\n\n'],
      tail: 'Second, still gro',
    });
  });

  it('keeps a code fence with blank lines in it as one unfinished block until it closes', () => {
    const open = 'Intro.\n\n```\nline 1\n\nline 2\n';
    expect(splitBlocks(open)).toEqual({ done: ['Intro.\n\n'], tail: '```\nline 1\n\nline 2\n' });
    const closed = `${open}\`\`\`\n\nAfter.`;
    expect(splitBlocks(closed).done).toEqual(['Intro.\n\n', '```\nline 1\n\nline 2\n```\n\n']);
  });

  it('loses and changes nothing: the blocks joined are the text', () => {
    const text = 'a\n\nb\nc\n\n\n- x\n- y\n\nlast';
    const { done, tail } = splitBlocks(text);
    expect(done.join('') + tail).toBe(text);
    expect(done).toEqual(['a\n\n', 'b\nc\n\n\n', '- x\n- y\n\n']);
    expect(tail).toBe('last');
  });
});
