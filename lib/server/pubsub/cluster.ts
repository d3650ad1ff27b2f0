import "server-only";
import { EventEmitter } from "node:events";
import { v7 as uuidv7 } from "uuid";
import type { StoreConfig } from "../../checkpoint/factory";
import type { EventBus, ThreadEvent } from "../events";
import type { ClusterNote, Envelope, Transport } from "./types";
import { errFields, log } from "../log";

export type { ClusterNote } from "./types";

/**
 * Live events across web instances that share one store, through the store's own pub/sub: PostgreSQL
 * LISTEN/NOTIFY or Redis pub/sub. Every event this instance's bus publishes about a thread (a checkpoint saved, a
 * run started or ended, ...) goes out as a small note; notes from the other instances reach `subscribe`rs here,
 * who read what they need from the store (the events route, the enqueue waiters, the cancel handler).
 *
 * SQLite, file and memory stores have no other instance to tell: there the cluster is never `live`, and readers
 * keep polling as before. While the connection is down `live` is false too (readers poll), and once it is back
 * every subscriber gets a `resync` so it can re-read what it may have missed meanwhile.
 */
const ANY = Symbol("any thread");
const RESYNC = Symbol("resync");

export class Cluster {
  readonly instanceId = uuidv7();
  private readonly emitter = new EventEmitter();
  private isLive = false;

  constructor(private readonly transport: Transport | null) {
    this.emitter.setMaxListeners(0);
    transport?.start(
      (payload) => this.receive(payload),
      (live) => {
        const back = live && !this.isLive;
        this.isLive = live;
        if (live) log().info({ pubsub: transport.name }, `live events across instances: ${transport.name} pub/sub connected`);
        if (back) this.emitter.emit(RESYNC);
      },
    );
  }

  /** Whether notes from other instances are arriving now (else: poll). */
  get live(): boolean {
    return this.isLive;
  }

  get kind(): string | null {
    return this.transport?.name ?? null;
  }

  /** Sends a note to the other instances; false when it could not go (no pub/sub, or the connection is down). */
  async send(note: ClusterNote): Promise<boolean> {
    if (!this.transport) return false;
    const env: Envelope = { ...note, origin: this.instanceId };
    return this.transport.publish(JSON.stringify(env));
  }

  /** Notes from other instances about one thread. */
  subscribe(threadId: string, fn: (note: ClusterNote) => void): () => void {
    const safe = guard(fn);
    this.emitter.on(`t:${threadId}`, safe);
    return () => this.emitter.off(`t:${threadId}`, safe);
  }

  /** Notes from other instances about any thread. */
  subscribeAll(fn: (note: ClusterNote) => void): () => void {
    const safe = guard(fn);
    this.emitter.on(ANY, safe);
    return () => this.emitter.off(ANY, safe);
  }

  /** Called when the connection is back after a loss: what was sent meanwhile was missed. */
  onResync(fn: () => void): () => void {
    this.emitter.on(RESYNC, fn);
    return () => this.emitter.off(RESYNC, fn);
  }

  /** Relays this instance's bus to the others (the custom events of nodes stay local: they can be large). */
  relay(bus: EventBus): () => void {
    if (!this.transport) return () => {};
    return bus.subscribeAll((e) => {
      const note = noteOf(e);
      if (note) void this.send(note);
    });
  }

  close(): Promise<void> {
    this.emitter.removeAllListeners();
    return this.transport?.close() ?? Promise.resolve();
  }

  private receive(payload: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(payload) as Envelope;
    } catch {
      return; // not ours
    }
    if (!env || typeof env !== "object" || typeof env.threadId !== "string" || env.origin === this.instanceId) return;
    const { origin: _origin, ...note } = env;
    this.emitter.emit(`t:${note.threadId}`, note);
    this.emitter.emit(ANY, note);
  }
}

function guard(fn: (note: ClusterNote) => void) {
  return (note: ClusterNote) => {
    try {
      fn(note);
    } catch (err) {
      log().error(errFields(err), "cluster listener failed");
    }
  };
}

export function noteOf(e: ThreadEvent): ClusterNote | null {
  switch (e.type) {
    case "checkpoint": {
      const cp = e.checkpoint as { checkpointId: string; version: number };
      return { kind: "checkpoint", threadId: e.threadId, checkpointId: cp.checkpointId, version: cp.version };
    }
    case "interrupt":
      return { kind: "interrupt", threadId: e.threadId, checkpointId: e.checkpointId };
    case "run_started":
      return { kind: "run_started", threadId: e.threadId, runId: e.runId };
    case "run_ended":
      return { kind: "run_ended", threadId: e.threadId, runId: e.runId, status: e.status };
    case "thread_updated":
      return { kind: "thread_updated", threadId: e.threadId, reason: e.reason };
    case "error":
      return { kind: "error", threadId: e.threadId };
    default:
      return null;
  }
}

/** The store's pub/sub, when it has one and WAYPOINT_PUBSUB does not turn it off. */
export async function createCluster(config: StoreConfig, enabled: boolean): Promise<Cluster> {
  if (!enabled) return new Cluster(null);
  if (config.kind === "postgres") {
    const { PgTransport } = await import("./postgres");
    return new Cluster(new PgTransport(config.url));
  }
  if (config.kind === "redis") {
    const { RedisTransport } = await import("./redis");
    return new Cluster(new RedisTransport(config.url, config.prefix ?? "waypoint:"));
  }
  return new Cluster(null);
}
