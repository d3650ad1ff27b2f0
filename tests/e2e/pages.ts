import { expect, type APIRequestContext, type Locator, type Page } from "@playwright/test";

/** Page objects: every selector the journeys use lives here, on data-testid attributes. */

/** Replaces a CodeMirror editor's whole text the way a person would: click, select all, type/paste. */
export async function replaceEditorText(editor: Locator, text: string) {
  const content = editor.locator(".cm-content");
  await content.click();
  await editor.page().keyboard.press("ControlOrMeta+a");
  await editor.page().keyboard.press("Delete");
  await editor.page().keyboard.insertText(text);
}

export async function editorText(editor: Locator): Promise<string> {
  return (await editor.locator(".cm-line").allInnerTexts()).join("\n");
}

export class ThreadsPage {
  constructor(readonly page: Page) {}
  async goto() {
    await this.page.goto("/");
    await expect(this.page.getByTestId("thread-list")).toBeVisible();
  }
  get form() {
    return this.page.getByTestId("new-run-form");
  }
  /** Fills the New run form and starts the run; resolves on the new thread's page. */
  async startRun(graphId: string, input: Record<string, unknown>): Promise<ThreadPage> {
    await this.page.getByTestId("new-run-graph").selectOption(graphId);
    const editor = this.page.getByTestId("new-run-input");
    await replaceEditorText(editor, JSON.stringify(input, null, 2));
    await this.page.getByTestId("new-run-submit").click();
    await this.page.waitForURL(/\/threads\/[^/?]+/);
    const tp = new ThreadPage(this.page);
    await expect(tp.root).toBeVisible();
    return tp;
  }
  row(threadId: string) {
    return this.page.locator(`[data-testid=thread-row][data-thread-id="${threadId}"]`);
  }
}

export class ThreadPage {
  constructor(readonly page: Page) {}
  static async open(page: Page, threadId: string) {
    await page.goto(`/threads/${threadId}`);
    const tp = new ThreadPage(page);
    await expect(tp.root).toBeVisible();
    return tp;
  }
  get root() {
    return this.page.getByTestId("thread-page");
  }
  get threadId() {
    return decodeURIComponent(new URL(this.page.url()).pathname.split("/").pop()!);
  }
  get status() {
    return this.root.getByTestId("status-badge").first();
  }
  async expectStatus(status: string, timeout = 30_000) {
    await expect(this.root).toHaveAttribute("data-status", status, { timeout });
  }
  // Interrupt panel
  get interrupt() {
    return this.page.getByTestId("interrupt-panel");
  }
  /** Approve at a dynamic interrupt (the declared "approve" decision), or Continue at a static one. */
  async approve() {
    await this.interrupt.locator("[data-testid=decision-approve], [data-testid=continue]").first().click();
  }
  async reject(reason: string) {
    await this.interrupt.getByTestId("decision-reject").click();
    await this.interrupt.getByTestId("decision-field-feedback").fill(reason);
    await this.interrupt.getByTestId("decision-submit").click();
  }
  // Error panel
  get errorPanel() {
    return this.page.getByTestId("error-panel");
  }
  // Timeline
  get timeline() {
    return this.page.getByTestId("timeline");
  }
  get rows() {
    return this.page.getByTestId("timeline-row");
  }
  rowByVersion(version: number) {
    return this.page.locator(`[data-testid=timeline-row][data-version="${version}"]`);
  }
  rowsByNode(node: string) {
    return this.page.locator(`[data-testid=timeline-row][data-node="${node}"]`);
  }
  get selectedRow() {
    return this.page.locator("[data-testid=timeline-row][data-selected]");
  }
  // Checkpoint panel
  get checkpoint() {
    return this.page.getByTestId("checkpoint-panel");
  }
  async tab(name: "state" | "diff" | "meta") {
    await this.page.getByTestId(`tab-${name}`).click();
  }
  get stateView() {
    return this.page.getByTestId("state-view");
  }
  get diffEntries() {
    return this.page.getByTestId("diff-entry");
  }
  graphNode(id: string) {
    return this.page.getByTestId(`graph-node-${id}`);
  }
}

/** Reads through the API (assertions on stored data, not on what the page shows). */
export async function apiState(request: APIRequestContext, threadId: string, checkpointId?: string) {
  const res = await request.get(`/api/threads/${threadId}/state${checkpointId ? `?checkpointId=${checkpointId}` : ""}`);
  expect(res.ok()).toBeTruthy();
  return (await res.json()) as { values: Record<string, unknown>; next: string[]; checkpoint: { checkpointId: string; version: number } };
}

export async function apiThread(request: APIRequestContext, threadId: string) {
  const res = await request.get(`/api/threads/${threadId}`);
  expect(res.ok()).toBeTruthy();
  return (await res.json()) as { status: string; checkpointCount: number; headCheckpointId: string };
}

export async function apiHistory(request: APIRequestContext, threadId: string) {
  const res = await request.get(`/api/threads/${threadId}/history?limit=1000`);
  expect(res.ok()).toBeTruthy();
  return (
    (await res.json()) as {
      checkpoints: {
        checkpointId: string;
        parentId: string | null;
        version: number;
        nodeName: string;
        values: Record<string, unknown>;
        metadata: Record<string, unknown>;
      }[];
    }
  ).checkpoints;
}
