/**
 * Next.js config. The store drivers are native or connection-pooling Node modules: keep them out of the
 * server bundle so they load once from node_modules (better-sqlite3's .node binary cannot be bundled).
 * `NEXT_DIST_DIR` lets tests and parallel checkouts build into their own folder instead of `.next`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

process.env.NEXT_TELEMETRY_DISABLED = "1";
const root = path.dirname(fileURLToPath(import.meta.url));

/** @type {import("next").NextConfig} */
const nextConfig = {
  distDir: process.env.NEXT_DIST_DIR || ".next",
  serverExternalPackages: [
    "better-sqlite3",
    "pg",
    "ioredis",
    "@prisma/client",
    "@prisma/adapter-pg",
    "@prisma/adapter-better-sqlite3",
    "proper-lockfile",
  ],
  // The repo is the whole app: don't let Next guess a parent folder from a stray lockfile.
  turbopack: { root },
  outputFileTracingRoot: root,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
