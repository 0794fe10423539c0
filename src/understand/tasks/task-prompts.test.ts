import { describe, expect, it } from 'vitest';
import { fieldPresets } from './field-presets.js';
import { buildTaskRequest, detectLanguage } from './task-prompts.js';

const page = { png: Buffer.from('png'), sha256: 'abc' };

describe('buildTaskRequest', () => {
  it('answers a Chinese question with Chinese instructions, the image first and the OCR text as grounding', () => {
    const request = buildTaskRequest('ask', {
      images: [page],
      question: '合同的签署方和金额是多少？',
      ocrText: '甲方：某某公司 金额：¥50,000',
    });
    expect(request.messages[0]).toMatchObject({
      role: 'system',
      content: expect.stringContaining('只根据文档回答'),
    });
    const user = request.messages[1]!.content as string;
    expect(user.indexOf('OCR')).toBeLessThan(user.indexOf('合同的签署方'));
    expect(user).toContain('甲方：某某公司');
    expect(request.images).toEqual([page]);
    expect(request.temperature).toBe(0);
  });

  it('uses English for an English question and for tasks without one', () => {
    expect(
      buildTaskRequest('ask', { images: [page], question: 'What is the total?' }).messages[0]!.content,
    ).toMatch(/^Answer the question/);
    expect(buildTaskRequest('extract', { images: [page] }).messages[0]!.content).toMatch(/^Transcribe/);
    expect(buildTaskRequest('summarize', { images: [page], language: 'zh' }).messages[0]!.content).toMatch(
      /^用几句话/,
    );
  });

  it('names zoomed crops after the page, in the question’s language, before the question', () => {
    const crop = { png: Buffer.from('crop'), sha256: 'def' };
    const en = buildTaskRequest('ask', {
      images: [page, crop],
      question: 'What is the total?',
      zoomedRegions: 1,
    });
    const enUser = en.messages[1]!.content as string;
    expect(enUser).toMatch(/the last image is a zoomed view of the region of that page/);
    expect(enUser.indexOf('zoomed')).toBeLessThan(enUser.indexOf('What is the total?'));
    expect(en.images).toEqual([page, crop]);
    // The system text (the cached prefix) does not change with a crop: the images are what differ.
    expect(en.messages[0]).toEqual(buildTaskRequest('ask', { images: [page], question: 'x?' }).messages[0]);
    const zh = buildTaskRequest('ask', {
      images: [page, crop, crop],
      question: '总金额是多少？',
      zoomedRegions: 2,
    });
    expect(zh.messages[1]!.content).toContain('最后 2 张图片是该页中与问题相关区域的放大图');
    expect(buildTaskRequest('ask', { images: [page], question: 'Total?' }).messages[1]!.content).toBe(
      'Total?',
    );
  });

  it('constrains fields output with a preset or a caller’s schema', () => {
    expect(buildTaskRequest('fields', { images: [page], schema: 'invoice' }).jsonSchema).toBe(
      fieldPresets.invoice,
    );
    const custom = { type: 'object', properties: { vat: { type: 'string' } } };
    const request = buildTaskRequest('fields', { images: [page], schema: custom });
    expect(request.jsonSchema).toBe(custom);
    expect(request.messages[1]!.content).toContain('"vat"');
  });

  it('says what is missing instead of sending a useless request', () => {
    expect(() => buildTaskRequest('fields', { images: [page] })).toThrow(/needs a schema/);
    expect(() => buildTaskRequest('fields', { images: [page], schema: 'passport' })).toThrow(
      /Unknown field preset "passport"/,
    );
    expect(() => buildTaskRequest('fields', { images: [page], schema: { properties: {} } })).toThrow(
      /"type"/,
    );
    expect(() => buildTaskRequest('ask', { images: [page], question: '  ' })).toThrow(/needs one/);
    expect(() => buildTaskRequest('summarize', { images: [] })).toThrow(/needs an image/);
  });
});

describe('detectLanguage', () => {
  it('is Chinese when any ideograph appears', () => {
    expect(detectLanguage('发票 total?')).toBe('zh');
    expect(detectLanguage('invoice total 2024')).toBe('en');
    expect(detectLanguage(undefined)).toBe('en');
  });
});
