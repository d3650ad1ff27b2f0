import { expect, test } from "@playwright/test";
import { ThreadsPage } from "./pages";

/**
 * "N waiting for review" is every waiting thread, not the loaded rows (issue 11, defect 3: 60 shown while 122
 * waited). More waiting threads than the list's first page (100): the badge says the server's count. Named to run
 * last, so the hundred extra threads do not crowd the other journeys' lists.
 */
test("a reviewer sees how many threads wait in all, even beyond the first page of the list", async ({ page, request }) => {
  const made: string[] = [];
  for (let i = 0; i < 101; i++) {
    const r = await request.post("/api/threads", { data: { graphId: "approval", input: { topic: `E2E queue ${i}` } } });
    expect(r.status()).toBe(201);
    made.push((await r.json()).threadId);
  }
  await expect
    .poll(async () => (await (await request.get(`/api/threads/${made[made.length - 1]}`)).json()).status, { timeout: 60_000 })
    .toBe("interrupted");
  await expect.poll(async () => (await (await request.get("/api/thread-counts")).json()).waiting, { timeout: 60_000 }).toBeGreaterThanOrEqual(101);

  const home = new ThreadsPage(page);
  await home.goto();
  // Other journeys' threads may still change status: compare with the server's count read at the same moment.
  await expect(async () => {
    const total = (await (await request.get("/api/thread-counts")).json()).waiting as number;
    expect(total).toBeGreaterThanOrEqual(101);
    await expect(page.getByTestId("waiting-count")).toHaveText(`${total.toLocaleString("en-US")} waiting for review`, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  // The first page shows at most 100 rows: the badge is not counting rows.
  expect(await page.getByTestId("thread-row").count()).toBeLessThanOrEqual(100);
  await page.screenshot({ path: "test-results/waiting-count.png" });
});
