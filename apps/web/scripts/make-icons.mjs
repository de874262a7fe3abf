/**
 * Renders the installable app's icons (public/icons/*.png, committed) from the SVGs in assets/:
 * 192 and 512 px "any" icons and a 512 px maskable one (full-bleed, the bubble inside the safe
 * zone). Run after changing an SVG: `npm run icons -w @parley/web`. sharp renders SVG
 * itself (librsvg inside its npm package), so nothing is downloaded.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

const root = join(import.meta.dirname, "..");
const out = join(root, "public", "icons");
mkdirSync(out, { recursive: true });

const icons = [
  { svg: "icon.svg", file: "icon-192.png", size: 192 },
  { svg: "icon.svg", file: "icon-512.png", size: 512 },
  { svg: "icon-maskable.svg", file: "icon-maskable-512.png", size: 512 },
];
for (const { svg, file, size } of icons) {
  await sharp(join(root, "assets", svg), { density: (72 * size) / 64 })
    .resize(size, size)
    .png({ compressionLevel: 9, palette: true })
    .toFile(join(out, file));
  console.log(`public/icons/${file}`);
}
