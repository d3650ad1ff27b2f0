/**
 * The graphs this server runs: the demo graphs. Add yours here (see "Add your own graph" in README.md); the
 * file is read when the server starts (no rebuild), or point WAYPOINT_CONFIG at another file.
 */
import { defineConfig } from "waypoint/config";

export default defineConfig({
  graphs: [
    {
      id: "approval",
      title: "Content approval",
      description: "Draft → human review (approve / reject with feedback / edit) → revise or publish.",
      exampleInput: { topic: "Why checkpoints make agents debuggable" },
      module: "./lib/graphs/approval.ts",
      export: "approval",
    },
    {
      id: "approval-2p",
      title: "Content approval (two-person)",
      description: "As Content approval, but publishing needs two approvals from distinct reviewers, neither the requester.",
      exampleInput: { topic: "Why checkpoints make agents debuggable" },
      module: "./lib/graphs/approval.ts",
      export: "approvalTwoPerson",
    },
    {
      id: "research",
      title: "Research report",
      description: "Plan → three parallel searches → merge → (human check) → write report.",
      exampleInput: { question: "How do durable workflow engines recover from crashes?" },
      module: "./lib/graphs/research.ts",
      export: "research",
    },
    {
      id: "pipeline",
      title: "Long pipeline",
      description: "A configurable number of steps, each taking a configurable time: watch progress, kill the server, watch it resume.",
      exampleInput: { steps: 10, stepMs: 1000, failAt: null },
      module: "./lib/graphs/pipeline.ts",
      export: "pipeline",
    },
    {
      id: "vendor",
      title: "Vendor choice",
      description: "Quotes from three vendors → a person picks one and sets a budget → order (or hold, if over budget).",
      exampleInput: { need: "40 ergonomic office chairs" },
      module: "./lib/graphs/vendor.ts",
      export: "vendor",
    },
    {
      id: "chat",
      title: "Chat with tool approval",
      description: "A scripted assistant in LangChain's message format; a human approves each tool call (Agent Inbox interrupt).",
      exampleInput: { messages: [{ type: "human", content: "What is 12 * 7?" }] },
      module: "./lib/graphs/chat.ts",
      export: "chat",
    },
    {
      id: "expense",
      kind: "langgraph",
      title: "Expense claim (LangGraph.js)",
      description:
        "A LangGraph.js StateGraph run on Waypoint's store: triage → a person approves claims over 100 (interrupt()) → payment, released by a person (interruptBefore).",
      exampleInput: { employee: "Ada", amount: 240, purpose: "Train to the Berlin client workshop", delayMs: 0, failPayment: false },
      module: "./lib/graphs/expense.ts",
      export: "expense",
    },
  ],
});
