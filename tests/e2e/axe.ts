import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

/** WCAG 2.0 / 2.1 A and AA: the rules the dashboard is held to. */
const TAGS = ["wcag2a", "wcag2aa", "wcag21aa"];

/**
 * Runs axe on what the page shows now and records a failure (soft: the journey goes on to the next page) for any serious or critical violation, listing each one (rule,
 * impact, the offending elements and axe's explanation) so the failure says what to fix. Moderate and minor
 * findings are printed but do not fail: the bar is "nothing that blocks a person".
 */
export async function expectAccessible(page: Page, name: string, opts: { include?: string } = {}) {
  let builder = new AxeBuilder({ page }).withTags(TAGS);
  if (opts.include) builder = builder.include(opts.include);
  const { violations } = await builder.analyze();
  const count = (impact: string) => violations.filter((v) => v.impact === impact).reduce((n, v) => n + v.nodes.length, 0);
  const blocking = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  console.log(
    `[axe] ${name}: critical ${count("critical")}, serious ${count("serious")}, moderate ${count("moderate")}, minor ${count("minor")}` +
      (violations.length ? ` (${violations.map((v) => `${v.id}×${v.nodes.length}`).join(", ")})` : ""),
  );
  const report = blocking
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help}\n` +
        v.nodes
          .slice(0, 8)
          .map((n) => `  - ${n.target.join(" ")}\n    ${n.failureSummary?.replace(/\n/g, "\n    ")}`)
          .join("\n") +
        (v.nodes.length > 8 ? `\n  … and ${v.nodes.length - 8} more` : ""),
    )
    .join("\n");
  expect.soft(blocking.length, `${name}: serious/critical accessibility violations\n${report}`).toBe(0);
}
