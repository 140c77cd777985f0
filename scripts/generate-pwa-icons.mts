/**
 * Renders the web app manifest's icons (app/manifest.ts) from the app's icon, app/icon.svg, into
 * public/icons/: "any" icons as the SVG draws them, and maskable ones whose mark sits inside the
 * safe zone (the middle 80 %) on a full-bleed background, since a launcher may crop them to any
 * shape. Run after changing the icon: `npx tsx scripts/generate-pwa-icons.mts`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
// sharp comes with Next.js (its image optimiser), so the script needs no dependency of its own.
import sharp from "sharp";

const root = path.resolve(import.meta.dirname, "..");
const icon = readFileSync(path.join(root, "app/icon.svg"), "utf8");
const background = /<rect[^>]*fill="([^"]+)"/.exec(icon)?.[1];
const mark = /<path[^>]*\/>/.exec(icon)?.[0];
if (!background || !mark) throw new Error("app/icon.svg is not the rounded square with one path this script expects");

/** The mark at 60 % of the canvas, centred: within the maskable safe zone with room to spare. */
const maskable = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" fill="${background}"/><g transform="translate(6.4 6.4) scale(0.6)">${mark}</g></svg>`;

const outputs = [
  { file: "icon-192.png", svg: icon, size: 192 },
  { file: "icon-512.png", svg: icon, size: 512 },
  { file: "maskable-192.png", svg: maskable, size: 192 },
  { file: "maskable-512.png", svg: maskable, size: 512 },
];

for (const { file, svg, size } of outputs) {
  await sharp(Buffer.from(svg), { density: (72 * size) / 32 })
    .resize(size, size)
    .png()
    .toFile(path.join(root, "public/icons", file));
  console.log(`public/icons/${file}`);
}
