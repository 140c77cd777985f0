/**
 * Content negotiation for answers offered in several formats: the format the request's Accept
 * prefers. Web-standard Request and Response only.
 */
interface Preference {
  value: string;
  q: number;
  /** Place in the header: among equals, what the client listed first is what it prefers. */
  index: number;
}

/** `a/b;q=0.5, c/d` → [{ value: "a/b", q: 0.5 }, { value: "c/d", q: 1 }]; parameters other than q are ignored. */
function parsePreferences(header: string | null): Preference[] {
  if (!header) return [];
  return header.split(",").flatMap((item, index) => {
    const [value, ...params] = item.split(";").map((piece) => piece.trim().toLowerCase());
    if (!value) return [];
    const qParam = params.find((param) => param.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    return Number.isFinite(q) ? [{ value, q, index }] : [];
  });
}

/** How a media range matches a type: 3 exactly, 2 by `type/*`, 1 by `*\/*`, 0 not at all. */
function specificity(range: string, type: string): number {
  if (range === type) return 3;
  if (range === "*/*") return 1;
  return range.endsWith("/*") && type.startsWith(range.slice(0, -1)) ? 2 : 0;
}

/**
 * The offered media type the Accept header prefers: highest q by its most specific matching
 * range, then the more specific match, then the one listed first. Without an Accept header, or
 * when it accepts none of them, the first offered (the default) is answered rather than a 406.
 */
export function pickMediaType<T extends string>(accept: string | null, offered: readonly [T, ...T[]]): T {
  const ranges = parsePreferences(accept);
  let best: { type: T; q: number; specificity: number; index: number } | undefined;
  for (const type of offered) {
    let match: Preference | undefined;
    let matchSpecificity = 0;
    for (const range of ranges) {
      const s = specificity(range.value, type);
      if (s > matchSpecificity) [match, matchSpecificity] = [range, s];
    }
    if (!match || match.q <= 0) continue;
    const candidate = { type, q: match.q, specificity: matchSpecificity, index: match.index };
    if (
      !best ||
      candidate.q > best.q ||
      (candidate.q === best.q && candidate.specificity > best.specificity) ||
      (candidate.q === best.q && candidate.specificity === best.specificity && candidate.index < best.index)
    ) {
      best = candidate;
    }
  }
  return best?.type ?? offered[0];
}

/**
 * A 200 answer of `body` in the negotiated format. Not compressed here: Next.js drops a route
 * handler's Content-Encoding header (and would gzip the compressed body again), so compression is
 * left to the servers in front: `next start` gzips JSON, a proxy like deploy/nginx.conf both formats.
 */
export function negotiatedResponse(body: Uint8Array<ArrayBuffer>, contentType: string): Response {
  return new Response(body, { headers: { "Content-Type": contentType, Vary: "Accept" } });
}
