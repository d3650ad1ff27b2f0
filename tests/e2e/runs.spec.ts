import { expect, test } from "@playwright/test";
import { apiState, ThreadsPage } from "./pages";

/** Journeys 6 and 7, and the live view of a running pipeline. */

test("6. the research graph stops before write_report; Resume finishes it", async ({ page, request }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("research", { question: "How do durable workflows recover?" });
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt).toContainText("write_report");
  await expect(thread.graphNode("write_report")).toHaveAttribute("data-role", /next|interrupt/);
  // The three searches ran in one super-step: one checkpoint with all three nodes.
  await expect(page.locator("[data-testid=timeline-row][data-node*=search_papers]")).toHaveCount(1);

  await page.getByTestId("resume").click();
  await thread.expectStatus("done");
  await expect(thread.rowsByNode("write_report")).toHaveCount(1);
  const state = await apiState(request, thread.threadId);
  expect(String(state.values.report)).toContain("How do durable workflows recover?");
  expect((state.values.sources as unknown[]).length).toBe(6);
});

test("7. a failing step shows the error; Retry continues once the cause is gone", async ({ page, request }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic: "E2E failure journey", failDraft: true });
  await thread.expectStatus("error");
  await expect(thread.errorPanel.getByTestId("error-node")).toHaveText("draft");
  await expect(thread.errorPanel.getByTestId("error-message")).toContainText("draft writer is down");
  await expect(thread.graphNode("draft")).toHaveAttribute("data-role", "failed");

  // Retrying while the cause is still there fails the same way (a new failure, recorded at a later time).
  const errorAt = async () => ((await (await request.get(`/api/threads/${thread.threadId}`)).json()) as { error: { at: string } | null }).error?.at;
  const firstFailure = await errorAt();
  await thread.errorPanel.getByTestId("retry").click();
  await expect.poll(errorAt).not.toBe(firstFailure);
  await thread.expectStatus("error");
  await expect(thread.errorPanel.getByTestId("error-message")).toContainText("draft writer is down");

  // Remove the cause in the state, then retry: the run goes on to the review.
  await thread.errorPanel.getByTestId("error-edit-state").click();
  const failDraft = page.getByTestId("error-edit").getByLabel("failDraft", { exact: true });
  await expect(failDraft).toBeChecked();
  await failDraft.uncheck();
  await expect(page.getByTestId("error-edit-submit")).toHaveText("Save and retry");
  await page.getByTestId("error-edit-submit").click();
  await thread.expectStatus("interrupted");
  await expect(thread.errorPanel).toBeHidden();
  await thread.approve();
  await thread.expectStatus("done");
  const final = await apiState(request, thread.threadId);
  expect(final.values.failDraft).toBe(false);
  expect(final.values.published).toBe(true);
});

test("live: a running pipeline shows its progress and new checkpoints appear without a reload", async ({ page }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  // Long enough (~18 s) that a busy machine still shows the page before the run ends.
  const thread = await home.startRun("pipeline", { steps: 12, stepMs: 1500 });
  await expect(page.getByTestId("run-progress")).toBeVisible();
  await expect(page.getByTestId("run-progress-text")).toContainText("/12 steps");
  await expect.poll(() => thread.rowsByNode("work").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  await thread.expectStatus("done");
  await expect(thread.rowsByNode("work")).toHaveCount(12);
  await expect(thread.rowsByNode("finish")).toHaveCount(1);
  await expect(page.getByTestId("run-progress")).toBeHidden();
});
