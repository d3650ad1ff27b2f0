/**
 * Opens the configured store once and creates its tables / folders (idempotent). Run with tsx by setup.mjs,
 * so configuration mistakes show up before the first `npm run dev`, as one sentence.
 */
import { createStore, storeConfigFromEnv } from "../lib/checkpoint/factory.ts";

// Same rule as lib/server/auth/principal.ts adminTokenFromEnv (which cannot be imported outside the server).
const adminToken = process.env.WAYPOINT_ADMIN_TOKEN?.trim();
if (adminToken && adminToken.length < 32) {
  console.error(`WAYPOINT_ADMIN_TOKEN must be at least 32 characters (it has ${adminToken.length}); generate one with \`openssl rand -base64 32\`.`);
  process.exit(1);
}

try {
  const store = await createStore(storeConfigFromEnv(process.env));
  await store.setup();
  console.log(`Checkpoint store "${store.kind}" is ready.`);
  await store.close();
} catch (err) {
  console.error(err && typeof err === "object" && "code" in err ? `${err.message}` : err);
  process.exit(1);
}
