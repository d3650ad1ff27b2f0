import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { E2E_ADMIN_TOKEN } from "../../playwright.config";
import { apiThread, ThreadPage, ThreadsPage } from "./pages";

/**
 * Issue 11, "Find things": searching the thread list (server-side, in the URL), the longest-waiting-first order,
 * and going to a checkpoint / filtering the timeline of a long thread.
 */

const SHOTS = "/work/shots/h1";
const run = Date.now().toString(36);

async function start(request: APIRequestContext, graphId: string, input: Record<string, unknown>, metadata?: Record<string, unknown>) {
  const res = await request.post("/api/threads", { data: { graphId, input, ...(metadata && { metadata }) } });
  expect(res.status()).toBe(201);
  return (await res.json()).threadId as string;
}

async function until(request: APIRequestContext, threadId: string, status: string, timeout = 60_000) {
  await expect.poll(async () => (await apiThread(request, threadId)).status, { timeout }).toBe(status);
}

const search = (page: Page) => page.getByTestId("thread-search");
const rows = (page: Page) => page.getByTestId("thread-row");

test("search finds a thread by the words of its error, and another by its label", async ({ page, request }) => {
  const failed = await start(request, "pipeline", { steps: 20, stepMs: 0, failAt: 17 });
  const labelled = await start(request, "approval", { topic: "E2E find by label" }, { label: `Invoice dispute ${run}` });
  await until(request, failed, "error");
  await until(request, labelled, "interrupted");

  const home = new ThreadsPage(page);
  await home.goto();
  await search(page).fill("STEP 17 failed on purpose");
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute("data-thread-id", failed);
  await expect(page.getByTestId("threads-matching")).toHaveText("1 matching");
  expect(new URL(page.url()).searchParams.get("q")).toBe("STEP 17 failed on purpose");

  await search(page).fill(`invoice dispute ${run}`);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute("data-thread-id", labelled);
  await expect(rows(page).first()).toContainText(`Invoice dispute ${run}`);
  await page.screenshot({ path: `${SHOTS}/list-search-1280.png` });
  await page.setViewportSize({ width: 390, height: 800 });
  await page.screenshot({ path: `${SHOTS}/list-search-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  // Nothing matches: say so, and offer the way back.
  await search(page).fill(`no thread says this ${run}`);
  await expect(page.getByTestId("threads-empty")).toContainText("No threads match");
  await expect(page.getByTestId("threads-matching")).toHaveText("0 matching");
  await page.screenshot({ path: `${SHOTS}/list-empty-1280.png` });
  await page.getByTestId("clear-filters").click();
  await expect(search(page)).toHaveValue("");
  await expect(rows(page).first()).toBeVisible();
});

test("search and filters live in the URL: kept after opening a thread and going back, and a shared link opens the same list", async ({
  page,
  request,
  context,
}) => {
  const label = `Shared queue ${run}`;
  const waiting = await start(request, "approval", { topic: "E2E url filters" }, { label });
  const done = await start(request, "pipeline", { steps: 1, stepMs: 0 }, { label });
  await until(request, waiting, "interrupted");
  await until(request, done, "done");

  const home = new ThreadsPage(page);
  await home.goto();
  await search(page).fill(label.toLowerCase());
  await expect(rows(page)).toHaveCount(2);
  await page.getByTestId("filter-status").selectOption("interrupted");
  await expect(rows(page)).toHaveCount(1);
  await expect(page).toHaveURL(/status=interrupted/);
  const shared = page.url();
  expect(new URL(shared).searchParams.get("q")).toBe(label.toLowerCase());

  await home.row(waiting).getByTestId("thread-link").click();
  await expect(page.getByTestId("thread-page")).toBeVisible();
  await page.goBack();
  await expect(search(page)).toHaveValue(label.toLowerCase());
  await expect(page.getByTestId("filter-status")).toHaveValue("interrupted");
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute("data-thread-id", waiting);

  const other = await context.newPage();
  await other.goto(shared);
  await expect(other.getByTestId("thread-search")).toHaveValue(label.toLowerCase());
  await expect(other.getByTestId("thread-row")).toHaveCount(1);
  await other.close();
});

test("waiting longest first: the thread that has waited longest is on top, with how long it has waited", async ({ page, request }) => {
  const label = `Oldest first ${run}`;
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    made.push(await start(request, "approval", { topic: `E2E waiting ${i}` }, { label: `${label} #${i}` }));
    await until(request, made[i], "interrupted");
  }
  const home = new ThreadsPage(page);
  await home.goto();
  await search(page).fill(label);
  await expect(rows(page)).toHaveCount(3);
  // The default order: newest update first.
  await expect(rows(page).first()).toHaveAttribute("data-thread-id", made[2]);
  await page.getByTestId("thread-sort").selectOption("waiting");
  await expect(page).toHaveURL(/sort=waiting/);
  await expect(page.getByTestId("filter-status")).toBeDisabled();
  await expect.poll(() => rows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute("data-thread-id")))).toEqual(made);
  await expect(rows(page).first().getByTestId("waiting-since")).toHaveText(/^for \d+(s|m)/);
  await expect(page.getByTestId("threads-matching")).toContainText("3 matching");
  await page.screenshot({ path: `${SHOTS}/list-waiting-1280.png` });
});

test("go to v1234 of a 10,000-step thread in three actions, then filter its timeline by node and source", async ({ page, request }) => {
  test.setTimeout(600_000);
  const threadId = await start(request, "pipeline", { steps: 10_000, stepMs: 0 });
  await until(request, threadId, "done", 540_000);
  const total = (await apiThread(request, threadId)).checkpointCount;
  expect(total).toBeGreaterThan(10_000);

  const thread = await ThreadPage.open(page, threadId);
  // Three actions, right away (the history is still arriving in pages): click the field, type, Enter.
  const go = page.getByTestId("timeline-goto");
  await go.click();
  await go.fill("v1234");
  await go.press("Enter");
  await expect(thread.selectedRow).toHaveAttribute("data-version", "1234", { timeout: 60_000 });
  await expect(thread.selectedRow).toBeInViewport();
  await expect(page).toHaveURL(/cp=/);
  await expect(thread.timeline).toHaveAttribute("data-count", String(total));
  await page.screenshot({ path: `${SHOTS}/timeline-goto-1280.png` });

  // A step number works too; a version that does not exist says so.
  await go.fill("s5000");
  await go.press("Enter");
  await expect(thread.selectedRow).toHaveAttribute("data-node", "work");
  await expect(thread.selectedRow).toBeInViewport();
  await go.fill("v99999");
  await go.press("Enter");
  await expect(page.getByTestId("timeline-goto-message")).toContainText("No checkpoint v99999");

  // Filters: one node, one source.
  await page.getByTestId("timeline-filter-node").selectOption("finish");
  await expect(thread.rows).toHaveCount(1);
  await expect(thread.rows.first()).toHaveAttribute("data-node", "finish");
  await expect(page.getByTestId("timeline-filtered")).toHaveText(`1 of ${total.toLocaleString("en-US")} shown`);
  await page.getByTestId("timeline-filter-node").selectOption("");
  await page.getByTestId("timeline-filter-source").selectOption("input");
  await expect(thread.rows).toHaveCount(1);
  await expect(thread.rows.first()).toHaveAttribute("data-version", "1");
  await expect(page).toHaveURL(/src=input/);
  await page.screenshot({ path: `${SHOTS}/timeline-filter-1280.png` });
  // Going somewhere the filter hides drops the filter, so the target is shown.
  await go.fill("v1234");
  await go.press("Enter");
  await expect(thread.selectedRow).toHaveAttribute("data-version", "1234");
  await expect(page.getByTestId("timeline-filtered")).toHaveCount(0);
});

test("the timeline filters by author and shows the interrupts", async ({ page, playwright }) => {
  // Started by the operator's token, decided by the signed-in admin: two authors on one thread.
  const operator = await playwright.request.newContext({
    baseURL: test.info().project.use.baseURL,
    extraHTTPHeaders: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` },
  });
  const threadId = await start(operator, "approval", { topic: "E2E timeline author" });
  await until(operator, threadId, "interrupted");
  await operator.dispose();
  const thread = await ThreadPage.open(page, threadId);
  await thread.approve();
  await thread.expectStatus("done");
  const total = (await apiThread(page.request, threadId)).checkpointCount;
  await expect(thread.rows).toHaveCount(total);

  const author = page.getByTestId("timeline-filter-author");
  await expect(author.locator("option")).toHaveCount(3); // anyone, the operator, the admin
  await author.selectOption("Ada Admin");
  await expect(page.getByTestId("timeline-filtered")).toHaveText(/^[12] of \d+ shown$/);
  await expect(thread.rows.getByTestId("timeline-decision")).toHaveCount(1);
  await expect(page).toHaveURL(/by=Ada/);
  await author.selectOption("");

  await page.getByTestId("timeline-filter-source").selectOption("interrupt");
  await expect(thread.rows).toHaveCount(1);
  await expect(thread.rows.first().getByTestId("timeline-interrupt")).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/timeline-interrupts-1280.png` });
  await page.setViewportSize({ width: 390, height: 800 });
  await page.screenshot({ path: `${SHOTS}/timeline-filter-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId("timeline-filter-clear").click();
  await expect(thread.rows).toHaveCount(total);
});
