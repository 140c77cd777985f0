/**
 * The header `npm start`'s server (scripts/server.mts) writes the connection's own address into,
 * replacing whatever a client sent under that name. Kept apart from client-ip.ts so the server
 * script imports this one constant, not the app.
 */
export const SOCKET_ADDRESS_HEADER = "x-stampede-socket-address";
