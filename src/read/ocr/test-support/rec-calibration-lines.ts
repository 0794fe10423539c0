import type { CalibrationInput } from '../calibrate.js';
import { cropTextLine } from '../crop.js';
import { toRgb } from '../pixels.js';
import { packStrips, REC_HEIGHT } from '../recognize.js';
import { renderLine } from './test-pages.js';

/**
 * The lines the int8 recogniser's activation ranges were calibrated on (tools/calibrate-recognizer.ts writes
 * the result to rec-calibration-ranges.ts): English prose, receipt figures, Chinese with Latin inside, in the
 * sizes and fonts the engine reads, cut to recogniser strips exactly as the engine cuts them. The product
 * never renders these: it quantises with the committed ranges. Fonts are named, not guessed: the tool refuses
 * to run where one is missing (Pango would silently draw another font, or hex boxes).
 */
export const CALIBRATION_LINES: readonly { text: string; size: number; font?: string }[] = [
  { text: 'Invoice 2024-117 Total due: 1,234.56 EUR', size: 28 },
  { text: 'The quick brown fox jumps over the lazy dog.', size: 36 },
  { text: 'Date 12/02/2018 TEL: 07-386 1234 GST ID 000123', size: 24 },
  { text: 'QTY 2 x RM 15.90  SUBTOTAL 31.80  ROUNDING -0.00', size: 30, font: 'DejaVu Sans Mono' },
  { text: 'Please return the signed form to the office by Friday', size: 40, font: 'DejaVu Serif' },
  { text: 'RECEIVED FROM: ACME (M) SDN BHD  No. 5, Jalan 3/4', size: 32 },
  { text: '文档识别支持中文和English混排', size: 32, font: 'WenQuanYi Zen Hei' },
  { text: '合同编号：HT-2024-0117 金额 ¥12,800.00', size: 36, font: 'Noto Sans CJK SC' },
  { text: '关于国庆节放假安排的通知（2024年10月1日至7日）', size: 28, font: 'Noto Serif CJK SC' },
  { text: '会议纪要 Meeting minutes: Q3 revenue +12.5%', size: 44, font: 'Noto Sans CJK SC' },
  { text: 'a', size: 32 },
  { text: '15.00', size: 28 },
];

/** renderLine's font when a line names none. */
export const DEFAULT_LINE_FONT = 'DejaVu Sans';

/** Every font family the calibration lines are drawn in. */
export const calibrationFonts = (): string[] => [
  ...new Set(CALIBRATION_LINES.map((l) => l.font ?? DEFAULT_LINE_FONT)),
];

/** Strips for `calibrateRanges`, one per line, each at its own width (as the engine runs short strips). */
export async function recognizerCalibrationInputs(): Promise<CalibrationInput[]> {
  const inputs: CalibrationInput[] = [];
  for (const line of CALIBRATION_LINES) {
    const image = toRgb(await renderLine(line.text, line.size, line.font));
    const strip = cropTextLine(
      image,
      [0, 0, image.width, 0, image.width, image.height, 0, image.height],
      REC_HEIGHT,
    );
    const width = Math.max(96, Math.ceil(strip.width / 8) * 8);
    inputs.push({ data: packStrips([strip], REC_HEIGHT, width), dims: [1, 3, REC_HEIGHT, width] });
  }
  return inputs;
}
