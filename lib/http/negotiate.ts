/**
 * Content negotiation for answers offered in several formats: the format the request's Accept
 * prefers, and compression by its Accept-Encoding. Web-standard Request and Response only.
 */
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";

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

export type ContentEncoding = "br" | "gzip";

/** Brotli first: smaller than gzip at a similar cost at the quality used below. */
const ENCODINGS: readonly ContentEncoding[] = ["br", "gzip"];

/** The encoding Accept-Encoding rates highest, ours breaking ties; null for none. */
export function pickEncoding(acceptEncoding: string | null): ContentEncoding | null {
  const codings = parsePreferences(acceptEncoding);
  let best: { encoding: ContentEncoding; q: number } | null = null;
  for (const encoding of ENCODINGS) {
    const q = (codings.find((coding) => coding.value === encoding) ?? codings.find((coding) => coding.value === "*"))?.q ?? 0;
    if (q > 0 && (!best || q > best.q)) best = { encoding, q };
  }
  return best?.encoding ?? null;
}

// zlib hands back Buffers over plain ArrayBuffers, which is what a Response body takes.
const brotliAsync = promisify(brotliCompress) as (body: Uint8Array, options: object) => Promise<Buffer<ArrayBuffer>>;
const gzipAsync = promisify(gzip) as (body: Uint8Array) => Promise<Buffer<ArrayBuffer>>;

/** Below this, compression saves a few dozen bytes at best: not worth the CPU. */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

const compressors: Record<ContentEncoding, (body: Uint8Array) => Promise<Buffer<ArrayBuffer>>> = {
  // Quality 5, not the default 11: that one is meant for static files and is far slower.
  br: (body) => brotliAsync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } }),
  gzip: (body) => gzipAsync(body),
};

export function compress(body: Uint8Array, encoding: ContentEncoding): Promise<Buffer<ArrayBuffer>> {
  return compressors[encoding](body);
}

/**
 * A 200 answer of `body`, compressed when the request accepts an encoding and the body is large
 * enough. Its Vary names both headers, as the format and the encoding depend on them.
 */
export async function negotiatedResponse(
  request: Request,
  body: Uint8Array<ArrayBuffer>,
  contentType: string,
): Promise<Response> {
  const headers = new Headers({ "Content-Type": contentType, Vary: "Accept, Accept-Encoding" });
  const encoding = body.byteLength > COMPRESSION_THRESHOLD_BYTES ? pickEncoding(request.headers.get("accept-encoding")) : null;
  if (!encoding) return new Response(body, { headers });
  headers.set("Content-Encoding", encoding);
  return new Response(await compress(body, encoding), { headers });
}
