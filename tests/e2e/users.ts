import { expect, type Browser, type Page } from "@playwright/test";

/** The people of the journeys (created by auth.setup.ts). */
export const USERS = {
  admin: { name: "Ada Admin", email: "ada@e2e.test", password: "ada-password-1", role: "admin" },
  reviewer: { name: "Rita Reviewer", email: "rita@e2e.test", password: "rita-password-1", role: "reviewer" },
  reviewer2: { name: "Rob Reviewer", email: "rob@e2e.test", password: "rob-password-1", role: "reviewer" },
  operator: { name: "Olga Operator", email: "olga@e2e.test", password: "olga-password-1", role: "operator" },
  viewer: { name: "Vic Viewer", email: "vic@e2e.test", password: "vic-password-1", role: "viewer" },
} as const;
export type Person = (typeof USERS)[keyof typeof USERS];

/** A browser of that person's own (fresh context), signed in through the sign-in page. */
export async function signInAs(browser: Browser, who: Person, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto("/signin");
  await page.getByTestId("signin-email").fill(who.email);
  await page.getByTestId("signin-password").fill(who.password);
  await page.getByTestId("signin-submit").click();
  await expect(page.getByTestId("me-name")).toHaveText(who.name);
  return page;
}
