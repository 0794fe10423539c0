import { DocSightError } from '../../errors.js';
import { HAN_IDEOGRAPH } from '../../text/cjk.js';
import type { ChatRequest, EngineImage } from '../vision-language-engine.js';
import { fieldPresets, isFieldPreset } from './field-presets.js';

export type TaskName = 'extract' | 'summarize' | 'ask' | 'fields';
export type Language = 'zh' | 'en';

export interface TaskInput {
  images: EngineImage[];
  /** The user's question (`ask`), or an extra instruction for the other tasks. */
  question?: string;
  /** OCR text of the page(s): grounds the small model on exact characters it may misread at low resolution. */
  ocrText?: string;
  /** For `fields`: a preset name (`receipt`, `invoice`, `contract`) or a JSON Schema object. */
  schema?: string | Record<string, unknown>;
  /** Language of the instructions and the answer; default: the question's language, else English. */
  language?: Language;
  /**
   * How many of the last `images` are zoomed crops of the first (question-zoom.ts): the prompt says so, so
   * the model reads small print from the crop and takes the layout from the page.
   */
  zoomedRegions?: number;
}

/** Chinese when the text has any CJK ideograph: people ask in the language they want answered in. */
export function detectLanguage(text: string | undefined): Language {
  return text && HAN_IDEOGRAPH.test(text) ? 'zh' : 'en';
}

const instructions: Record<TaskName, Record<Language, string>> = {
  extract: {
    en:
      'Transcribe all text in the document image exactly as printed, in reading order, one line per printed ' +
      'line. Keep numbers, dates and punctuation as they are. Do not translate, summarise or add anything.',
    zh: '请逐字转录文档图片中的全部文字，按阅读顺序，每个印刷行占一行。数字、日期和标点保持原样。不要翻译、总结或添加任何内容。',
  },
  summarize: {
    en:
      'Summarise the document in a few sentences: what it is, who is involved, key dates and amounts. ' +
      'Use only what the document says.',
    zh: '用几句话总结这份文档：文档类型、涉及的各方、关键日期和金额。只使用文档中的信息。',
  },
  ask: {
    en:
      'Answer the question using only the document. Be brief and quote numbers and names exactly as printed. ' +
      'If the document does not contain the answer, say so.',
    zh: '只根据文档回答问题。回答简洁，数字和名称按原文引用。如果文档中没有答案，请直接说明。',
  },
  fields: {
    en:
      'Extract the requested fields from the document as JSON. Copy values exactly as printed; use null for a ' +
      'field the document does not show.',
    zh: '从文档中提取所需字段，输出 JSON。值按原文照抄；文档中没有的字段填 null。',
  },
};

const ocrHeading: Record<Language, string> = {
  en: 'Text read from the page by OCR (may contain errors; the image is authoritative):',
  zh: 'OCR 识别出的页面文字（可能有误，以图片为准）：',
};

/** What the extra images are: crops of the page image, enlarged where the question's text is. */
function zoomNote(count: number, language: Language): string {
  if (language === 'zh') {
    return count === 1
      ? '第一张图片是整页；最后一张图片是该页中与问题相关区域的放大图，小字请以放大图为准。'
      : `第一张图片是整页；最后 ${count} 张图片是该页中与问题相关区域的放大图，小字请以放大图为准。`;
  }
  return count === 1
    ? 'The first image is the whole page; the last image is a zoomed view of the region of that page the ' +
        'question is about: read small print there.'
    : `The first image is the whole page; the last ${count} images are zoomed views of regions of that page ` +
        'the question is about: read small print there.';
}

function resolveSchema(schema: TaskInput['schema']): Record<string, unknown> {
  if (schema === undefined) {
    throw new DocSightError(
      'BAD_REQUEST',
      'The fields task needs a schema: a preset (receipt, invoice, contract) or a JSON Schema.',
    );
  }
  if (typeof schema === 'string') {
    if (!isFieldPreset(schema)) {
      throw new DocSightError(
        'BAD_REQUEST',
        `Unknown field preset "${schema}". Use receipt, invoice or contract, or pass a JSON Schema.`,
      );
    }
    return fieldPresets[schema];
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || !('type' in schema)) {
    throw new DocSightError('BAD_REQUEST', 'The schema must be a JSON Schema object with a "type".');
  }
  return schema;
}

/**
 * Turns one of the named tasks into an engine request: instructions in the user's language, the images
 * first (where Qwen3-VL reads best), the OCR text as grounding, then the question.
 *
 * @example
 *   const request = buildTaskRequest('ask', { images: [page], question: '合同金额是多少？', ocrText });
 *   for await (const delta of engine.chat(request)) ...
 */
export function buildTaskRequest(task: TaskName, input: TaskInput): ChatRequest {
  if (input.images.length === 0 && !input.ocrText) {
    throw new DocSightError('BAD_REQUEST', `The ${task} task needs an image or the page's text.`);
  }
  if (task === 'ask' && !input.question?.trim()) {
    throw new DocSightError('BAD_REQUEST', 'Ask a question: the ask task needs one.');
  }
  const language = input.language ?? detectLanguage(input.question);
  const jsonSchema = task === 'fields' ? resolveSchema(input.schema) : undefined;
  const parts: string[] = [];
  if (input.ocrText?.trim()) parts.push(`${ocrHeading[language]}\n${input.ocrText.trim()}`);
  if (jsonSchema) parts.push(`JSON Schema:\n${JSON.stringify(jsonSchema)}`);
  if (input.zoomedRegions) parts.push(zoomNote(input.zoomedRegions, language));
  if (input.question?.trim()) parts.push(input.question.trim());
  return {
    messages: [
      { role: 'system', content: instructions[task][language] },
      { role: 'user', content: parts.join('\n\n') || instructions[task][language] },
    ],
    images: input.images,
    jsonSchema,
    // Transcription and extraction must be deterministic; summaries may vary a little.
    temperature: task === 'summarize' ? 0.3 : 0,
  };
}
