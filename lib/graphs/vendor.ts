import { z } from "zod";
import { END, START, StateGraph, appendReducer, interrupt } from "waypoint/engine";
import { defineGraph } from "waypoint/config";
import { hash } from "./util";

/**
 * `vendor` — choose a supplier: `quote` asks three (fake, deterministic) vendors for a price, `choose` stops
 * with `interrupt()` until a person picks one of them and sets a budget, and `order` places the order within
 * that budget. Its answer has a different shape from the approval graphs' (an option, a number, a note): the
 * dashboard draws its panel from the `resume` schema alone.
 */
const VENDORS = ["northwind", "contoso", "fabrikam"] as const;
const Need = z.string().trim().min(1).max(500);
const input = z.object({ need: Need }).strict();

export const Choice = z
  .object({
    vendor: z.enum(VENDORS).meta({ title: "Vendor" }),
    budget: z
      .number({ error: "Enter the budget as a number of euros." })
      .int({ error: "Whole euros only." })
      .min(100, { error: "The budget must be at least €100." })
      .max(50_000, { error: "Budgets over €50,000 need a purchase committee." })
      .meta({ title: "Budget (€)", description: "The most this order may cost, €100–€50,000." }),
    note: z.string().max(500).optional().meta({ title: "Note for the buyer" }),
  })
  .meta({ title: "Choose a vendor" });
export type Choice = z.infer<typeof Choice>;

const Quote = z.object({ vendor: z.enum(VENDORS), price: z.number().int(), days: z.number().int() });
type Quote = z.infer<typeof Quote>;

export const vendor = defineGraph({
  input,
  failureHint: "This graph has no failure switch: pick a vendor with a budget below its quote to see the order held.",
  build: () =>
    new StateGraph({
      need: { schema: Need, description: "What to buy." },
      quotes: { default: () => [], schema: z.array(Quote), description: "One quote per vendor." },
      choice: { default: () => null, schema: Choice.nullable(), internal: true, description: "The person's answer, as given." },
      order: { default: () => null, schema: z.string().nullable(), description: "The order placed, or why it was held." },
      log: { reducer: appendReducer, default: () => [], schema: z.array(z.string()), internal: true },
    })
      .addNode(
        "quote",
        (s) => {
          const quotes = VENDORS.map((v) => {
            const h = hash(`${v}:${s.need}`);
            return { vendor: v, price: 500 + (h % 40) * 250, days: 2 + ((h >>> 8) % 12) };
          });
          return { quotes, log: `quote: ${quotes.length} quotes` };
        },
        { description: "Asks each vendor for a price (deterministic fakes)." },
      )
      .addNode(
        "choose",
        (s) => {
          const choice = interrupt<Choice>({
            question: "Which vendor, and with what budget?",
            need: s.need,
            quotes: Object.fromEntries((s.quotes as Quote[]).map((q) => [q.vendor, `€${q.price}, ${q.days} days`])),
          });
          return { choice, log: `choose: ${choice.vendor}, budget €${choice.budget}` };
        },
        { description: "Waits for a person to pick a vendor and a budget (dynamic interrupt).", resume: Choice },
      )
      .addNode(
        "order",
        (s) => {
          const c = s.choice as Choice;
          const q = (s.quotes as Quote[]).find((x) => x.vendor === c.vendor)!;
          const order =
            q.price <= c.budget
              ? `Ordered "${s.need}" from ${c.vendor} for €${q.price} (budget €${c.budget})${c.note ? `: ${c.note}` : "."}`
              : `Held: ${c.vendor} quotes €${q.price}, over the budget of €${c.budget}.`;
          return { order, log: `order: ${order}` };
        },
        { description: "Places the order if the quote fits the budget." },
      )
      .addEdge(START, "quote")
      .addEdge("quote", "choose")
      .addEdge("choose", "order")
      .addEdge("order", END),
});
