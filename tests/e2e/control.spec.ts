import { expect, test } from "@playwright/test";
import { apiHistory, apiThread, ThreadPage, ThreadsPage } from "./pages";
import { signInAs, USERS } from "./users";

/** Issue 11: stopping a running run, and the actions at a dynamic interrupt (fork, Re-run). */

const SHOTS = "test-results/control";

test("an operator stops a long pipeline from the thread page, sees it cancelled where it stood, and resumes it from there", async ({
  page,
  request,
}) => {
  test.setTimeout(180_000); // a busy machine (shared CPUs) makes each step of this journey slow
  const home = new ThreadsPage(page);
  await home.goto();
  // Long enough (2,000 steps of 500 ms) that a busy machine still finds it running; it is stopped twice below.
  const thread = await home.startRun("pipeline", { steps: 2000, stepMs: 500 });
  await expect.poll(() => thread.rowsByNode("work").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);

  // Stop asks first; "Keep running" backs out and the run goes on.
  await page.getByTestId("stop-run").click();
  await expect(page.getByTestId("stop-run-confirm")).toBeVisible();
  await expect(page.getByTestId("stop-run-yes")).toBeFocused();
  await page.screenshot({ path: `${SHOTS}/stop-confirm-1280.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/stop-confirm-390.png` });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId("stop-run-no").click();
  await expect(page.getByTestId("stop-run-confirm")).toBeHidden();
  await thread.expectStatus("running");

  await page.getByTestId("stop-run").click();
  await page.getByTestId("stop-run-yes").click();
  await thread.expectStatus("cancelled");
  await expect(thread.status).toHaveText("cancelled");
  await expect(page.getByTestId("stop-run")).toBeHidden();
  await expect(page.getByTestId("idle-banner")).toContainText("Run cancelled");
  await page.screenshot({ path: `${SHOTS}/cancelled-1280.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/cancelled-390.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The run stopped where it stood: nothing more is written.
  const stopped = await apiThread(request, thread.threadId);
  await page.waitForTimeout(1200);
  expect((await apiThread(request, thread.threadId)).checkpointCount).toBe(stopped.checkpointCount);

  // Resume goes on from where it stopped: new steps follow the last one, none is repeated or lost.
  await page.getByTestId("idle-resume").click();
  await thread.expectStatus("running");
  await expect
    .poll(async () => (await apiThread(request, thread.threadId)).checkpointCount, { timeout: 30_000 })
    .toBeGreaterThan(stopped.checkpointCount + 2);
  await page.getByTestId("stop-run").click();
  await page.getByTestId("stop-run-yes").click();
  await thread.expectStatus("cancelled");
  const completed = (await apiHistory(request, thread.threadId))[0].values.completed as number[];
  expect(completed.length).toBeGreaterThan(3);
  expect(completed).toEqual(Array.from({ length: completed.length }, (_, i) => i + 1));
});

test("a reviewer, who may not run, is offered no Stop on a running thread", async ({ browser, baseURL, request }) => {
  const res = await request.post("/api/threads", { data: { graphId: "pipeline", input: { steps: 2000, stepMs: 500 } } });
  const { threadId } = (await res.json()) as { threadId: string };
  const page = await signInAs(browser, USERS.reviewer, baseURL!);
  const thread = await ThreadPage.open(page, threadId);
  await thread.expectStatus("running");
  await expect(page.getByTestId("run-progress")).toBeVisible();
  await expect(page.getByTestId("stop-run")).toHaveCount(0);
  await page.context().close();
  await request.post(`/api/threads/${threadId}/runs/cancel`, { data: {} });
});

test("forking a checkpoint paused at the review lands on the fork's own review panel, once; Re-run review asks afresh", async ({ page, request }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic: "E2E fork at interrupt" });
  await thread.expectStatus("interrupted");
  const source = thread.threadId;
  const before = await apiHistory(request, source);
  const paused = before[0];

  // At the interrupt: no Resume the engine would refuse; the fork form says the fork waits for a decision.
  await expect(page.getByTestId("resume")).toHaveCount(0);
  await page.getByTestId("fork-open").click();
  await expect(page.getByTestId("fork-at-interrupt")).toContainText("review");
  await expect(page.getByTestId("fork-run")).toHaveCount(0);
  await page.screenshot({ path: `${SHOTS}/fork-at-interrupt-1280.png` });
  await page.getByTestId("fork-new-thread").check();
  await page.getByTestId("fork-submit").click();

  // The fork's page, waiting at its own review: decide there.
  await page.waitForURL((url) => !url.pathname.endsWith(source));
  const fork = new ThreadPage(page);
  await fork.expectStatus("interrupted");
  await expect(fork.interrupt.getByTestId("interrupt-payload")).toContainText("E2E fork at interrupt");
  await expect(page.getByTestId("fork-error")).toHaveCount(0);
  // Exactly one fork was made, and the source did not move.
  const all = (await (await request.get("/api/threads?graphId=approval&limit=500")).json()) as {
    threads: { metadata: { forkedFrom?: { threadId: string } } }[];
  };
  expect(all.threads.filter((t) => t.metadata.forkedFrom?.threadId === source)).toHaveLength(1);
  expect((await apiHistory(request, source)).length).toBe(before.length);
  await fork.approve();
  await fork.expectStatus("done");

  // Back on the source: "Re-run review" runs the node again from the checkpoint before the interrupt.
  const back = await ThreadPage.open(page, source);
  await back.expectStatus("interrupted");
  const rerun = page.getByTestId("rerun");
  await expect(rerun).toHaveText(/Re-run review/);
  await page.screenshot({ path: `${SHOTS}/rerun-1280.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/rerun-390.png` });
  await page.setViewportSize({ width: 1280, height: 800 });
  await rerun.click();
  await expect.poll(async () => (await apiHistory(request, source)).length).toBe(before.length + 1);
  const head = (await apiHistory(request, source))[0];
  expect(head.parentId).toBe(paused.parentId);
  expect(head.checkpointId).not.toBe(paused.checkpointId);
  await back.expectStatus("interrupted");
  await expect(back.interrupt.getByTestId("interrupt-payload")).toContainText("E2E fork at interrupt");
  await expect(page.getByTestId("resume-error")).toHaveCount(0);
});
