import { expect, test } from "@playwright/test";
import { TcpProxy } from "../api/helpers/proxy";
import { startServer, type Server } from "../api/helpers/server";
import { redisStore, type TestStore } from "../api/helpers/stores";

/**
 * The dashboard while the store is down: a banner names the unreachable store instead of pages spinning, and it
 * goes away by itself once the store is back. Its own server on Redis behind a TCP proxy the test controls.
 */
test("a banner says the store is unreachable, and goes once it is back", async ({ page }) => {
  test.setTimeout(120_000);
  let store: TestStore | undefined;
  let proxy: TcpProxy | undefined;
  let server: Server | undefined;
  try {
    store = await redisStore();
    const target = new URL(store.env.REDIS_URL);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
    server = await startServer({ ...store.env, REDIS_URL: proxy.rewrite(store.env.REDIS_URL), WAYPOINT_STORE_TIMEOUT_MS: "2000" });

    await page.goto(`${server.url}/`);
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
