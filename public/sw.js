/**
 * Stampede's service worker: the app shell, and the clicks on notifications it shows.
 *
 * - Pages always come from the network; when it is unreachable the cached offline page answers
 *   instead of the browser's error page.
 * - Next.js's static files (/_next/static, content-hashed, so never stale) and the icons come
 *   from the cache once fetched, and the offline page's own files are cached when it is installed.
 * - Everything else, above all /api/* (answers, reply streams, sessions), is left to the network
 *   untouched: never cached, never answered from here.
 */
const VERSION = "v1";
const SHELL_CACHE = `stampede-shell-${VERSION}`;
const OFFLINE_URL = "/offline";
const SHELL_FILES = [OFFLINE_URL, "/manifest.webmanifest", "/icon.svg", "/icons/icon-192.png", "/icons/icon-512.png"];

const isCachedAsset = (url) => url.pathname.startsWith("/_next/static/") || url.pathname.startsWith("/icons/") || url.pathname === "/icon.svg";

/** The offline page and the static files its HTML names, so it renders styled with no network. */
async function cacheShell() {
  const cache = await caches.open(SHELL_CACHE);
  await cache.addAll(SHELL_FILES);
  const html = await (await cache.match(OFFLINE_URL)).text();
  const assets = new Set(Array.from(html.matchAll(/\/_next\/static\/[^"'\s)]+/g), (match) => match[0]));
  await cache.addAll([...assets]);
}

self.addEventListener("install", (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== SHELL_CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

async function fromCacheFirst(request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function pageOrOffline(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const offline = await caches.match(OFFLINE_URL);
    if (offline) return offline;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") event.respondWith(pageOrOffline(request));
  else if (isCachedAsset(url)) event.respondWith(fromCacheFirst(request));
});

/**
 * A notification shown through the registration (where pages may not construct one, as on
 * Android) opens its chat: the tab already on it, else any of the app's tabs, else a new one.
 */
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url ?? "/", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const tab = tabs.find((client) => client.url === target) ?? tabs[0];
      if (!tab) return self.clients.openWindow(target);
      await tab.focus();
      if (tab.url !== target) await tab.navigate(target);
    })(),
  );
});
