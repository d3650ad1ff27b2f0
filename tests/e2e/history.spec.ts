import { expect, test, type Page } from "@playwright/test";
import { apiHistory, apiThread, editorText, replaceEditorText, ThreadsPage, type ThreadPage } from "./pages";

/** Journeys 4 and 5: time travel on a finished thread. */

async function finishedApproval(page: Page, topic: string): Promise<ThreadPage> {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic });
  await thread.expectStatus("interrupted");
  await thread.approve();
  await thread.expectStatus("done");
  return thread;
}

test("4. fork an early checkpoint with an edited state: a new branch runs to the end, the original is unchanged", async ({ page, request }) => {
  const thread = await finishedApproval(page, "E2E fork journey");
  const original = await apiHistory(request, thread.threadId);
  await expect(thread.rows).toHaveCount(original.length);

  // Pick the early "draft" checkpoint and fork from it with a different draft.
  await thread.rowsByNode("draft").first().click();
  await expect(thread.selectedRow).toHaveAttribute("data-node", "draft");
  await page.getByTestId("fork-open").click();
  const editor = page.getByTestId("fork-editor");
  const state = JSON.parse(await editorText(editor)) as Record<string, unknown>;
  expect(state.draft).toContain("E2E fork journey");
  await replaceEditorText(editor, JSON.stringify({ ...state, draft: "# Forked draft\n\nAn alternative take." }, null, 2));
  await page.getByTestId("fork-submit").click();

  // The branch is drawn off the draft checkpoint and runs to the review, where we approve it.
  const forkRow = page.locator("[data-testid=timeline-row][data-source=fork]");
  await expect(forkRow).toHaveCount(1);
  await expect(forkRow).toHaveAttribute("data-depth", "1");
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("Forked draft");
  await thread.approve();
  await thread.expectStatus("done");
  await expect(page.locator("[data-testid=timeline-row][data-depth='1']").first()).toBeVisible();
  // fork, review (paused), review (answered), publish: all on the branch.
  await expect.poll(() => page.locator("[data-testid=timeline-row][data-depth='1']").count()).toBeGreaterThanOrEqual(4);

  // The original branch is unchanged: same checkpoints, same states; the branch ends published with the edit.
  const after = await apiHistory(request, thread.threadId);
  for (const cp of original) {
    const same = after.find((c) => c.checkpointId === cp.checkpointId)!;
    expect(same.values).toEqual(cp.values);
    expect(same.parentId).toBe(cp.parentId);
  }
  const tip = after[0];
  expect(tip.values.draft).toBe("# Forked draft\n\nAn alternative take.");
  expect(tip.values.published).toBe(true);
  expect(original[0].values.draft).toContain("E2E fork journey");
});

test("a reviewer forks an earlier draft while the thread waits: the fork's review is theirs to answer, with no notice about their own act", async ({
  page,
}) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic: "E2E fork while waiting" });
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt).toBeVisible();

  // With the review waiting, fork the draft step with another draft: the fork runs on to its own review.
  await thread.rowsByNode("draft").first().click();
  await page.getByTestId("fork-open").click();
  const editor = page.getByTestId("fork-editor");
  const state = JSON.parse(await editorText(editor)) as Record<string, unknown>;
  await replaceEditorText(editor, JSON.stringify({ ...state, draft: "# Forked while waiting" }, null, 2));
  await page.getByTestId("fork-submit").click();
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("Forked while waiting");

  // The move was the reviewer's own: no "changed while you were looking" notice, and Approve answers the fork.
  await expect(page.getByTestId("stale-notice")).toHaveCount(0);
  await expect(thread.interrupt.getByTestId("decision-approve")).toBeEnabled();
  await thread.approve();
  await thread.expectStatus("done");
});

test("5. inspect history: every checkpoint listed, the diff shows what a step changed, the graph highlights the node", async ({ page, request }) => {
  const thread = await finishedApproval(page, "E2E history journey");
  const t = await apiThread(request, thread.threadId);
  await expect(thread.rows).toHaveCount(t.checkpointCount);
  await expect(thread.timeline).toHaveAttribute("data-count", String(t.checkpointCount));
  await expect(thread.rowByVersion(1)).toHaveAttribute("data-source", "input");
  await expect(page.locator("[data-testid=timeline-row][data-head]")).toHaveAttribute("data-node", "publish");

  // Keyboard: Home selects the first checkpoint, ArrowDown the next.
  await thread.timeline.focus();
  await page.keyboard.press("Home");
  await expect(thread.selectedRow).toHaveAttribute("data-version", "1");
  await page.keyboard.press("ArrowDown");
  await expect(thread.selectedRow).toHaveAttribute("data-node", "draft");

  // What the draft step changed, against its parent.
  await thread.tab("diff");
  const draftChange = page.locator("[data-testid=diff-entry][data-path=draft]");
  await expect(draftChange).toBeVisible();
  await expect(draftChange).toHaveAttribute("data-kind", "changed");
  await expect(draftChange).toContainText("E2E history journey");
  await expect(page.locator("[data-testid=diff-entry][data-path^=log]").first()).toHaveAttribute("data-kind", "added");

  // The graph: the node that ran is filled, the next one outlined.
  await expect(thread.graphNode("draft")).toHaveAttribute("data-role", "current");
  await expect(thread.graphNode("review")).toHaveAttribute("data-role", "next");

  // Diff against any other checkpoint: the last one against the first.
  await thread.timeline.focus();
  await page.keyboard.press("End");
  await expect(thread.selectedRow).toHaveAttribute("data-node", "publish");
  await page.getByTestId("diff-against").fill("1");
  await expect(page.getByTestId("diff-base")).toHaveText("v1");
  await expect(page.locator("[data-testid=diff-entry][data-path=published]")).toBeVisible();
  await expect(thread.graphNode("publish")).toHaveAttribute("data-role", "current");

  // State tab shows the state tree; metadata lists the writes.
  await thread.tab("meta");
  await expect(page.getByTestId("meta-writes")).toContainText("published");
});

test("the timeline stays virtualized on a long thread and follows the keyboard to the end", async ({ page, request }) => {
  const res = await request.post("/api/threads", { data: { graphId: "pipeline", input: { steps: 400, stepMs: 0 } } });
  expect(res.status()).toBe(201);
  const { threadId } = await res.json();
  await expect.poll(async () => (await apiThread(request, threadId)).status, { timeout: 60_000 }).toBe("done");
  const total = (await apiThread(request, threadId)).checkpointCount;
  expect(total).toBeGreaterThan(400);

  await page.goto(`/threads/${threadId}`);
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toHaveAttribute("data-count", String(total));
  const rendered = await page.getByTestId("timeline-row").count();
  expect(rendered).toBeLessThan(100);
  await timeline.focus();
  await page.keyboard.press("Home");
  await expect(page.locator("[data-testid=timeline-row][data-selected]")).toHaveAttribute("data-version", "1");
  await page.keyboard.press("End");
  await expect(page.locator("[data-testid=timeline-row][data-selected]")).toHaveAttribute("data-node", "finish");
});
