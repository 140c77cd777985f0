/** Small real files of each kind an attachment may be, for the API suites and the end-to-end specs. */

/** A 1×1 PNG. */
export const PNG_BYTES = new Uint8Array(
  Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64"),
);

/** A PDF of two pages, as a PDF writer lays one out (its page objects are what the token estimate counts). */
export const PDF_BYTES = new Uint8Array(
  Buffer.from(
    [
      "%PDF-1.4",
      "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
      "2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj",
      "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj",
      "4 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj",
      "trailer << /Root 1 0 R >>",
      "%%EOF",
    ].join("\n"),
    "latin1",
  ),
);

/** Text that calls itself an image: refused by content whatever its name says. */
export const NOT_AN_IMAGE = new Uint8Array(Buffer.from("<svg onload=alert(1)>not really a png</svg>"));
