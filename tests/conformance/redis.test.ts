/**
 * Conformance suite against a real Redis (127.0.0.1:6379, or TEST_REDIS_URL). Each store gets its own key
 * prefix; destroy deletes every key under it. Without Redis the file is skipped locally, but under CI it
 * fails loudly in beforeAll: a missing server must never pass as a green run.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, it } from "vitest";
import { createRedisStore, type RedisCheckpointStore } from "../../lib/checkpoint/redis";
import type { CheckpointStore } from "../../lib/checkpoint/types";
import { describeConformance } from "./suite";

const url = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Deletes every key under the store's prefix (SCAN is fine in tests), then closes it. */
async function dropPrefix(store: RedisCheckpointStore) {
  const pattern = `${store.prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
  let cursor = "0";
  do {
    const [next, keys] = await store.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    if (keys.length) await store.redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

let unreachable: string | null = null;
try {
  await (await createRedisStore({ url, prefix: "waypoint-test:probe:" })).close();
} catch (e) {
  unreachable = (e as Error).message;
}

if (unreachable && !process.env.CI) {
  describe.skip(`conformance: redis (skipped locally: ${unreachable})`, () => {
    it("needs a Redis server", () => {});
  });
} else {
  beforeAll(() => {
    if (unreachable) throw new Error(`Redis is required under CI: ${unreachable}`);
  });
  describeConformance("redis", {
    create: () => createRedisStore({ url, prefix: `waypoint-test:${randomBytes(6).toString("hex")}:` }),
    createSecond: (first) => createRedisStore({ url, prefix: (first as RedisCheckpointStore).prefix }),
    destroy: async (store: CheckpointStore) => {
      const s = store as RedisCheckpointStore;
      await dropPrefix(s);
      await s.close();
    },
  });
}
