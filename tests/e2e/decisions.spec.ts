import { expect, test, type Page } from "@playwright/test";
import { apiHistory, apiState, ThreadsPage } from "./pages";

/**
 * Decisions and edits shaped by the graph (issue 11), in a reviewer's words. The vendor graph's answer has its own
 * shape (a vendor, a budget, a note); the dashboard draws its panel from the graph's declared schema alone.
 */
const SHOTS = "/work/shots/h2";

async function shot(page: Page, name: string) {
  if (process.env.E2E_SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

test("the vendor graph's panel offers its vendors and a budget; an invalid budget is refused inline; a valid one ends the run with it", async ({
  page,
  request,
}) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("vendor", { need: "40 office chairs" });
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("Which vendor");

  // One button per vendor, no approve / reject.
  const buttons = thread.interrupt.getByTestId("decision-buttons").getByRole("button");
  await expect(buttons).toHaveText([/Northwind/, /Contoso/, /Fabrikam/, /Edit state/]);
  await thread.interrupt.getByTestId("decision-contoso").click();
  const form = thread.interrupt.getByTestId("decision-form");
  await expect(form.getByLabel(/Budget/)).toBeFocused();
  await shot(page, "vendor-panel-1280");

  const before = await apiHistory(request, thread.threadId);
  // Too small: refused here, beside the field, and nothing is sent.
  await form.getByLabel(/Budget/).fill("5");
  await form.getByTestId("decision-submit").click();
  await expect(form.getByTestId("decision-error-budget")).toHaveText("Must be at least 100.");
  await expect(form.getByLabel(/Budget/)).toHaveAttribute("aria-invalid", "true");
  // Not a number: refused too.
  await form.getByLabel(/Budget/).fill("lots");
  await form.getByTestId("decision-submit").click();
  await expect(form.getByTestId("decision-error-budget")).toHaveText("Must be a number.");
  await shot(page, "vendor-panel-error-1280");
  expect(await apiHistory(request, thread.threadId)).toHaveLength(before.length);

  await form.getByLabel(/Budget/).fill("20000");
  await form.getByLabel(/Note/).fill("Deliver to the 3rd floor");
  await form.getByTestId("decision-submit").click();
  await thread.expectStatus("done");
  const state = await apiState(request, thread.threadId);
  expect(state.values.choice).toEqual({ vendor: "contoso", budget: 20000, note: "Deliver to the 3rd floor" });
  expect(state.values.order).toMatch(/from contoso/);
});

test("the server's refusal of an answer is shown beside the field it names", async ({ page }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("vendor", { need: "a server check" });
  await thread.expectStatus("interrupted");
  await thread.interrupt.getByTestId("decision-northwind").click();
  const form = thread.interrupt.getByTestId("decision-form");
  // Within the JSON Schema's bounds but not whole euros: only the graph's own zod schema says no.
  await form.getByLabel(/Budget/).fill("150.5");
  await form.getByTestId("decision-submit").click();
  await expect(form.getByTestId("decision-error-budget")).toBeVisible();
  await thread.expectStatus("interrupted");
});

test("at a phone's width the vendor panel and its form fit", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("vendor", { need: "phone check" });
  await thread.expectStatus("interrupted");
  await expect(thread.interrupt.getByTestId("decision-northwind")).toBeVisible();
  await shot(page, "vendor-panel-390");
  await thread.interrupt.getByTestId("decision-fabrikam").click();
  await thread.interrupt
    .getByTestId("decision-form")
    .getByLabel(/Budget/)
    .fill("9");
  await thread.interrupt.getByTestId("decision-submit").click();
  await expect(thread.interrupt.getByTestId("decision-error-budget")).toBeVisible();
  const box = await thread.interrupt.boundingBox();
  expect(box!.width).toBeLessThanOrEqual(390);
  await shot(page, "vendor-form-390");
  // The state form at this width too: the vendor graph's quotes are a list of objects.
  await thread.interrupt.getByTestId("decision-cancel").click();
  await thread.interrupt.getByTestId("edit-state").click();
  await expect(page.getByTestId("interrupt-edit")).toHaveAttribute("data-mode", "form");
  await expect(page.getByTestId("interrupt-edit").getByLabel("need", { exact: true })).toHaveValue("phone check");
  await shot(page, "edit-form-390");
});

test("editing the state with the generated form: internal channels hidden, the payload in view, sent back for review", async ({ page, request }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic: "A generated form" });
  await thread.expectStatus("interrupted");
  await thread.interrupt.getByTestId("edit-state").click();
  const edit = page.getByTestId("interrupt-edit");
  await expect(edit).toHaveAttribute("data-mode", "form");
  // The payload stays on screen while editing.
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toBeVisible();
  // Channels people edit, not the internal ones.
  await expect(edit.getByLabel("topic", { exact: true })).toHaveValue("A generated form");
  await expect(edit.getByLabel("log", { exact: true })).toHaveCount(0);
  await expect(page.getByTestId("interrupt-edit-hidden")).toContainText("log");
  await expect(page.getByTestId("interrupt-edit-submit")).toHaveText("Save and send back for review");

  // The form checks the schema before sending: a negative revision count is refused inline.
  const revisions = edit.getByLabel("revisions", { exact: true });
  await revisions.fill("-1");
  await page.getByTestId("interrupt-edit-submit").click();
  await expect(edit.locator(".error-detail")).toContainText("Must be at least 0.");
  await revisions.fill("0");
  await edit.getByLabel("draft", { exact: true }).fill("# My own draft\n\nWritten in the form.");
  await shot(page, "edit-form-1280");
  await page.getByTestId("interrupt-edit-reason").fill("rewrote it");
  await page.getByTestId("interrupt-edit-submit").click();

  // Sent back for review: the review asks again, with the edit.
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("Written in the form.");
  await thread.expectStatus("interrupted");
  const history = await apiHistory(request, thread.threadId);
  const editCp = history.find((c) => c.metadata.source === "update")!;
  expect((editCp.metadata.writes as { channel: string }[]).map((w) => w.channel)).toEqual(["draft"]);
  await thread.approve();
  await thread.expectStatus("done");
  expect((await apiState(request, thread.threadId)).values.draft).toBe("# My own draft\n\nWritten in the form.");
});

test("the raw JSON editor is one click away, and a static interrupt's edit says it continues", async ({ page, request }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("research", { question: "Edit as JSON" });
  await thread.expectStatus("interrupted");
  await thread.interrupt.getByTestId("edit-state").click();
  await expect(page.getByTestId("interrupt-edit-submit")).toHaveText("Save and continue");
  await page.getByTestId("interrupt-edit-mode").click();
  const editor = page.getByTestId("interrupt-edit-editor");
  // The whole state, internal channels included (CodeMirror draws only the lines in view: the first ones).
  await expect(editor).toContainText('"failSearch": null');
  await expect(editor).toContainText('"findings"');
  await page.getByTestId("interrupt-edit-mode").click();
  await expect(page.getByTestId("interrupt-edit")).toHaveAttribute("data-mode", "form");
  await page.getByTestId("interrupt-edit-submit").click();
  await thread.expectStatus("done");
  expect(String((await apiState(request, thread.threadId)).values.report)).toContain("Edit as JSON");
});

test("keyboard: Approve within two Tab stops, Esc cancels, Ctrl+Enter sends, focus returns to the next panel", async ({ page, request }) => {
  const home = new ThreadsPage(page);
  await home.goto();
  const thread = await home.startRun("approval", { topic: "Keyboard only" });
  await thread.expectStatus("interrupted");

  // Reject with a reason, from the keyboard.
  await expect(thread.interrupt.getByTestId("decision-approve")).toBeVisible();
  await thread.interrupt.focus();
  await expect(thread.interrupt).toBeFocused();
  let reached = false;
  for (let i = 0; i < 2 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await thread.interrupt.getByTestId("decision-approve").evaluate((el) => el === document.activeElement);
  }
  expect(reached).toBe(true);
  await page.keyboard.press("Tab"); // → Reject…
  await expect(thread.interrupt.getByTestId("decision-reject")).toBeFocused();
  await page.keyboard.press("Enter");
  const reason = thread.interrupt.getByTestId("decision-field-feedback");
  await expect(reason).toBeFocused();
  await page.keyboard.type("never mind");
  await shot(page, "approval-reject-form-1280");
  await page.keyboard.press("Escape");
  await expect(thread.interrupt.getByTestId("decision-form")).toHaveCount(0);
  await expect(thread.interrupt).toBeFocused();

  await thread.interrupt.getByTestId("decision-reject").click();
  await reason.fill("Shorter, please");
  await page.keyboard.press("Control+Enter");
  // Revised and asking again: focus is on the new panel, and Approve is within two Tab stops of it.
  await expect(thread.interrupt.getByTestId("interrupt-payload")).toContainText("Shorter, please");
  await expect(thread.interrupt).toBeFocused();
  reached = false;
  for (let i = 0; i < 2 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await thread.interrupt.getByTestId("decision-approve").evaluate((el) => el === document.activeElement);
  }
  expect(reached).toBe(true);

  // The state editor: Esc cancels it too, Ctrl+Enter saves.
  await thread.interrupt.getByTestId("edit-state").click();
  await page.getByTestId("interrupt-edit-reason").focus();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("interrupt-edit")).toHaveCount(0);
  await page.keyboard.press("Enter"); // the panel has focus: nothing happens
  await thread.expectStatus("interrupted");

  await thread.approve();
  await thread.expectStatus("done");
  expect((await apiState(request, thread.threadId)).values.feedback).toEqual(["Shorter, please"]);
});
