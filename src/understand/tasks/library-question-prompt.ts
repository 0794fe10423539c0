import type { ChatRequest, EngineImage } from '../vision-language-engine.js';
import { detectLanguage, type Language } from './task-prompts.js';

/** A numbered passage as the model reads it: where it is from, and its OCR text. */
export interface PromptPassage {
  /** 1-based: the number the model cites in brackets. */
  number: number;
  /** "invoice.pdf, page 3" or "report.pdf, pages 3–4". */
  source: string;
  text: string;
}

/** An image of the prompt and what it shows: a whole page, or a zoomed view of part of one. */
export interface PromptImage {
  image: EngineImage;
  /** "invoice.pdf, page 3". */
  source: string;
  zoomed: boolean;
}

export interface LibraryQuestionInput {
  question: string;
  passages: PromptPassage[];
  images: PromptImage[];
  language?: Language;
}

const instructions: Record<Language, string> = {
  en:
    'Answer the question using only the numbered passages and the page images. After each statement, cite ' +
    'the passages it comes from by their numbers in square brackets, like [2] or [1][3]. Quote numbers and ' +
    'names exactly as printed. If the passages do not answer the question, say so and cite nothing.',
  zh:
    '只根据编号的段落和页面图片回答问题。每句话后用方括号注明出处段落的编号，例如 [2] 或 [1][3]。数字和名称按原文引用。' +
    '如果段落中没有答案，请直接说明，不要引用。',
};

const labels: Record<Language, { images: string; zoom: string; passages: string; question: string }> = {
  en: {
    images: 'The images, in order:',
    zoom: 'zoomed view of',
    passages: 'Passages read from those pages by OCR (may contain errors; the images are authoritative):',
    question: 'Question:',
  },
  zh: {
    images: '图片依次为：',
    zoom: '放大图：',
    passages: 'OCR 从这些页面读出的段落（可能有误，以图片为准）：',
    question: '问题：',
  },
};

/**
 * The request for a question about pages retrieved from the library: the page images (and zoomed crops) first,
 * where Qwen3-VL reads best, a list saying which page each image is, the passages numbered [1] … [n], then
 * the question. The model is asked to cite passage numbers in brackets; passage-citations.ts reads them back.
 *
 * @example
 *   const request = buildLibraryQuestionRequest({ question: 'Total?', passages, images });
 */
export function buildLibraryQuestionRequest(input: LibraryQuestionInput): ChatRequest {
  const language = input.language ?? detectLanguage(input.question);
  const l = labels[language];
  const parts: string[] = [];
  if (input.images.length > 0) {
    const lines = input.images.map(
      (image, i) => `${i + 1}. ${image.zoomed ? `${l.zoom} ` : ''}${image.source}`,
    );
    parts.push(`${l.images}\n${lines.join('\n')}`);
  }
  const passages = input.passages.map((p) => `[${p.number}] (${p.source})\n${p.text}`);
  parts.push(`${l.passages}\n\n${passages.join('\n\n')}`);
  parts.push(`${l.question} ${input.question.trim()}`);
  return {
    messages: [
      { role: 'system', content: instructions[language] },
      { role: 'user', content: parts.join('\n\n') },
    ],
    images: input.images.map((i) => i.image),
    temperature: 0,
  };
}
