import { describe, expect, it } from 'vitest';
import type { PageText } from '../read/types.js';
import { exportDocument, pageToJson, pageToMarkdown, pageToText } from './export-pages.js';

const line = (text: string, block: number, confidence = 0.9) => ({
  text,
  box: [0, 0, 1.26, 0, 1.26, 1, 0, 1] as PageText['lines'][number]['box'],
  confidence,
  block,
});
const page: PageText = {
  page: 3,
  width: 100,
  height: 100,
  source: 'ocr',
  lines: [
    line('甲方：北京某某科技', 0),
    line('有限公司', 0),
    line('- 12 items', 1),
    line('at *50%* off', 1, 0.98765),
  ],
};

describe('page formatting', () => {
  it('joins Chinese lines of a paragraph without a space, English ones with one', () => {
    expect(pageToMarkdown(page)).toBe(
      '## Page 3\n\n甲方：北京某某科技有限公司\n\n\\- 12 items at \\*50%\\* off',
    );
  });

  it('keeps lines as they are in plain text', () => {
    expect(pageToText(page)).toBe('甲方：北京某某科技\n有限公司\n\n- 12 items\nat *50%* off');
  });

  it('says so when a page has no text', () => {
    expect(pageToMarkdown({ ...page, lines: [] })).toBe('## Page 3\n\n*(no text found)*');
  });

  it('rounds boxes to 0.1 px and confidence to 0.001 in JSON, and drops the block', () => {
    expect(pageToJson(page).lines[3]).toEqual({
      text: 'at *50%* off',
      box: [0, 0, 1.3, 0, 1.3, 1, 0, 1],
      confidence: 0.988,
    });
  });
});

describe('exportDocument', () => {
  const second: PageText = { ...page, page: 4, lines: [line('# total', 0)] };

  it('splits text pages with a form feed', () => {
    expect(exportDocument('a.pdf', [page, second], 'text')).toBe(
      '甲方：北京某某科技\n有限公司\n\n- 12 items\nat *50%* off\n\f\n# total\n',
    );
  });

  it('heads Markdown with the escaped name and one section per page', () => {
    expect(exportDocument('my_scan.pdf', [second], 'markdown')).toBe(
      '# my\\_scan.pdf\n\n## Page 4\n\n\\# total\n',
    );
  });

  it('writes {"pages": [...]} as JSON', () => {
    expect(JSON.parse(exportDocument('a.pdf', [second], 'json'))).toEqual({ pages: [pageToJson(second)] });
  });
});
