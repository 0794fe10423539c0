import sharp from 'sharp';
import type { Quad } from '../../read/types.js';
import type { RenderedPage } from './render-page.js';
import type { SeededRandom } from './seeded-random.js';

/** The ways a test page is spoiled, one per page; `clean` is the control. */
export const DEGRADATIONS = ['clean', 'blur', 'noise', 'skew', 'jpeg', 'low-contrast'] as const;
export type Degradation = (typeof DEGRADATIONS)[number];

/** A degraded page and the parameters drawn for it (printed with the results, so a bad page can be redone). */
export interface DegradedPage extends RenderedPage {
  degradation: Degradation;
  params: Record<string, number>;
}

/** Rotates a point about the old centre and moves it into the enlarged canvas sharp.rotate() returns. */
function rotateQuad(box: Quad, degrees: number, from: [number, number], to: [number, number]): Quad {
  const rad = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(rad), Math.sin(rad)];
  const out: number[] = [];
  for (let i = 0; i < 8; i += 2) {
    const x = box[i]! - from[0] / 2;
    const y = box[i + 1]! - from[1] / 2;
    // Image y points down, so a positive (clockwise) angle uses this sign pattern.
    out.push(x * cos - y * sin + to[0] / 2, x * sin + y * cos + to[1] / 2);
  }
  return out as Quad;
}

/**
 * Applies one degradation with parameters drawn from `rng`:
 * blur (Gaussian, σ 1.0–1.6 px), noise (Gaussian per pixel, σ 20–32 grey levels), skew (±1.5–4°, white fill,
 * boxes rotated with the page), jpeg (quality 8–15), low-contrast (ink 110–140 on paper 185–210 instead of
 * 0 on 255).
 */
export async function degradePage(
  page: RenderedPage,
  degradation: Degradation,
  rng: SeededRandom,
): Promise<DegradedPage> {
  const base = { ...page, degradation };
  switch (degradation) {
    case 'clean':
      return { ...base, params: {} };
    case 'blur': {
      const sigma = round2(rng.between(1.0, 1.6));
      const image = await sharp(page.image).blur(sigma).greyscale().png().toBuffer();
      return { ...base, image, params: { sigma } };
    }
    case 'noise': {
      const sigma = round2(rng.between(20, 32));
      const { data, info } = await sharp(page.image).greyscale().raw().toBuffer({ resolveWithObject: true });
      const noisy = Buffer.alloc(data.length);
      for (let i = 0; i < data.length; i++) {
        noisy[i] = Math.max(0, Math.min(255, Math.round(data[i]! + sigma * rng.gaussian())));
      }
      const image = await sharp(noisy, { raw: { width: info.width, height: info.height, channels: 1 } })
        .png()
        .toBuffer();
      return { ...base, image, params: { sigma } };
    }
    case 'skew': {
      const magnitude = rng.between(1.5, 4);
      const degrees = round2(rng.next() < 0.5 ? -magnitude : magnitude);
      const { data, info } = await sharp(page.image)
        .rotate(degrees, { background: '#ffffff' })
        .greyscale()
        .png()
        .toBuffer({ resolveWithObject: true });
      const lines = page.lines.map((l) => ({
        text: l.text,
        box: rotateQuad(l.box, degrees, [page.width, page.height], [info.width, info.height]),
      }));
      return { ...base, image: data, width: info.width, height: info.height, lines, params: { degrees } };
    }
    case 'jpeg': {
      const quality = Math.round(rng.between(8, 15));
      const image = await sharp(page.image).jpeg({ quality }).toBuffer();
      return { ...base, image, format: 'jpeg', params: { quality } };
    }
    case 'low-contrast': {
      const ink = Math.round(rng.between(110, 140));
      const paper = Math.round(rng.between(185, 210));
      const image = await sharp(page.image)
        .greyscale()
        .linear((paper - ink) / 255, ink)
        .png()
        .toBuffer();
      return { ...base, image, params: { ink, paper } };
    }
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
