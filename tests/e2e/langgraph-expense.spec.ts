import { expect, test } from "@playwright/test";
import { apiHistory, apiState, editorText, replaceEditorText, ThreadsPage } from "./pages";

/**
 * A LangGraph.js graph in the dashboard (the default config's `expense`, a `StateGraph` run through
 * WaypointSaver): started from the New run form, its `interrupt()` answered with the buttons drawn from the
 * interrupt's responseSchema, its static interruptBefore continued, then an old checkpoint edited into a branch
 * that runs, and forked into a new thread.
 */
test("LangGraph.js expense claim: start, approve at the interrupt, continue, edit an old checkpoint, fork", async ({ page, request }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("expense", {
    employee: "Grace",
    amount: 320,
    purpose: "Flight to the Lisbon offsite",
    delayMs: 0,
    failPayment: false,
  });
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt).toBeVisible();
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("Approve Grace's travel claim of 320?");
  await expect(thread.graphNode("review")).toHaveAttribute("data-role", "interrupt");
  // LangChain messages are shown readably (type and content), LangGraph's trigger channels are not.
  await expect(thread.stateView).toContainText('"category":"travel"');
  await expect(thread.stateView).not.toContainText("branch:to:");
  await thread.stateView.getByText("{...}").first().click(); // the collapsed message opens
  await expect(thread.stateView).toContainText("Grace's travel claim of 320");
  await expect(thread.stateView).toContainText('"type":"ai"');

  await page.screenshot({ path: "test-results/e2e/langgraph-expense-interrupt.png", fullPage: true });
  await thread.interrupt.getByTestId("decision-approve").click();
  // Paused again before `pay` (interruptBefore): Continue releases the payment.
  await expect(thread.interrupt).toContainText("pay");
  await thread.interrupt.getByTestId("continue").click();
  await thread.expectStatus("done");
  await expect(thread.stateView).toContainText('"paid":true');
  const done = await apiState(request, thread.threadId);
  expect(done.values).toMatchObject({ decision: "approved", paid: true });
  await page.screenshot({ path: "test-results/e2e/langgraph-expense-done.png", fullPage: true });

  // Edit an old checkpoint (before triage): a smaller amount, run as a new branch; the original stays.
  const original = await apiHistory(request, thread.threadId);
  await thread.rowsByNode("__start__").first().click();
  await expect(thread.selectedRow).toHaveAttribute("data-node", "__start__");
  await page.getByTestId("fork-open").click();
  const editor = page.getByTestId("fork-editor");
  const state = JSON.parse(await editorText(editor)) as Record<string, unknown>;
  expect(state.amount).toBe(320);
  await replaceEditorText(editor, JSON.stringify({ ...state, amount: 45 }, null, 2));
  await page.getByTestId("fork-submit").click();
  await expect(page.locator("[data-testid=timeline-row][data-source=fork]")).toHaveCount(1);
  // Within the limit: approved automatically, then paused before pay on the branch.
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt).toContainText("pay");
  const branch = await apiState(request, thread.threadId);
  expect(branch.values).toMatchObject({ amount: 45, decision: "auto-approved" });
  const after = await apiHistory(request, thread.threadId);
  for (const cp of original) expect(after.find((c) => c.checkpointId === cp.checkpointId)!.values).toEqual(cp.values);
  await page.screenshot({ path: "test-results/e2e/langgraph-expense-branch.png", fullPage: true });

  // Fork the branch's triage step into a new thread, run at once: it continues from there (LangGraph resumes
  // past the static interrupt on a run from a checkpoint) and pays the smaller claim.
  const source = thread.threadId;
  await thread.rowsByNode("triage").first().click();
  await page.getByTestId("fork-open").click();
  await page.getByTestId("fork-new-thread").check();
  await page.getByTestId("fork-submit").click();
  await page.waitForURL((url) => !url.pathname.endsWith(encodeURIComponent(source)));
  await thread.expectStatus("done");
  await expect(page.getByTestId("thread-lineage")).toContainText(source.slice(0, 8));
  expect((await apiState(request, thread.threadId)).values).toMatchObject({ amount: 45, paid: true });
  await page.screenshot({ path: "test-results/e2e/langgraph-expense-fork.png", fullPage: true });
});
