/** The web app manifest (/manifest.webmanifest): what makes Stampede installable as an app. */
import type { MetadataRoute } from "next";

export default function manifest(): MetadataRoute.Manifest {
  return {
    id: "/",
    name: "Stampede",
    short_name: "Stampede",
    description: "An open-source LLM chat that stays up when a thousand people arrive at once.",
    start_url: "/",
    scope: "/",
    display: "standalone",
    // The light theme's colours (app/layout.tsx): the splash screen and title bar before the page paints.
    background_color: "#ffffff",
    theme_color: "#ffffff",
    categories: ["productivity"],
    icons: [
      { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
      { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
      { src: "/icons/maskable-192.png", sizes: "192x192", type: "image/png", purpose: "maskable" },
      { src: "/icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
      { src: "/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" },
    ],
  };
}
