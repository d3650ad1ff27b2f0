import type { Redis } from "ioredis";
import type { QueuedRunJob, WaitingRuns } from "./types";

/**
 * The runs waiting behind a busy thread (multitaskStrategy "enqueue") on Redis: a list per thread, in the order
 * they were asked for, and a set of the threads that have one (for the workers' sweep). An entry goes only once a
 * worker has started its run (or its job ended without starting it: promote.ts).
 */
export function redisWaitingRuns(redis: Redis, prefix: string): WaitingRuns {
  const listKey = (threadId: string) => `${prefix}waiting:${threadId}`;
  const threadsKey = `${prefix}waiting-threads`;
  return {
    async push(job) {
      await redis.multi().rpush(listKey(job.threadId), JSON.stringify(job)).sadd(threadsKey, job.threadId).exec();
    },
    async list(threadId) {
      return (await redis.lrange(listKey(threadId), 0, -1)).map((s) => JSON.parse(s) as QueuedRunJob);
    },
    async remove(runId, threadId) {
      for (const s of await redis.lrange(listKey(threadId), 0, -1))
        if ((JSON.parse(s) as QueuedRunJob).runId === runId) await redis.lrem(listKey(threadId), 1, s);
      // The thread leaves the set only if its list is still empty (a push may have come meanwhile).
      await redis.eval(
        `if redis.call('llen', KEYS[1]) == 0 then redis.call('srem', KEYS[2], ARGV[1]) end return 0`,
        2,
        listKey(threadId),
        threadsKey,
        threadId,
      );
    },
    async threads() {
      return redis.smembers(threadsKey);
    },
  };
}
