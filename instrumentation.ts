// Runs once when the server starts. NEXT_RUNTIME is a build-time constant Next.js sets, read here
// (and only here) so the edge bundle drops the Node-only boot code entirely.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { bootCheck } = await import("./lib/boot");
    bootCheck();
  }
}
