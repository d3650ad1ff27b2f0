import { defineConfig, devices } from "@playwright/test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * End-to-end journeys in Debian's Chromium against the BUILT app (`npx next build` first) on a fresh SQLite
 * store in a temp folder, started here by `webServer`. E2E_PORT picks the port; NEXT_DIST_DIR is passed on
 * to `next start` so a build in another folder can be tested; E2E_STORE=memory runs the checkpoints in memory
 * instead (accounts stay in the SQLite file). E2E_BASE_URL skips the server and targets a
 * running one instead (its store is then whatever it uses).
 */
const port = Number(process.env.E2E_PORT ?? 3217);
const external = process.env.E2E_BASE_URL;
// The config is loaded by the runner and by each worker: create the store folder once and share its path.
const storeDir = (process.env.E2E_STORE_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "waypoint-e2e-")));
/** Accepted as an admin bearer token by the test server; the setup project creates the journeys' users with it. */
export const E2E_ADMIN_TOKEN = (process.env.E2E_ADMIN_TOKEN ??= "e2e-admin-token-0123456789abcdef0123456789");
/** The signed-in admin's browser state, written by tests/e2e/auth.setup.ts (the first-admin journey). */
export const ADMIN_STATE = path.join(storeDir, "admin-state.json");

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results/e2e",
  fullyParallel: false,
  workers: process.env.CI ? 1 : 2,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    baseURL: external ?? `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    actionTimeout: 15_000,
  },
  projects: [
    // Signs the first admin in through the one-time link, then adds the journeys' other users.
    { name: "setup", testMatch: /auth\.setup\.ts/, use: { ...chromium() } },
    {
      name: "chromium",
      dependencies: ["setup"],
      use: {
        ...chromium(),
        storageState: ADMIN_STATE,
      },
    },
  ],
  webServer: external
    ? undefined
    : {
        // The output is kept in a file too: the first-admin journey reads the one-time link from it.
        command: `npx next start -p ${port} -H 127.0.0.1 2>&1 | tee ${path.join(storeDir, "server.log")}`,
        url: `http://127.0.0.1:${port}/api/health`,
        reuseExistingServer: false,
        timeout: 120_000,
        stdout: "pipe",
        stderr: "pipe",
        env: {
          NEXT_TELEMETRY_DISABLED: "1",
          CHECKPOINT_STORE: process.env.E2E_STORE ?? "sqlite",
          DATABASE_URL: `file:${path.join(storeDir, "db.sqlite")}`,
          WAYPOINT_ADMIN_TOKEN: E2E_ADMIN_TOKEN,
          ...(process.env.NEXT_DIST_DIR ? { NEXT_DIST_DIR: process.env.NEXT_DIST_DIR } : {}),
        },
      },
});

function chromium() {
  return {
    ...devices["Desktop Chrome"],
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  };
}
