import { expect, test as setup } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";
import { ADMIN_STATE, E2E_ADMIN_TOKEN } from "../../playwright.config";
import { USERS } from "./users";

/**
 * The first-admin journey, as a new team would live it: the fresh server printed a one-time link; opening it
 * creates the admin and signs them in. The admin's browser state is then shared by the other journeys, and the
 * other people they need are added with the admin token (as a script would).
 */
setup("a fresh Waypoint: the one-time link creates the first admin, who lands signed in", async ({ page, request }) => {
  const log = fs.readFileSync(path.join(process.env.E2E_STORE_DIR!, "server.log"), "utf8");
  const link = /\/setup\?token=([A-Za-z0-9_-]+)/.exec(log);
  expect(link, "the server prints the first-admin link on a fresh start").not.toBeNull();

  // Before set-up, the dashboard sends a visitor to sign in, and sign-in says how to begin.
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByTestId("setup-needed")).toBeVisible();

  await page.goto(link![0]);
  const admin = USERS.admin;
  await page.getByTestId("setup-name").fill(admin.name);
  await page.getByTestId("setup-email").fill(admin.email);
  await page.getByTestId("setup-password").fill(admin.password);
  await page.getByTestId("setup-submit").click();
  await expect(page.getByTestId("thread-list")).toBeVisible();
  await expect(page.getByTestId("me-name")).toHaveText(admin.name);
  await expect(page.getByTestId("me-role")).toHaveText("admin");
  await page.context().storageState({ path: ADMIN_STATE });

  // The link works once.
  const again = await request.post("/api/setup", { data: { token: link![1], name: "Mallory", email: "mallory@e2e.test", password: "password123" } });
  expect(again.status()).toBe(403);

  for (const u of Object.values(USERS)) {
    if (u === admin) continue;
    const res = await request.post("/api/users", {
      headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` },
      data: { name: u.name, email: u.email, password: u.password, role: u.role },
    });
    expect([201, 409]).toContain(res.status());
  }
});
