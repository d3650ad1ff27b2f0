import "server-only";
import pg from "pg";
import type { Transport } from "./types";
import { log } from "../log";

/** The NOTIFY channel. NOTIFY is per database, so instances on different databases never hear each other. */
const CHANNEL = "waypoint_events";
/** How often the listening connection is probed: a half-open TCP connection raises no error by itself. */
const PROBE_MS = 10_000;

/**
 * PostgreSQL LISTEN/NOTIFY. One dedicated connection listens (a pooled one would lose the LISTEN when returned);
 * notes are sent with `pg_notify` through a pool of one connection of their own, so sending does not wait on the
 * listener, and notes leave (and arrive) in the order they were sent (a checkpoint's note before its run's end).
 * A lost listener reconnects with back-off (0.5 s doubling to 10 s).
 */
export class PgTransport implements Transport {
  readonly name = "postgres";
  private listener: pg.Client | null = null;
  private readonly pool: pg.Pool;
  private closed = false;
  private attempts = 0;
  private timer: NodeJS.Timeout | null = null;
  private probe: NodeJS.Timeout | null = null;

  constructor(private readonly url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 3_000, application_name: "waypoint-notify" });
    this.pool.on("error", () => {}); // an idle client that died; the pool replaces it
  }

  start(onMessage: (payload: string) => void, onState: (live: boolean) => void): void {
    const connect = async () => {
      if (this.closed) return;
      const client = new pg.Client({
        connectionString: this.url,
        keepAlive: true,
        application_name: "waypoint-listen",
        connectionTimeoutMillis: 3_000,
      });
      let lost = false;
      const drop = (why: string) => {
        if (lost) return;
        lost = true;
        if (this.probe) clearInterval(this.probe);
        this.probe = null;
        this.listener = null;
        client.end().catch(() => {});
        if (this.closed) return;
        onState(false);
        const wait = Math.min(10_000, 500 * 2 ** this.attempts++);
        log().warn({ pubsub: "postgres", retryMs: wait }, `live events: the LISTEN connection was lost (${why}); polling until it is back`);
        this.timer = setTimeout(() => void connect(), wait);
        this.timer.unref?.();
      };
      client.on("error", (err) => drop(err.message));
      client.on("end", () => drop("connection ended"));
      client.on("notification", (m) => {
        if (m.channel === CHANNEL && m.payload) onMessage(m.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
      } catch (err) {
        drop((err as Error).message);
        return;
      }
      if (lost) return;
      this.listener = client;
      this.attempts = 0;
      this.probe = setInterval(() => {
        client.query("SELECT 1").catch((err: Error) => drop(err.message));
      }, PROBE_MS);
      this.probe.unref?.();
      onState(true);
    };
    void connect();
  }

  async publish(payload: string): Promise<boolean> {
    try {
      await this.pool.query("SELECT pg_notify($1, $2)", [CHANNEL, payload]);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.probe) clearInterval(this.probe);
    await Promise.allSettled([this.listener?.end(), this.pool.end()]);
  }
}
