/**
 * A TCP proxy in front of a real server (PostgreSQL, Redis) that a test can cut, or have lose one
 * answer: the faults a network puts between the app and its services.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Set by `loseAnswerTo`: the request text whose answer is to be lost, and who to tell. */
  private losing?: { marker: string; lost: () => void };

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      let answerToLose = false;
      client.on("data", (data: Buffer) => {
        if (this.losing && data.includes(this.losing.marker)) answerToLose = true;
        upstream.write(data);
      });
      upstream.on("data", (data: Buffer) => {
        if (!answerToLose) {
          client.write(data);
          return;
        }
        // The server has done what was asked; its answer never arrives and the connection drops,
        // as when a network fails between the request and its response.
        const { lost } = this.losing!;
        this.losing = undefined;
        client.destroy();
        upstream.destroy();
        lost();
      });
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
  }

  /**
   * Forwards the next request whose bytes contain `marker`, drops the server's answer to it and
   * the connection it came on. Resolves once that answer was lost.
   */
  loseAnswerTo(marker: string): Promise<void> {
    return new Promise((lost) => {
      this.losing = { marker, lost };
    });
  }

  /** Drops every open connection and refuses new ones, as a crashed or unreachable server does. */
  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
