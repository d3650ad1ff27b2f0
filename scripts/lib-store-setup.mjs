/**
 * Opens the configured store once and creates its tables / folders (idempotent). Run with tsx by setup.mjs,
 * so configuration mistakes show up before the first `npm run dev`, as one sentence.
 */
import { createStore, storeConfigFromEnv } from "../lib/checkpoint/factory.ts";

try {
  const store = await createStore(storeConfigFromEnv(process.env));
  await store.setup();
  console.log(`Checkpoint store "${store.kind}" is ready.`);
  await store.close();
} catch (err) {
  console.error(err && typeof err === "object" && "code" in err ? `${err.message}` : err);
  process.exit(1);
}
