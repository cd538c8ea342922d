import sharp from 'sharp';

/** The picture formats lessons may carry (uploads and imports): never SVG, which can hold script. */
export const ImageTypes = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type ImageType = (typeof ImageTypes)[number];

export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
export const MAX_IMAGE_PIXELS = 40_000_000;
/** Stored pictures fit in this box: sharp enough for a projector, small enough for tablets on weak Wi-Fi. */
export const MAX_IMAGE_SIDE = 1280;

export const extensionOf: Record<ImageType, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };
export const isImageType = (type: string): type is ImageType => (ImageTypes as readonly string[]).includes(type);

/** The format the bytes really are, by their magic numbers (whatever the name or the Content-Type say). */
export function sniffImage(bytes: Uint8Array): ImageType | undefined {
  const at = (offset: number, ...values: number[]) => values.every((v, i) => bytes[offset + i] === v);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  return undefined;
}

export type ImageResult =
  | { ok: true; bytes: Buffer; type: ImageType; width: number; height: number }
  | { ok: false; code: 'image_type' | 'image_too_large'; message: string };

/**
 * Check a picture and re-encode it: the bytes must be the declared format, at most 8 MB and
 * 40 megapixels; the result fits 1280×1280 (never upscaled), is turned upright, and carries no
 * metadata (no GPS position from a phone photo), in the same format.
 */
export async function processImage(bytes: Buffer, declared: string): Promise<ImageResult> {
  if (bytes.length > MAX_IMAGE_BYTES) return { ok: false, code: 'image_too_large', message: 'The image is over 8 MB.' };
  const type = sniffImage(bytes);
  if (!type || type !== declared) {
    return { ok: false, code: 'image_type', message: 'Only PNG, JPEG or WebP, and the bytes must be the declared type.' };
  }
  const meta = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  if (!meta?.width || !meta.height) return { ok: false, code: 'image_type', message: 'The image cannot be read.' };
  if (meta.width * meta.height > MAX_IMAGE_PIXELS) {
    return { ok: false, code: 'image_too_large', message: 'The image is over 40 megapixels.' };
  }
  try {
    const pipeline = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error', autoOrient: true }).resize({
      width: MAX_IMAGE_SIDE,
      height: MAX_IMAGE_SIDE,
      fit: 'inside',
      withoutEnlargement: true,
    });
    const encoded =
      type === 'image/png'
        ? pipeline.png({ compressionLevel: 9 })
        : type === 'image/jpeg'
          ? pipeline.jpeg({ quality: 82, mozjpeg: true })
          : pipeline.webp({ quality: 80 });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return { ok: true, bytes: data, type, width: info.width, height: info.height };
  } catch {
    return { ok: false, code: 'image_type', message: 'The image cannot be read.' };
  }
}
