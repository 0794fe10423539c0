import { DocSightError } from '../../errors.js';
import type { Config } from '../../config/config.js';
import type { RawImage } from '../types.js';
import type { DocumentSource, SourcePage } from './document-source.js';
import { checkPageNumber, rawToPng } from './image-source.js';
import { checkPixels } from './limits.js';
import { toPixels } from './pdf-document.js';
import { openContainedPdf } from './pdf-engine.js';

/**
 * Opens a PDF. Only the file's bytes are kept (inside the contained PDF engine, see pdf-engine.ts); each
 * page is loaded, read and rendered on request and released at once, so memory does not grow with the
 * page count. Text-layer positions and rendered pixels both use `limits.pdfDpi`.
 */
export async function openPdf(
  bytes: Uint8Array,
  name: string,
  limits: Config['intake'],
): Promise<DocumentSource> {
  const pdf = await openContainedPdf(bytes, name, limits);
  const { pageCount } = pdf;
  const dpi = limits.pdfDpi;
  return {
    name,
    mime: 'application/pdf',
    kind: 'pdf',
    pageCount,
    async page(n: number): Promise<SourcePage> {
      checkPageNumber(name, n, pageCount);
      const label = `${name} page ${n}`;
      const { widthPoints, heightPoints, textLines } = await pdf.readPage(n, dpi);
      const renderAt = async (renderDpi: number): Promise<RawImage> => {
        if (!Number.isFinite(renderDpi) || renderDpi < 1 || renderDpi > 1200) {
          throw new DocSightError(
            'BAD_REQUEST',
            `${label}: cannot render at ${renderDpi} dpi; use 1 to 1200.`,
          );
        }
        const width = toPixels(widthPoints, renderDpi);
        const height = toPixels(heightPoints, renderDpi);
        // A page is a few hundred bytes of PDF but its render can be huge (a 200-inch page at 300 dpi).
        checkPixels(label, width, height, limits);
        return pdf.render(n, width, height, label);
      };
      return {
        number: n,
        width: toPixels(widthPoints, dpi),
        height: toPixels(heightPoints, dpi),
        dpi,
        ...(textLines ? { textLines } : {}),
        image: () => renderAt(dpi),
        renderPng: async (renderDpi = dpi) => rawToPng(await renderAt(renderDpi)),
      };
    },
    close: () => pdf.close(),
  };
}
