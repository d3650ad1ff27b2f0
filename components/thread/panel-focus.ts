/**
 * Where keyboard focus goes after a decision: the button pressed is gone (the run continues), so the next
 * interrupt panel takes focus when it appears, and a keyboard user carries on from its start. A request, not
 * a rule: a panel that appears on page load (no action taken) leaves focus alone.
 */
let requested = false;

export function requestPanelFocus() {
  requested = true;
}

/** True once per request. */
export function takePanelFocus(): boolean {
  const was = requested;
  requested = false;
  return was;
}
