/** Photos prepared in the browser before upload: huge ones shrunk, rotated or cropped on request. */

/** The longest side an uploaded photo keeps; the model sees far fewer pixels anyway. */
export const MAX_SIDE = 2048;

export interface PickedImage {
  id: number;
  name: string;
  blob: Blob;
  url: string;
}

let nextId = 1;

async function draw(
  blob: Blob,
  transform: (
    w: number,
    h: number,
  ) => { cw: number; ch: number; paint: (c: CanvasRenderingContext2D, img: ImageBitmap) => void },
): Promise<Blob> {
  const bitmap = await createImageBitmap(blob);
  const { cw, ch, paint } = transform(bitmap.width, bitmap.height);
  const canvas = document.createElement('canvas');
  canvas.width = cw;
  canvas.height = ch;
  paint(canvas.getContext('2d')!, bitmap);
  bitmap.close();
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('The image could not be encoded.'))),
      'image/jpeg',
      0.9,
    ),
  );
}

/** A picked file as an image to send: shrunk to MAX_SIDE when larger (JPEG), otherwise the file as it is. */
export async function pickImage(file: File): Promise<PickedImage> {
  let blob: Blob = file;
  try {
    const bitmap = await createImageBitmap(file);
    const { width, height } = bitmap;
    bitmap.close();
    if (Math.max(width, height) > MAX_SIDE) {
      const scale = MAX_SIDE / Math.max(width, height);
      blob = await draw(file, (w, h) => ({
        cw: Math.round(w * scale),
        ch: Math.round(h * scale),
        paint: (c, img) => c.drawImage(img, 0, 0, Math.round(w * scale), Math.round(h * scale)),
      }));
    }
  } catch {
    // Not decodable here (HEIC, a PDF): send it as it is and let the server judge it.
  }
  return { id: nextId++, name: file.name || 'image', blob, url: URL.createObjectURL(blob) };
}

/** The image turned 90° clockwise. */
export async function rotateImage(image: PickedImage): Promise<PickedImage> {
  const blob = await draw(image.blob, (w, h) => ({
    cw: h,
    ch: w,
    paint: (c, img) => {
      c.translate(h, 0);
      c.rotate(Math.PI / 2);
      c.drawImage(img, 0, 0);
    },
  }));
  URL.revokeObjectURL(image.url);
  return { ...image, blob, url: URL.createObjectURL(blob) };
}

/** A crop as fractions of the image (0–1), so it holds at any display size. */
export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The central part of an image (`keep` of each side): the crop offered before any dragging. */
export const centreCrop = (keep = 0.8): CropRect => ({
  x: (1 - keep) / 2,
  y: (1 - keep) / 2,
  width: keep,
  height: keep,
});

/** The image cut to `rect`, to leave out a table top or a hand around a page. */
export async function cropImage(image: PickedImage, rect: CropRect): Promise<PickedImage> {
  const blob = await draw(image.blob, (w, h) => {
    const cw = Math.max(1, Math.round(w * rect.width));
    const ch = Math.max(1, Math.round(h * rect.height));
    return { cw, ch, paint: (c, img) => c.drawImage(img, -Math.round(w * rect.x), -Math.round(h * rect.y)) };
  });
  URL.revokeObjectURL(image.url);
  return { ...image, blob, url: URL.createObjectURL(blob) };
}
