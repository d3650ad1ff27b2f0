/** The graph's entry and exit: edges leave START and reach END; neither is a node. */
export const START = "__start__";
export const END = "__end__";

/** Pending-write channels that are bookkeeping, not state: a node completed, its Command's goto, resume values it consumed. */
export const DONE = "__done__";
export const GOTO = "__goto__";
export const RESUME = "__resume__";
