import { expect, test } from "@playwright/test";
import { apiThread, ThreadPage } from "./pages";

/** The thread page's Storage card: what the thread occupies, and its largest checkpoints as links into the timeline. */
test("the storage card shows a thread's size and selects a largest checkpoint in the timeline", async ({ page, request }, info) => {
  const res = await request.post("/api/threads", { data: { graphId: "pipeline", input: { steps: 40, stepMs: 0, label: "storage card" } } });
  expect(res.status()).toBe(201);
  const { threadId } = await res.json();
  await expect.poll(async () => (await apiThread(request, threadId)).status, { timeout: 60_000 }).toBe("done");
  const t = await apiThread(request, threadId);
  const report = await (await request.get(`/api/threads/${threadId}/storage`)).json();
  expect(report.checkpoints).toBe(t.checkpointCount);

  const thread = await ThreadPage.open(page, threadId);
  const card = page.getByTestId("storage-panel");
  await expect(card.getByTestId("storage-checkpoints")).toHaveText(String(t.checkpointCount));
  await expect(card.getByTestId("storage-total")).toHaveText(/^\d+(\.\d+)? (B|KiB|MiB)$/);
  await expect(card.getByTestId("storage-total")).toHaveAttribute("title", `${report.bytes.toLocaleString("en-US")} bytes`);
  await expect(card.getByTestId("storage-average")).toHaveText(/^\d+(\.\d+)? (B|KiB)$/);
  await expect(card.getByTestId("storage-snapshots")).toHaveText(String(report.snapshots));
  await expect(card.getByTestId("storage-deltas")).toHaveText(String(report.deltas));
  await expect(card.getByTestId("storage-backend")).toHaveText(report.backend);

  // Five rows, largest first; the rest behind "Show more".
  const rows = card.getByTestId("storage-largest-row");
  await expect(rows).toHaveCount(Math.min(5, report.largest.length));
  const sizes = (await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-bytes"))))) as number[];
  expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  if (report.largest.length > 5) {
    await card.getByTestId("storage-more").click();
    await expect(rows).toHaveCount(report.largest.length);
  }

  // A click selects that checkpoint in the timeline (and in the URL, as a timeline click does).
  const pick = report.largest[1] ?? report.largest[0];
  await card.locator(`[data-testid=storage-largest-row][data-checkpoint-id="${pick.checkpointId}"]`).click();
  await expect(thread.selectedRow).toHaveAttribute("data-checkpoint-id", pick.checkpointId);
  await expect(thread.selectedRow).toHaveAttribute("data-version", String(pick.version));
  await expect(card.locator(`[data-testid=storage-largest-row][aria-current=true]`)).toHaveAttribute("data-checkpoint-id", pick.checkpointId);
  expect(new URL(page.url()).searchParams.get("cp")).toBe(pick.checkpointId);
  await page.screenshot({ path: info.outputPath("thread-storage.png") });

  // A new checkpoint (an edit through the API) shows up in the card without a reload.
  const edit = await request.post(`/api/threads/${threadId}/state`, { data: { values: { label: "edited" } } });
  expect(edit.status()).toBe(201);
  await expect(card.getByTestId("storage-checkpoints")).toHaveText(String(t.checkpointCount + 1));
});
