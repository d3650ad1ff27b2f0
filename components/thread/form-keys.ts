/**
 * The keyboard contract of the thread page's forms: Esc cancels, Ctrl+Enter (⌘+Enter) sends. Bound on the
 * form element, so it works from any field, a textarea or a code editor included.
 */
export function formKeys(cancel: () => void) {
  return (e: React.KeyboardEvent<HTMLElement>) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      cancel();
    } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      const form = e.currentTarget instanceof HTMLFormElement ? e.currentTarget : e.currentTarget.closest("form");
      form?.requestSubmit();
    }
  };
}
