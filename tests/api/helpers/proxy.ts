/**
 * A TCP proxy the test controls, put between a server and its store to simulate outages without touching the
 * shared PostgreSQL / Redis:
 * - `refuse()`: stop listening and cut every connection (the port refuses connections, like a stopped server);
 * - `blackhole()`: keep accepting, but forward nothing either way (like a network that drops packets); what
 *   arrives meanwhile is held, as TCP would keep retransmitting it;
 * - `restore()`: forward again (held bytes are delivered in order, as after a healed partition).
 */
import net from "node:net";

type Mode = "up" | "blackhole" | "refuse";

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Bytes waiting while blackholed, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

export class TcpProxy {
  private mode: Mode = "up";
  private server: net.Server;
  private readonly pairs = new Set<Pair>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {
    this.server = this.makeServer();
  }

  /** Listens on a free port of 127.0.0.1 and forwards to host:port. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const probe = net.createServer();
    const free = await new Promise<number>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(0, "127.0.0.1", () => resolve((probe.address() as net.AddressInfo).port));
    });
    await new Promise<void>((r) => probe.close(() => r()));
    const proxy = new TcpProxy(free, { host, port });
    await proxy.listen();
    return proxy;
  }

  /** `url` with its host and port replaced by this proxy's. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }

  get connections(): number {
    return this.pairs.size;
  }

  private makeServer(): net.Server {
    const server = net.createServer((client) => this.accept(client));
    server.on("error", () => {});
    return server;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    if (this.mode === "refuse") {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null, toUpstream: [], toClient: [] };
    this.pairs.add(pair);
    client.setNoDelay(true);
    client.on("data", (d) => {
      if (this.mode === "up" && pair.upstream) pair.upstream.write(d);
      else pair.toUpstream.push(d);
    });
    const drop = () => this.drop(pair);
    client.on("error", drop);
    client.on("close", drop);
    if (this.mode === "up") this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    const upstream = net.connect(this.target.port, this.target.host);
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    upstream.on("connect", () => this.flush(pair));
    upstream.on("data", (d) => {
      if (this.mode === "up") pair.client.write(d);
      else pair.toClient.push(d);
    });
    const drop = () => this.drop(pair);
    upstream.on("error", drop);
    upstream.on("close", drop);
  }

  private flush(pair: Pair): void {
    if (this.mode !== "up") return;
    for (const d of pair.toUpstream.splice(0)) pair.upstream?.write(d);
    for (const d of pair.toClient.splice(0)) pair.client.write(d);
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  /** Accept connections but forward nothing, either way, until `restore()`. */
  blackhole(): void {
    this.mode = "blackhole";
  }

  /** Refuse new connections and cut the open ones. */
  async refuse(): Promise<void> {
    this.mode = "refuse";
    for (const p of [...this.pairs]) this.drop(p);
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Forward again: listen again after `refuse()`, deliver held bytes after `blackhole()`. */
  async restore(): Promise<void> {
    const was = this.mode;
    this.mode = "up";
    if (was === "refuse") {
      this.server = this.makeServer();
      await this.listen();
    }
    for (const p of this.pairs) {
      if (!p.upstream) this.connectUpstream(p);
      else this.flush(p);
    }
  }

  async close(): Promise<void> {
    this.mode = "refuse";
    for (const p of [...this.pairs]) this.drop(p);
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
