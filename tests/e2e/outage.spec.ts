import { expect, test } from "@playwright/test";
import { TcpProxy } from "../api/helpers/proxy";
import { startServer, TEST_ADMIN_TOKEN, type Server } from "../api/helpers/server";
import { redisStore, type TestStore } from "../api/helpers/stores";

/**
 * The dashboard while the store is down: a banner names the unreachable store instead of pages spinning, and it
 * goes away by itself once the store is back. Its own server on Redis behind a TCP proxy the test controls.
 */
test("a banner says the store is unreachable, and goes once it is back", async ({ browser }) => {
  test.setTimeout(120_000);
  let store: TestStore | undefined;
  let proxy: TcpProxy | undefined;
  let server: Server | undefined;
  try {
    store = await redisStore();
    const target = new URL(store.env.REDIS_URL);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
    server = await startServer({ ...store.env, REDIS_URL: proxy.rewrite(store.env.REDIS_URL), WAYPOINT_STORE_TIMEOUT_MS: "2000" });

    // A person of this server's own (its accounts live in a SQLite file beside the Redis store), signed in.
    const person = { name: "Otto Operator", email: "otto@e2e.test", password: "otto-password-1", role: "operator" };
    const made = await fetch(`${server.url}/api/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(person),
    });
    expect(made.status).toBe(201);
    const context = await browser.newContext({ baseURL: server.url, storageState: { cookies: [], origins: [] } });
    const page = await context.newPage();
    await page.goto("/signin");
    await page.getByTestId("signin-email").fill(person.email);
    await page.getByTestId("signin-password").fill(person.password);
    await page.getByTestId("signin-submit").click();
    await expect(page.getByTestId("thread-list")).toBeVisible();
    await expect(page.getByTestId("store-banner")).toBeHidden();

    await proxy.refuse();
    await page.reload();
    const banner = page.getByTestId("store-banner");
    await expect(banner).toBeVisible({ timeout: 30_000 });
    await expect(banner).toContainText("The checkpoint store is unreachable.");
    await expect(banner).toContainText(/Redis at .* is unreachable/);

    await proxy.restore();
    await expect(banner).toBeHidden({ timeout: 30_000 });
  } finally {
    await server?.stop();
    await proxy?.close();
    await store?.cleanup();
  }
});
