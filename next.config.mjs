/**
 * Next.js config. The store drivers are native or connection-pooling Node modules: keep them out of the
 * server bundle so they load once from node_modules (better-sqlite3's .node binary cannot be bundled).
 * `NEXT_DIST_DIR` lets tests and parallel checkouts build into their own folder instead of `.next`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

process.env.NEXT_TELEMETRY_DISABLED = "1";
const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * Security headers on every page and API answer. The CSP has no 'unsafe-eval' (React's development build needs
 * it, so `next dev` alone adds it); inline scripts stay allowed because Next's production pages bootstrap with
 * them. frame-ancestors 'none' (and X-Frame-Options for old browsers) stops clickjacking of the Approve button.
 */
const dev = process.env.NODE_ENV === "development";
const csp = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join("; ");
const securityHeaders = [
  { key: "Content-Security-Policy", value: csp },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
];

/** @type {import("next").NextConfig} */
const nextConfig = {
  distDir: process.env.NEXT_DIST_DIR || ".next",
  serverExternalPackages: [
    "better-sqlite3",
    "pg",
    "ioredis",
    "pg-boss",
    "bullmq",
    "@prisma/client",
    "@prisma/adapter-pg",
    "@prisma/adapter-better-sqlite3",
    "proper-lockfile",
    // Loads waypoint.config.ts and its graph modules at start (lib/config/load.ts): it must run from node_modules.
    "jiti",
    // Structured logs (lib/server/log.ts): pino resolves its own files at run time.
    "pino",
    "pino-pretty",
    // The OpenTelemetry SDK and exporter (lib/server/tracing.ts) load their own modules at run time.
    "@opentelemetry/sdk-node",
    "@opentelemetry/exporter-trace-otlp-http",
  ],
  // The repo is the whole app: don't let Next guess a parent folder from a stray lockfile.
  turbopack: { root },
  outputFileTracingRoot: root,
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { tsconfigPath: "tsconfig.build.json" },
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default nextConfig;
