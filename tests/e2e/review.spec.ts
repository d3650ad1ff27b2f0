import { expect, test } from "@playwright/test";
import { apiHistory, apiState, editorText, replaceEditorText, ThreadsPage } from "./pages";

/** Journeys 1, 2, 3 and 8: a reviewer answering the approval graph's review interrupt. */

test("1. start an approval run from the New run form, approve, it ends done with the published draft", async ({ page, request }) => {
  // Everything (fonts, editor, graph drawing) is served by the app itself: no CDN, no outside host.
  const outside: string[] = [];
  page.on("request", (r) => {
    const host = new URL(r.url()).hostname;
    if (!["127.0.0.1", "localhost"].includes(host) && !r.url().startsWith("data:")) outside.push(r.url());
  });
  const home = new ThreadsPage(page);
  await home.goto();
  // The form is prefilled with the graph's example input.
  await page.getByTestId("new-run-graph").selectOption("approval");
  expect(await editorText(page.getByTestId("new-run-input"))).toContain("topic");

  const thread = await home.startRun("approval", { topic: "E2E approve journey" });
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt).toBeVisible();
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("E2E approve journey");
  await expect(thread.graphNode("review")).toHaveAttribute("data-role", "interrupt");

  await thread.approve();
  await thread.expectStatus("done");
  await expect(thread.interrupt).toBeHidden();
  await expect(page.getByTestId("done-banner")).toBeVisible();
  await expect(thread.rowsByNode("publish")).toHaveCount(1);
  await expect(thread.stateView).toContainText("publish: revision 1 published");

  const state = await apiState(request, thread.threadId);
  expect(state.values.published).toBe(true);
  expect(state.values.draft).toContain("E2E approve journey");

  // The list shows it as done.
  const threadId = thread.threadId;
  await page.getByTestId("nav-home").click();
  await expect(home.row(threadId)).toHaveAttribute("data-status", "done");
  await expect(home.row(threadId)).toContainText("E2E approve journey");
  expect(outside).toEqual([]);
});

test("2. edit the draft in the state form at the review, send it back for review, approve: the final state carries the edit, the timeline shows the author", async ({
  page,
  request,
}) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic: "E2E edit journey" });
  await thread.expectStatus("interrupted");

  await thread.interrupt.getByTestId("edit-state").click();
  const form = page.getByTestId("interrupt-edit");
  await expect(form.getByLabel("topic", { exact: true })).toHaveValue("E2E edit journey");
  await form.getByLabel("draft", { exact: true }).fill("# Edited by a human\n\nA better draft.");
  await page.getByTestId("interrupt-edit-reason").fill("tighter intro");
  await expect(page.getByTestId("interrupt-edit-submit")).toHaveText("Save and send back for review");
  await page.getByTestId("interrupt-edit-submit").click();

  // The review asks again, with the edited draft; approving publishes it.
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("A better draft.");
  await thread.approve();
  await thread.expectStatus("done");
  const state = await apiState(request, thread.threadId);
  expect(state.values.draft).toBe("# Edited by a human\n\nA better draft.");
  expect(state.values.published).toBe(true);

  const editRow = page.locator("[data-testid=timeline-row][data-source=update]");
  await expect(editRow).toHaveCount(1);
  // The author is the signed-in admin (from the session, not typed in the form).
  await expect(editRow.getByTestId("timeline-actor")).toHaveText("by Ada Admin");
  await editRow.click();
  await thread.tab("meta");
  await expect(page.getByTestId("meta-actor")).toHaveText("Ada Admin");
  await expect(page.getByTestId("meta-reason")).toHaveText("tighter intro");
  // Only the edited channel was written by the human edit.
  const history = await apiHistory(request, thread.threadId);
  const edit = history.find((c) => c.metadata.source === "update")!;
  expect((edit.metadata.writes as { channel: string }[]).map((w) => w.channel)).toEqual(["draft"]);
});

test("3. reject with a reason: the run revises and pauses again; approve", async ({ page, request }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic: "E2E reject journey" });
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("revision");

  await thread.reject("Needs a concrete example");
  // Revised and paused at the review again, now for revision 2.
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("Needs a concrete example");
  await thread.expectStatus("interrupted");
  await expect(thread.rowsByNode("revise")).toHaveCount(1);
  await expect(thread.rowsByNode("draft")).toHaveCount(2);

  await thread.approve();
  await thread.expectStatus("done");
  const state = await apiState(request, thread.threadId);
  expect(state.values.feedback).toEqual(["Needs a concrete example"]);
  expect(state.values.revisions).toBe(1);
  expect(state.values.published).toBe(true);
});

test("8. invalid JSON in the state editor is refused inline and nothing is sent", async ({ page, request }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic: "E2E invalid JSON" });
  await thread.expectStatus("interrupted");
  const before = await apiHistory(request, thread.threadId);

  const writes: string[] = [];
  page.on("request", (r) => {
    if (r.method() !== "GET") writes.push(`${r.method()} ${r.url()}`);
  });
  await thread.interrupt.getByTestId("edit-state").click();
  await page.getByTestId("interrupt-edit-mode").click(); // Edit as JSON
  const editor = page.getByTestId("interrupt-edit-editor");
  await replaceEditorText(editor, '{ "draft": "unterminated, }');
  await expect(page.getByTestId("interrupt-edit-invalid")).toContainText("Invalid JSON");
  const submit = page.getByTestId("interrupt-edit-submit");
  await expect(submit).toBeDisabled();
  await submit.click({ force: true });
  await page.keyboard.press("Enter");

  // A JSON array is valid JSON but not a state: refused too.
  await replaceEditorText(editor, "[1, 2]");
  await expect(page.getByTestId("interrupt-edit-invalid")).toContainText("must be a JSON object");
  await expect(submit).toBeDisabled();

  // A schema rejection from the server is shown inline and keeps the text.
  const bad = '{ "revisions": -5 }';
  await replaceEditorText(editor, bad);
  await expect(page.getByTestId("interrupt-edit-invalid")).toBeHidden();
  expect(writes).toEqual([]);
  await submit.click();
  await expect(page.getByTestId("interrupt-edit-error")).toBeVisible();
  expect(await editorText(editor)).toBe(bad);

  const after = await apiHistory(request, thread.threadId);
  expect(after.length).toBe(before.length);
  await thread.expectStatus("interrupted");
});
