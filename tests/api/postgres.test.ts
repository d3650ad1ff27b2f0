import { describe } from "vitest";
import { postgresStore } from "./helpers/stores";
import { apiSuite } from "./suite";

describe("HTTP API on PostgreSQL", () => apiSuite(postgresStore));
