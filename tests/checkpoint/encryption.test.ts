/**
 * Encryption at rest (lib/checkpoint/crypto.ts, encrypted.ts) on the stores that keep bytes somewhere: a marker
 * put in a state, a write, an interrupt, a pending write and a metadata value is found by `load` and nowhere in
 * the raw SQLite file, the PostgreSQL rows, the Redis values or the JSON files. Then key rotation, a wrong or
 * missing key (a clear ENCRYPTION_KEY error, never ciphertext as state), and rows written before encryption
 * was turned on staying readable. Stores are opened through the factory, as the server and the CLI open them.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createKeyring, keyringFromEnv, SEALED_PREFIX, type Keyring } from "../../lib/checkpoint/crypto";
import { createStore, type StoreConfig } from "../../lib/checkpoint/factory";
import type { Checkpoint, CheckpointStore } from "../../lib/checkpoint/types";
import { isWaypointError } from "../../lib/errors";
import { cp } from "../conformance/suite-helpers";

const MARKER = "s3cr3t-marker-7f2a";
const PG_ADMIN = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const tmp = mkdtempSync(path.join(os.tmpdir(), "wtc-enc-"));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
});

const key = () => randomBytes(32).toString("base64");

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A backend's fresh backing storage, how to open it with a ring, and every byte it holds. */
interface Backing {
  config: StoreConfig;
  raw(store: CheckpointStore): Promise<string>;
}

function filesUnder(dir: string): string {
  let out = "";
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    out += statSync(p).isDirectory() ? filesUnder(p) : readFileSync(p).toString("latin1");
  }
  return out;
}

const backings: Record<string, () => Promise<Backing>> = {
  sqlite: async () => {
    const dir = mkdtempSync(path.join(tmp, "sqlite-"));
    return { config: { kind: "sqlite", url: `file:${dir}/w.db` }, raw: async () => filesUnder(dir) }; // the .db, -wal and -shm files
  },
  file: async () => {
    const dir = mkdtempSync(path.join(tmp, "files-"));
    return { config: { kind: "file", dir }, raw: async () => filesUnder(dir) };
  },
  postgres: async () => {
    const name = `wtc_enc_${randomBytes(5).toString("hex")}`;
    await admin((c) => c.query(`CREATE DATABASE "${name}"`));
    cleanups.push(() => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}));
    const url = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
    return {
      config: { kind: "postgres", url },
      raw: async () => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          const tables = await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
          let out = "";
          for (const t of tables.rows) out += (await c.query(`SELECT t::text AS r FROM "${t.tablename}" t`)).rows.map((r) => r.r).join("\n");
          return out;
        } finally {
          await c.end();
        }
      },
    };
  },
  redis: async () => {
    const prefix = `wtc:enc:${randomBytes(5).toString("hex")}:`;
    cleanups.push(async () => {
      const r = new Redis(REDIS_URL);
      try {
        const keys = await r.keys(`${prefix}*`);
        if (keys.length) await r.del(...keys);
      } finally {
        r.disconnect();
      }
    });
    return {
      config: { kind: "redis", url: REDIS_URL, prefix },
      raw: async (store) => {
        const redis = (store as unknown as { redis: import("ioredis").Redis }).redis;
        const keys = await redis.keys(`${prefix}*`);
        let out = "";
        for (const k of keys) {
          const type = await redis.type(k);
          const v =
            type === "string"
              ? await redis.get(k)
              : type === "hash"
                ? await redis.hgetall(k)
                : type === "list"
                  ? await redis.lrange(k, 0, -1)
                  : type === "zset"
                    ? await redis.zrange(k, 0, -1, "WITHSCORES")
                    : type === "set"
                      ? await redis.smembers(k)
                      : `(${type})`;
          out += JSON.stringify(v);
        }
        return out;
      },
    };
  },
};

async function open(b: Backing, keyring: Keyring | null): Promise<CheckpointStore> {
  const store = await createStore({ ...b.config, keyring });
  await store.setup();
  return store;
}

/** A thread whose secrets sit in every sealed place: state (a value and list items), writes, interrupt, pending write, metadata. */
async function writeSecrets(store: CheckpointStore, thread: string): Promise<Checkpoint[]> {
  const a = await store.save(
    cp(thread, null, { state: { note: `${MARKER}-0`, log: [] }, metadata: { source: "input", writes: [], user: `${MARKER}-u` } }),
  );
  const saved = [a];
  let parent = a;
  for (let i = 1; i <= 20; i++) {
    const item = { text: `${MARKER}-${i}` };
    parent = await store.save(
      cp(thread, parent, {
        step: i,
        state: { note: `${MARKER}-0`, log: [...(parent.state.log as unknown[]), item] },
        metadata: { source: "loop", writes: [{ node: "work", channel: "log", value: [item] }] },
        interrupts: i === 20 ? [{ id: "i1", node: "work", kind: "dynamic", value: { ask: `${MARKER}-ask` } }] : [],
      }),
    );
    saved.push(parent);
  }
  await store.putWrites(parent.id, [{ node: "other", channel: "log", value: `${MARKER}-pending` }]);
  saved[saved.length - 1] = await store.load(parent.id);
  return saved;
}

describe.each(Object.keys(backings))("encryption at rest: %s", (kind) => {
  it("finds no marker in the raw bytes, loads every value back, and keeps deltas deltas", async () => {
    const b = await backings[kind]();
    const ring = createKeyring(key());
    const store = await open(b, ring);
    try {
      const thread = `t-${randomBytes(4).toString("hex")}`;
      const saved = await writeSecrets(store, thread);
      const last = saved[saved.length - 1];
      expect(last.state.log).toHaveLength(20);
      expect(last.interrupts[0].value).toEqual({ ask: `${MARKER}-ask` });
      expect(last.pendingWrites[0].value).toBe(`${MARKER}-pending`);
      expect(saved[0].metadata.user).toBe(`${MARKER}-u`);
      // A second process (fresh instance, nothing cached) reads the same values.
      const second = await open(b, ring);
      try {
        expect(await second.list(thread)).toEqual(saved);
        expect(await second.load(saved[7].id)).toEqual(saved[7]);
      } finally {
        await second.close();
      }
      const raw = await b.raw(store);
      expect(raw.length).toBeGreaterThan(1000);
      expect(raw).toContain(SEALED_PREFIX);
      expect(raw).not.toContain(MARKER);
      // The check can fail: the same thread written in clear shows the marker.
      const plain = await open(b, null);
      try {
        await writeSecrets(plain, `${thread}-clear`);
        expect(await b.raw(plain)).toContain(MARKER);
      } finally {
        await plain.close();
      }
      // Appends stay appends: most rows are deltas.
      expect((await store.storage(thread)).deltas).toBeGreaterThan(10);
    } finally {
      await store.close();
    }
  });

  it("rotates keys, refuses a wrong or missing key with ENCRYPTION_KEY, and reads rows written in clear", async () => {
    const b = await backings[kind]();
    const [k1, k2] = [key(), key()];
    const thread = `t-${randomBytes(4).toString("hex")}`;
    const plainThread = `p-${randomBytes(4).toString("hex")}`;
    // Written before encryption was turned on.
    const plain = await open(b, null);
    const clear = await plain.save(cp(plainThread, null, { state: { note: "clear text" } }));
    await plain.close();

    const first = await open(b, createKeyring(k1));
    const old = await writeSecrets(first, thread);
    expect(await first.load(clear.id)).toEqual(clear);
    await first.close();

    // Rotated: k2 writes, k1 still reads.
    const rotated = await open(b, keyringFromEnv({ WAYPOINT_ENCRYPTION_KEY: k2, WAYPOINT_ENCRYPTION_KEYS_OLD: `${key()}, ${k1}` }));
    let next: Checkpoint;
    try {
      expect(await rotated.list(thread)).toEqual(old);
      next = await rotated.save(cp(thread, old[old.length - 1], { step: 21, state: { ...old[old.length - 1].state, note: `${MARKER}-new` } }));
      expect((await rotated.load(next.id)).state.note).toBe(`${MARKER}-new`);
      expect(await rotated.load(clear.id)).toEqual(clear);
    } finally {
      await rotated.close();
    }

    // Only the new key: the checkpoint written with it loads (every value it holds was sealed anew with k2);
    // the old ones fail with ENCRYPTION_KEY naming the variable that would hold the missing key.
    const onlyNew = await open(b, createKeyring(k2));
    try {
      expect((await onlyNew.load(next.id)).state).toEqual(next.state);
      const err = await onlyNew.load(old[3].id).catch((e) => e);
      expect(isWaypointError(err, "ENCRYPTION_KEY"), String(err)).toBe(true);
      expect(err.message).toMatch(/WAYPOINT_ENCRYPTION_KEYS_OLD/);
      expect(await onlyNew.load(clear.id)).toEqual(clear);
    } finally {
      await onlyNew.close();
    }

    // A wrong key, and no key at all: the same clear error, for a load, a list and a latest.
    for (const ring of [createKeyring(key()), null]) {
      const s = await open(b, ring);
      try {
        for (const call of [() => s.load(old[0].id), () => s.list(thread), () => s.latest(thread)]) {
          const err = await call().catch((e) => e);
          expect(isWaypointError(err, "ENCRYPTION_KEY"), String(err)).toBe(true);
          expect(err.message).toMatch(ring ? /neither WAYPOINT_ENCRYPTION_KEY nor/ : /no encryption key is configured/);
        }
        // Summaries hold nothing sealed: the timeline still lists without the key.
        expect((await s.listSummaries(thread)).length).toBe(22);
        expect(await s.load(clear.id)).toEqual(clear);
      } finally {
        await s.close();
      }
    }
  });
});

describe("key configuration", () => {
  it("refuses a key that is not 32 bytes of base64, naming the variable", () => {
    for (const bad of ["short", Buffer.alloc(16).toString("base64"), "not base64 at all!!"]) {
      let err: unknown;
      try {
        keyringFromEnv({ WAYPOINT_ENCRYPTION_KEY: bad });
      } catch (e) {
        err = e;
      }
      expect(isWaypointError(err, "STORE_CONFIG")).toBe(true);
      expect((err as Error).message).toMatch(/WAYPOINT_ENCRYPTION_KEY .*32/);
    }
    expect(keyringFromEnv({})).toBeNull();
    expect(keyringFromEnv({ WAYPOINT_ENCRYPTION_KEY: key() })?.current).not.toBeNull();
  });

  it("a changed byte in a sealed value is ENCRYPTION_KEY, not garbage", async () => {
    const b = await backings.file();
    const ring = createKeyring(key());
    const store = await open(b, ring);
    try {
      const saved = await store.save(cp("t-tamper", null, { state: { note: MARKER } }));
      const file = path.join((b.config as { dir: string }).dir, "checkpoints", `${saved.id}.json`);
      const text = readFileSync(file, "utf8");
      const at = text.indexOf(SEALED_PREFIX) + SEALED_PREFIX.length + 12;
      const flipped = text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
      (await import("node:fs")).writeFileSync(file, flipped);
      const fresh = await open(b, ring);
      try {
        const err = await fresh.load(saved.id).catch((e) => e);
        expect(isWaypointError(err, "ENCRYPTION_KEY"), String(err)).toBe(true);
      } finally {
        await fresh.close();
      }
    } finally {
      await store.close();
    }
  });
});
