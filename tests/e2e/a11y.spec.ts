import { expect, test, type APIRequestContext, type Browser } from "@playwright/test";
import { expectAccessible } from "./axe";
import { apiThread, ThreadPage, ThreadsPage } from "./pages";

/**
 * Accessibility (issue 11): axe (WCAG 2.0/2.1 A and AA) finds no serious or critical violation on any page of
 * the dashboard, in the states a reviewer works in (interrupt panel, reject and edit forms, the diff).
 */

async function thread(request: APIRequestContext, graphId: string, input: Record<string, unknown>, until: string): Promise<string> {
  const res = await request.post("/api/threads", { data: { graphId, input } });
  expect(res.status()).toBe(201);
  const { threadId } = await res.json();
  await expect.poll(async () => (await apiThread(request, threadId)).status, { timeout: 60_000 }).toBe(until);
  return threadId;
}

/** A signed-out browser (its own context: the suite's pages are signed in as the admin). */
async function signedOut(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  return context.newPage();
}

test("axe: the threads list", async ({ page, request }) => {
  await thread(request, "approval", { topic: "Axe list" }, "interrupted");
  await new ThreadsPage(page).goto();
  await expect(page.getByTestId("thread-row").first()).toBeVisible();
  await expectAccessible(page, "threads list");
});

test("axe: a thread waiting at an interrupt, its reject form, its edit form and a diff", async ({ page, request }) => {
  const id = await thread(request, "approval", { topic: "Axe interrupt" }, "interrupted");
  const tp = await ThreadPage.open(page, id);
  await expect(tp.interrupt).toBeVisible();
  await expect(tp.graphNode("review")).toBeVisible();
  await expectAccessible(page, "thread with interrupt panel");

  await tp.interrupt.getByTestId("decision-reject").click();
  await expect(tp.interrupt.getByTestId("decision-field-feedback")).toBeVisible();
  await expectAccessible(page, "reject form");
  // Sent empty, the form names the field: the error state is checked too.
  await tp.interrupt.getByTestId("decision-submit").click();
  await expect(tp.interrupt.getByTestId("decision-error-feedback")).toBeVisible();
  await expectAccessible(page, "reject form with an error");
  await tp.interrupt.getByTestId("decision-cancel").click();

  // The state edit: the form drawn from the channels' schemas, then the raw JSON editor.
  await tp.interrupt.getByTestId("edit-state").click();
  await expect(page.getByTestId("interrupt-edit-form")).toBeVisible();
  await expectAccessible(page, "edit form");
  await page.getByTestId("interrupt-edit-mode").click();
  await expect(page.getByTestId("interrupt-edit-editor")).toBeVisible();
  await expectAccessible(page, "edit form as JSON");
  await page.getByTestId("interrupt-edit-cancel").click();

  await tp.rowsByNode("draft").first().click();
  await tp.tab("diff");
  await expect(tp.diffEntries.first()).toBeVisible();
  await expectAccessible(page, "diff");
});

test("axe: a finished thread with its storage card", async ({ page, request }) => {
  const id = await thread(request, "pipeline", { steps: 8, stepMs: 0, label: "axe storage" }, "done");
  await ThreadPage.open(page, id);
  await expect(page.getByTestId("storage-panel").getByTestId("storage-total")).toBeVisible();
  await expectAccessible(page, "finished thread + storage card");
});

test("axe: a failed thread (error panel), the fork form and the metadata tab", async ({ page, request }) => {
  const failed = await thread(request, "approval", { topic: "Axe failure", failDraft: true }, "error");
  await ThreadPage.open(page, failed);
  await expect(page.getByTestId("error-panel")).toBeVisible();
  await expectAccessible(page, "failed thread");

  const id = await thread(request, "pipeline", { steps: 3, stepMs: 0, label: "axe fork" }, "done");
  const tp = await ThreadPage.open(page, id);
  await tp.rows.nth(1).click();
  await tp.tab("meta");
  await expectAccessible(page, "metadata tab");
  await page.getByTestId("fork-open").click();
  await expect(page.getByTestId("fork-panel")).toBeVisible();
  await expectAccessible(page, "fork form");
});

test("axe: the chat page with a tool call waiting for approval", async ({ page }) => {
  await page.goto("/chat");
  await page.getByTestId("chat-input").fill("what is 12 * 7");
  await page.getByTestId("chat-send").click();
  await expect(page.getByTestId("chat-approval")).toBeVisible();
  await expectAccessible(page, "chat");
});

test("axe: the list and a waiting thread at phone width (390 px)", async ({ page, request }) => {
  const id = await thread(request, "approval", { topic: "Axe phone" }, "interrupted");
  await page.setViewportSize({ width: 390, height: 800 });
  await new ThreadsPage(page).goto();
  await expect(page.getByTestId("thread-row").first()).toBeVisible();
  await expectAccessible(page, "threads list, 390 px");
  const tp = await ThreadPage.open(page, id);
  await expect(tp.interrupt).toBeVisible();
  await expectAccessible(page, "thread with interrupt panel, 390 px");
});

test("axe: settings (users & tokens) and the audit trail", async ({ page }) => {
  await page.goto("/settings");
  await expect(page.getByTestId("settings-page")).toBeVisible();
  await expect(page.getByText("rita@e2e.test")).toBeVisible();
  await expectAccessible(page, "settings");

  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  await expectAccessible(page, "audit");
});

test("axe: sign-in and set-up, signed out", async ({ browser, baseURL }) => {
  const page = await signedOut(browser, baseURL!);
  await page.goto("/signin");
  await expect(page.getByTestId("signin-email")).toBeVisible();
  await expectAccessible(page, "sign-in");

  await page.goto("/setup?token=not-a-real-token");
  await expect(page.getByTestId("setup-name")).toBeVisible();
  await expectAccessible(page, "setup");
  await page.context().close();
});

/** Walks the page with Tab (as a keyboard user) and describes every stop: where it is, and how focus is drawn. */
async function tabStops(page: import("@playwright/test").Page, max = 80) {
  const stops: { what: string; inGraphDrawing: boolean; ring: boolean }[] = [];
  await page.locator("body").click({ position: { x: 1, y: 1 } });
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      const outlined = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2;
      // CodeMirror's text area draws focus on the editor's frame (a focus-within ring), not on itself.
      const frame = el.classList.contains("cm-content") ? el.closest("[data-testid]") : null;
      const framed = !!frame && getComputedStyle(frame).boxShadow !== "none";
      return {
        what: `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ""} "${(el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 30)}"`,
        inGraphDrawing: !!el.closest(".react-flow__node, .react-flow__edge"),
        ring: outlined || framed,
      };
    });
    if (!stop) break;
    stops.push(stop);
  }
  return stops;
}

test("keyboard: the graph drawing's nodes are not Tab stops, and every Tab stop shows a focus ring", async ({ page, request }) => {
  const id = await thread(request, "approval", { topic: "Tab walk" }, "interrupted");
  await new ThreadsPage(page).goto();
  const listStops = await tabStops(page);
  expect(listStops.length).toBeGreaterThan(5);
  expect(listStops.filter((s) => !s.ring).map((s) => s.what)).toEqual([]);

  const tp = await ThreadPage.open(page, id);
  await expect(tp.graphNode("review")).toBeVisible();
  const stops = await tabStops(page);
  expect(stops.some((s) => s.what.includes("approve"))).toBe(true);
  expect(stops.filter((s) => s.inGraphDrawing).map((s) => s.what)).toEqual([]);
  expect(stops.filter((s) => !s.ring).map((s) => s.what)).toEqual([]);
  // The drawing still offers its zoom controls to the keyboard.
  expect(stops.some((s) => /zoom in/i.test(s.what))).toBe(true);
});
