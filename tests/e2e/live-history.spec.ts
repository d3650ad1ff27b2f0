import { expect, test } from "@playwright/test";
import { apiThread, ThreadPage } from "./pages";

/**
 * Opening a thread while its run is going: the first, paged load of the history races live refreshes. Every
 * checkpoint must end up in the timeline — the input included — without a reload, and a checkpoint is always
 * shown (the head follows the run).
 */
test("a reviewer who opens a thread while its long run is going sees every checkpoint, the input included", async ({ page, request }) => {
  const res = await request.post("/api/threads", { data: { graphId: "pipeline", input: { steps: 2500, stepMs: 2 } } });
  expect(res.status()).toBe(201);
  const { threadId } = await res.json();
  // Open it once the history is longer than one page (1000), while the run still goes on.
  await expect.poll(async () => (await apiThread(request, threadId)).checkpointCount, { timeout: 30_000 }).toBeGreaterThan(1100);
  const thread = await ThreadPage.open(page, threadId);
  await expect(page.getByTestId("checkpoint-title")).toBeVisible();
  await thread.expectStatus("done", 120_000);
  const total = (await apiThread(request, threadId)).checkpointCount;
  await expect(thread.timeline).toHaveAttribute("data-count", String(total), { timeout: 30_000 });
  // The oldest checkpoint, the run's input, is in the tree (the timeline runs oldest first: Home goes to it).
  await thread.timeline.focus();
  await page.keyboard.press("Home");
  await expect(thread.selectedRow).toHaveAttribute("data-source", "input");
  await expect(thread.selectedRow).toHaveAttribute("data-version", "1");
});
