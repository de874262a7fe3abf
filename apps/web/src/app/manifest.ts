/**
 * The web app manifest (served at /manifest.webmanifest; Next links it from every page): what a
 * browser needs to install Parley as an app that opens on /app in its own window. The colours are
 * globals.css's backgrounds; the browser's title bar follows the OS theme through the root
 * layout's `viewport.themeColor` (a manifest holds one colour). Icons: public/icons, rendered
 * from apps/web/assets/*.svg by scripts/make-icons.mjs.
 */
import type { MetadataRoute } from "next";

/** Light theme background (`--bg`), the manifest's and the light title bar's colour. */
export const THEME_LIGHT = "#ffffff";
/** Dark theme background (`--bg` under prefers-color-scheme: dark). */
export const THEME_DARK = "#16181d";

export default function manifest(): MetadataRoute.Manifest {
  return {
    id: "/app",
    name: "Parley",
    short_name: "Parley",
    description: "Self-hosted team chat",
    start_url: "/app",
    scope: "/",
    display: "standalone",
    background_color: THEME_LIGHT,
    theme_color: THEME_LIGHT,
    icons: [
      { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
      { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
      { src: "/icons/icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
    ],
  };
}
