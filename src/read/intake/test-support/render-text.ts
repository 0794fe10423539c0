import sharp from 'sharp';

/**
 * Renders black text on a white page with Pango (inside sharp), for tests that need real pixels of real
 * text for OCR — made at test time, so no image fixtures live in git.
 */
export async function renderTextPng(
  text: string,
  options: { dpi?: number; margin?: number } = {},
): Promise<Buffer> {
  const margin = options.margin ?? 40;
  // Pango draws white text on black; negate to get ink on paper.
  const ink = await sharp({ text: { text, dpi: options.dpi ?? 200, font: 'DejaVu Sans' } })
    .negate()
    .png()
    .toBuffer();
  return sharp(ink)
    .extend({ top: margin, bottom: margin, left: margin, right: margin, background: '#ffffff' })
    .flatten({ background: '#ffffff' })
    .png()
    .toBuffer();
}
