/**
 * `npm start`: Next.js's production server, with one step in front of it. A route handler sees
 * headers only, never the socket, and every header can be written by the client; so this server
 * writes the address the connection came from into a header of its own, replacing any value a
 * client sent, and per-network limits count that address when no proxy is trusted
 * (lib/limits/client-ip.ts, TRUSTED_PROXY_HOPS=0). Behind a proxy it is the proxy's address,
 * and the limits read the address the proxy forwards instead.
 *
 * Run with node itself (its type stripping), so nothing but Next.js loads in the server process.
 * Arguments as `next start` takes them: `-p <port>` (else PORT, else 3000), `-H <hostname>`.
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import next from "next";
import { SOCKET_ADDRESS_HEADER } from "../lib/limits/socket-address.mts";

const { values } = parseArgs({
  options: { port: { type: "string", short: "p" }, hostname: { type: "string", short: "H" } },
});
// PORT as `next start` reads it; the app's own configuration (lib/config.ts) reads it too.
const port = Number(values.port ?? process.env.PORT ?? 3000);
const hostname = values.hostname;

const app = next({ dev: false, hostname: hostname ?? "localhost", port });
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer((request, response) => {
  request.headers[SOCKET_ADDRESS_HEADER] = request.socket.remoteAddress ?? "";
  void handle(request, response);
});
server.listen(port, hostname, () => {
  console.log(`stampede: listening on http://${hostname ?? "localhost"}:${port}`);
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    // Open reply streams would hold the close; a stopped server ends them.
    server.closeAllConnections();
  });
}
