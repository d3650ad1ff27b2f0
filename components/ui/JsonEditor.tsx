"use client";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { linter, lintGutter } from "@codemirror/lint";
import CodeMirror, { EditorView } from "@uiw/react-codemirror";
import { useMemo } from "react";

/**
 * A JSON editor (CodeMirror 6, bundled: nothing loads from a CDN) with syntax errors underlined as you type.
 * The parent owns the text, so nothing typed is lost when a request fails.
 */
export function JsonEditor({
  value,
  onChange,
  testId = "json-editor",
  minHeight = "160px",
  maxHeight = "420px",
  label,
}: {
  value: string;
  onChange: (text: string) => void;
  testId?: string;
  minHeight?: string;
  maxHeight?: string;
  label?: string;
}) {
  const name = label ?? "JSON editor";
  // The accessible name goes on CodeMirror's editable element (role textbox), not on its outer wrapper, which
  // assistive technology never focuses: an unnamed textbox is announced as just "edit text".
  const extensions = useMemo(
    () => [
      json(),
      linter(jsonParseLinter()),
      lintGutter(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": name, "aria-multiline": "true" }),
    ],
    [name],
  );
  return (
    <div data-testid={testId} className="overflow-hidden rounded-md ring-1 ring-slate-300 focus-within:ring-2 focus-within:ring-indigo-500">
      <CodeMirror
        value={value}
        onChange={onChange}
        extensions={extensions}
        minHeight={minHeight}
        maxHeight={maxHeight}
        basicSetup={{ foldGutter: true, highlightActiveLine: false, autocompletion: false }}
      />
    </div>
  );
}
