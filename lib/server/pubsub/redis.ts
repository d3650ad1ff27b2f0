import "server-only";
import { Redis } from "ioredis";
import type { Transport } from "./types";
import { log } from "../log";

/**
 * Redis pub/sub on `<prefix>events` (the store's key prefix, so deployments sharing a Redis stay apart). A
 * subscribed connection can only listen, so sending uses a second connection, which fails at once while Redis is
 * down (no offline queue: a note that cannot go now is worthless later). ioredis reconnects and re-subscribes.
 */
export class RedisTransport implements Transport {
  readonly name = "redis";
  private readonly sub: Redis;
  private readonly pub: Redis;
  private readonly channel: string;
  private live = false;
  private closed = false;

  constructor(url: string, prefix: string) {
    this.channel = `${prefix}events`;
    const retryStrategy = (times: number) => Math.min(10_000, 250 * 2 ** Math.min(times, 6));
    this.sub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy, connectionName: `waypoint-listen:${prefix}` });
    this.pub = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy,
      connectionName: `waypoint-notify:${prefix}`,
    });
    this.pub.on("error", () => {});
  }

  start(onMessage: (payload: string) => void, onState: (live: boolean) => void): void {
    const down = (why: string) => {
      if (!this.live || this.closed) return;
      this.live = false;
      log().warn({ pubsub: "redis" }, `live events: the Redis subscription was lost (${why}); polling until it is back`);
      onState(false);
    };
    this.sub.on("message", (channel: string, message: string) => {
      if (channel === this.channel) onMessage(message);
    });
    this.sub.on("error", (err: Error) => down(err.message));
    this.sub.on("close", () => down("connection closed"));
    // "ready" comes after every (re)connect; the subscription is made (again) before we call it live.
    this.sub.on("ready", () => {
      this.sub.subscribe(this.channel).then(
        () => {
          if (this.live) return;
          this.live = true;
          onState(true);
        },
        (err: Error) => down(err.message),
      );
    });
    this.sub.connect().catch(() => {}); // retried by the retry strategy
    this.pub.connect().catch(() => {});
  }

  async publish(payload: string): Promise<boolean> {
    try {
      await this.pub.publish(this.channel, payload);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
