/**
 * A link preview's image (og:image / twitter:image), made safe to show from Parley's own origin.
 * The browser never loads the third-party URL (privacy: the sender would learn who read the
 * message; mixed content; the CSP's img-src stays 'self' + storage). Instead, once per page:
 * - the image URL is fetched by the server with fetchResource (fetch.ts): the same SSRF guard as
 *   the page (DNS first, global unicast only unless allow-listed, pinned address, redirects
 *   re-checked, one deadline, no cookies), only `image/png|jpeg|gif|webp` answers, and a body
 *   over PREVIEW_IMAGE_MAX_BYTES is refused (by Content-Length, or while streaming);
 * - the bytes must really be one of those formats: sharp reads the header (never an SVG, TIFF,
 *   HEIF…, whatever the server claimed) and its pixel count before decoding (a decompression
 *   bomb is refused without being decoded);
 * - sharp re-encodes it as a WebP of at most PREVIEW_IMAGE_MAX_PX per side (EXIF rotation
 *   applied, metadata dropped, an animation's first frame), so what is stored and served is
 *   pixels Parley wrote.
 * Loads sharp: the previewer imports this module only when an image is to be fetched.
 */
import sharp from "sharp";
import { fetchResource, type TPageFetchOptions, type TResourceKind } from "./fetch.ts";

/** Largest image body fetched (bytes). */
export const PREVIEW_IMAGE_MAX_BYTES = 5 * 1024 * 1024;
/** Most pixels the fetched image may have (width × height, from its header): 40 MP. */
export const PREVIEW_IMAGE_MAX_PIXELS = 40_000_000;
/** The stored thumbnail fits in this square (pixels; never enlarged). */
export const PREVIEW_IMAGE_MAX_PX = 480;

/** The formats accepted, as sharp names them (the decoded header, not the server's word). */
const FORMATS = new Set(["png", "jpeg", "gif", "webp"]);

const IMAGE_KIND: TResourceKind = {
  accept: "image/webp,image/png,image/jpeg,image/gif;q=0.9",
  types: new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]),
  read: "whole",
};

/** A re-encoded preview image (WebP bytes and their size). */
export type TPreviewImage = { bytes: Buffer; width: number; height: number };

/** The image for a preview, or why there is none (`reason` is logged and tested, never shown). */
export type TPreviewImageFetch = { isOk: true; image: TPreviewImage } | { isOk: false; reason: string };

/** Fetches and re-encodes the image at `url` under the rules in the header. Never throws. */
export async function fetchPreviewImage(
  url: string,
  options: Partial<TPageFetchOptions> & { imageMaxBytes?: number } = {},
): Promise<TPreviewImageFetch> {
  const { imageMaxBytes, ...fetchOptions } = options;
  const got = await fetchResource(url, IMAGE_KIND, {
    ...fetchOptions,
    maxBytes: imageMaxBytes ?? PREVIEW_IMAGE_MAX_BYTES,
  });
  if (!got.isOk) return got;
  try {
    const sharpOptions = { limitInputPixels: false, failOn: "error" } as const;
    const meta = await sharp(got.body, sharpOptions).metadata();
    if (!meta.format || !FORMATS.has(meta.format)) return { isOk: false, reason: `format ${meta.format}` };
    if (!meta.width || !meta.height) return { isOk: false, reason: "no dimensions" };
    if (meta.width * meta.height > PREVIEW_IMAGE_MAX_PIXELS)
      return { isOk: false, reason: "too many pixels" };
    const { data, info } = await sharp(got.body, {
      ...sharpOptions,
      limitInputPixels: PREVIEW_IMAGE_MAX_PIXELS,
    })
      .rotate()
      .resize(PREVIEW_IMAGE_MAX_PX, PREVIEW_IMAGE_MAX_PX, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 78 })
      .toBuffer({ resolveWithObject: true });
    return { isOk: true, image: { bytes: data, width: info.width, height: info.height } };
  } catch {
    return { isOk: false, reason: "cannot be decoded" };
  }
}
