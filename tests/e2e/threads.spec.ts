import { expect, test } from "@playwright/test";
import { ThreadsPage } from "./pages";

/** The Threads page: filters, the threads waiting for a human first, and a narrow window. */

test("filters by status and graph; waiting threads come first", async ({ page, request }) => {
  const made = await request.post("/api/threads", { data: { graphId: "approval", input: { topic: "E2E waiting" } } });
  expect(made.status()).toBe(201);
  const waiting = (await made.json()).threadId as string;
  const res = await request.post("/api/threads", { data: { graphId: "research", input: { question: "E2E filters" } } });
  const research = (await res.json()).threadId as string;

  const home = new ThreadsPage(page);
  await home.goto();
  await expect(home.row(waiting)).toHaveAttribute("data-status", "interrupted");
  await expect(page.getByTestId("waiting-count")).toBeVisible();
  // Every waiting thread is listed before any other.
  const statuses = await page.getByTestId("thread-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")));
  const firstOther = statuses.findIndex((s) => s !== "interrupted");
  if (firstOther >= 0) expect(statuses.slice(firstOther)).not.toContain("interrupted");

  await page.getByTestId("filter-graph").selectOption("research");
  await expect(home.row(waiting)).toBeHidden();
  await expect(home.row(research)).toBeVisible();
  for (const g of await page.getByTestId("thread-row").evaluateAll((rows) => rows.map((r) => r.textContent ?? ""))) expect(g).toContain("research");

  await page.getByTestId("filter-graph").selectOption("");
  await page.getByTestId("filter-status").selectOption("done");
  await expect(home.row(waiting)).toBeHidden();
  for (const s of await page.getByTestId("thread-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")))) expect(s).toBe("done");
});

test("a narrow window: start a run, review and approve it", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic: "E2E narrow window" });
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt).toBeInViewport();
  await thread.approve();
  await thread.expectStatus("done");
  await expect(thread.rowsByNode("publish")).toHaveCount(1);
});

test("delete a thread from its page after confirming", async ({ page, request }) => {
  const res = await request.post("/api/threads", { data: { graphId: "approval", input: { topic: "E2E delete me" } } });
  const { threadId } = await res.json();
  await page.goto(`/threads/${threadId}`);
  await expect(page.getByTestId("thread-page")).toHaveAttribute("data-status", "interrupted");
  page.once("dialog", (d) => d.dismiss());
  await page.getByTestId("delete-thread").click();
  expect((await request.get(`/api/threads/${threadId}`)).status()).toBe(200);
  page.once("dialog", (d) => d.accept());
  await page.getByTestId("delete-thread").click();
  await page.waitForURL((u) => u.pathname === "/");
  expect((await request.get(`/api/threads/${threadId}`)).status()).toBe(404);
  await expect(new ThreadsPage(page).row(threadId)).toHaveCount(0);
});

test("the thread list pages: 100 at first, Load more fetches the rest", async ({ page, request }) => {
  // Idle threads (no input, no run) are cheap to make.
  for (let i = 0; i < 105; i++)
    expect((await request.post("/api/threads", { data: { graphId: "pipeline", metadata: { n: i } } })).status()).toBe(201);
  let total = 0;
  for (let cursor: string | null = null, first = true; first || cursor; first = false) {
    const body = await (await request.get(`/api/threads?limit=500${cursor ? `&cursor=${cursor}` : ""}`)).json();
    total += body.threads.length;
    cursor = body.nextCursor;
  }
  const home = new ThreadsPage(page);
  await home.goto();
  await expect(page.getByTestId("thread-row")).toHaveCount(100);
  const more = page.getByTestId("threads-more");
  while (await more.isVisible()) {
    const before = await page.getByTestId("thread-row").count();
    await more.click();
    await expect.poll(() => page.getByTestId("thread-row").count()).toBeGreaterThan(before);
  }
  await expect(page.getByTestId("thread-row")).toHaveCount(total);
});

test("filters stay in the URL: coming back from a thread keeps them, and a shared link opens filtered", async ({ page, request }) => {
  const res = await request.post("/api/threads", { data: { graphId: "research", input: { question: "E2E kept filters" } } });
  const research = (await res.json()).threadId as string;
  const home = new ThreadsPage(page);
  await home.goto();
  await page.getByTestId("filter-graph").selectOption("research");
  await expect(page).toHaveURL(/[?&]graph=research/);
  await home.row(research).getByTestId("thread-link").click();
  await expect(page.getByTestId("thread-page")).toBeVisible();
  await page.goBack();
  await expect(page.getByTestId("filter-graph")).toHaveValue("research");
  for (const g of await page.getByTestId("thread-row").evaluateAll((rows) => rows.map((r) => r.textContent ?? ""))) expect(g).toContain("research");

  await page.goto("/?status=interrupted");
  await expect(page.getByTestId("filter-status")).toHaveValue("interrupted");
  for (const s of await page.getByTestId("thread-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status"))))
    expect(s).toBe("interrupted");
});
