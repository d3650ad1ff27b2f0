import { describe } from "vitest";
import { fileStore, memoryStore, redisStore } from "./helpers/stores";
import { apiSuite } from "./suite";

// The same API suite on the other backends: every store is chosen by configuration alone.
describe("HTTP API on Redis", () => apiSuite(redisStore));
describe("HTTP API on JSON files", () => apiSuite(fileStore));
describe("HTTP API on memory", () => apiSuite(memoryStore));
