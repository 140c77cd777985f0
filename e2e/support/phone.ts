import { test } from "./fixtures";

/** A 390 × 844 touch phone in Chromium (Playwright's iPhone presets run WebKit). */
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;

/** Defines the tests in `define` twice: on the default desktop and on a phone. */
export function onDesktopAndPhone(define: () => void): void {
  for (const [size, use] of [
    ["desktop", {}],
    ["phone", PHONE],
  ] as const) {
    test.describe(`on a ${size}`, () => {
      test.use(use);
      define();
    });
  }
}
