import { describe } from "vitest";
import { sqliteStore } from "./helpers/stores";
import { apiSuite } from "./suite";

describe("HTTP API on SQLite (the default store)", () => apiSuite(sqliteStore));
