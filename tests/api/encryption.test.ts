/**
 * Encryption at rest through the real server (README "Encryption at rest"): with WAYPOINT_ENCRYPTION_KEY set, a
 * marker put in a thread's input is shown by the API (state, history, checkpoint) and is nowhere in the
 * checkpoints table's rows; a server restarted with another key answers 503 ENCRYPTION_KEY for the state (and
 * still lists the thread and its timeline), and one given the old key as WAYPOINT_ENCRYPTION_KEYS_OLD reads it.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbProbe } from "./helpers/accounts";
import { client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";

const MARKER = "enc-marker-4c1d9e";
const key = () => randomBytes(32).toString("base64");

describe("encryption at rest (SQLite server)", () => {
  let store: TestStore;
  let server: Server | null = null;
  const oldKey = key();

  beforeAll(async () => {
    ensureBuilt();
    store = await sqliteStore();
  });
  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  it("shows the marker through the API, never stores it in clear, and needs the key to read it back", async () => {
    server = await startServer({ ...store.env, WAYPOINT_ENCRYPTION_KEY: oldKey });
    let api = client(server.url);
    const created = await api.post("/api/threads", { graphId: "approval", input: { topic: MARKER } });
    expect(created.status).toBe(201);
    const id = created.body.threadId;
    await api.until(`/api/threads/${id}`, (t: any) => t.status === "interrupted");
    const state = await api.get(`/api/threads/${id}/state`);
    expect(state.status).toBe(200);
    expect(JSON.stringify(state.body.values)).toContain(MARKER);
    const history = await api.get(`/api/threads/${id}/history?limit=100`);
    expect(JSON.stringify(history.body)).toContain(MARKER);

    const db = await dbProbe(store.env);
    try {
      const rows = await db.query(`SELECT * FROM "checkpoints"`);
      expect(rows.length).toBeGreaterThan(1);
      const raw = JSON.stringify(rows);
      expect(raw).toContain("wpenc:1:");
      expect(raw).not.toContain(MARKER);
    } finally {
      await db.close();
    }
    await server.stop();

    // Another key: the state is a clear 503, the thread list and its timeline still answer.
    server = await startServer({ ...store.env, WAYPOINT_ENCRYPTION_KEY: key() });
    api = client(server.url);
    const refused = await api.get(`/api/threads/${id}/state`);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("ENCRYPTION_KEY");
    expect(refused.body.error.message).toMatch(/WAYPOINT_ENCRYPTION_KEYS_OLD/);
    expect((await api.get(`/api/threads/${id}`)).status).toBe(200);
    await server.stop();

    // Rotated: the old key as an old key reads it again.
    server = await startServer({ ...store.env, WAYPOINT_ENCRYPTION_KEY: key(), WAYPOINT_ENCRYPTION_KEYS_OLD: oldKey });
    api = client(server.url);
    const again = await api.get(`/api/threads/${id}/state`);
    expect(again.status).toBe(200);
    expect(JSON.stringify(again.body.values)).toContain(MARKER);
  }, 120_000); // three server starts: past 30 s on a busy machine
});
