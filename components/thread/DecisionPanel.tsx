"use client";
import { useEffect, useState } from "react";
import { ApiError } from "@/lib/client/api";
import { decisionChoices, oneClick, type DecisionChoice, type DecisionField } from "@/lib/client/decision-shape";
import { byField, checkJson, type JsonSchema } from "@/lib/api/schema-check";
import { Button } from "../ui/Button";
import { DecisionFields, fieldValues, initialDrafts, type Drafts } from "./DecisionFields";
import { formKeys } from "./form-keys";

/** Without a declared schema (or one that is not buttons and fields), the answer is typed as JSON. */
const JSON_ANSWER: DecisionChoice = {
  id: "answer",
  label: "Answer",
  heading: "Your answer, as JSON",
  submitLabel: "Send answer",
  tone: "primary",
  fixed: {},
  fields: [{ name: "answer", label: "Answer (JSON)", required: true, kind: "json", schema: {} }],
  schema: {},
};

/** The server's refusal (400 INVALID_RESUME) as messages beside the fields it names. */
function serverErrors(error: unknown, fields: DecisionField[]): Record<string, string> {
  if (!(error instanceof ApiError) || error.code !== "INVALID_RESUME") return {};
  const issues = (error.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [];
  const names = new Set(fields.map((f) => f.name));
  return byField(issues.map((i) => ({ path: names.has(i.path.split(".")[0]) ? i.path.split(".")[0] : "", message: i.message })));
}

/** The filled text fields as the person wrote them: one field alone as is, several as "Label: text" lines. */
function typedText(fields: DecisionField[], drafts: Drafts): string {
  const filled = fields.filter((f) => typeof drafts[f.name] === "string" && (drafts[f.name] as string).trim() !== "");
  if (filled.length === 1) return drafts[filled[0].name] as string;
  return filled.map((f) => `${f.label}: ${drafts[f.name] as string}`).join("\n");
}

/**
 * The decision buttons and, for a decision that needs more than a click, its form: drawn from the interrupting
 * node's resume schema (lib/client/decision-shape.ts), checked here before sending and again by the server, whose
 * refusal is shown beside the field it names. Esc cancels the form, Ctrl+Enter sends it.
 */
export function DecisionPanel({
  schema,
  payload,
  pending,
  error,
  disabled,
  firstLabelSuffix,
  firstDisabled,
  firstTitle,
  onAnswer,
  onOpen,
  onCancel,
  onTyped,
  children,
}: {
  schema: JsonSchema | undefined;
  payload: unknown;
  pending: boolean;
  error: unknown;
  disabled: boolean;
  /** E.g. "(1 of 2)" under a two-person rule, on the first (approving) decision. */
  firstLabelSuffix?: string;
  firstDisabled?: boolean;
  firstTitle?: string;
  onAnswer: (value: unknown, done: () => void) => void;
  /** Told when a decision's form opens (the parent hides its other actions). */
  onOpen: (open: boolean) => void;
  onCancel: () => void;
  /** Told what the open form holds as text (its filled text fields, one per paragraph), "" when no form is open. */
  onTyped?: (text: string) => void;
  /** More actions beside the decision buttons (Edit state…). */
  children?: React.ReactNode;
}) {
  const choices = decisionChoices(schema) ?? [JSON_ANSWER];
  const [open, setOpen] = useState<DecisionChoice | null>(null);
  const [drafts, setDrafts] = useState<Drafts>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [sentWith, setSentWith] = useState<unknown>(null);

  useEffect(() => {
    onTyped?.(typedText(open?.fields ?? [], drafts));
  }, [open, drafts, onTyped]);

  const show = (c: DecisionChoice | null) => {
    setOpen(c);
    setErrors({});
    setDrafts(c ? initialDrafts(c.fields, payload) : {});
    onOpen(c !== null);
    if (!c) onCancel();
  };

  const send = (c: DecisionChoice, d: Drafts) => {
    const { values, parseErrors } = fieldValues(c.fields, d);
    const answer = c === JSON_ANSWER ? values.answer : { ...values, ...c.fixed };
    const problems = {
      ...(c === JSON_ANSWER && schema ? byField(checkJson(schema, answer).map((i) => ({ path: [], message: i.message }))) : {}),
      ...(c === JSON_ANSWER ? {} : byField(checkJson(c.schema, answer))),
      ...parseErrors,
    };
    if (c === JSON_ANSWER && problems[""]) problems.answer = problems[""];
    if (Object.keys(problems).length) {
      setErrors(problems);
      return;
    }
    setErrors({});
    setSentWith(error);
    onAnswer(answer, () => show(null));
  };

  const pick = (c: DecisionChoice) => {
    if (oneClick(c) && c !== JSON_ANSWER) send(c, {});
    else show(c);
  };

  if (open) {
    // A refusal that came back for this form's last send: beside its fields (a newer error replaces the older).
    const fromServer = error !== sentWith ? serverErrors(error, open.fields) : {};
    const shown = { ...fromServer, ...errors };
    return (
      <form
        data-testid="decision-form"
        data-choice={open.id}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          send(open, drafts);
        }}
        onKeyDown={formKeys(() => show(null))}
        aria-labelledby="decision-form-heading"
        className="mt-3 flex flex-col gap-3 rounded-md bg-white p-3 ring-1 ring-amber-200"
      >
        <h3 id="decision-form-heading" data-testid="decision-form-heading" className="text-sm font-semibold text-slate-900">
          {open.heading}
        </h3>
        <DecisionFields
          fields={open.fields}
          drafts={drafts}
          errors={shown}
          idPrefix={`decision-${open.id}`}
          onChange={(name, value) => {
            setDrafts((d) => ({ ...d, [name]: value }));
            setErrors(({ [name]: _gone, ...rest }) => (void _gone, rest));
          }}
        />
        {shown[""] && (
          <p role="alert" className="text-xs font-medium text-rose-700">
            {shown[""]}
          </p>
        )}
        <div className="flex flex-wrap items-center justify-end gap-2">
          <span className="mr-auto text-xs text-slate-500">Esc cancels · Ctrl+Enter sends</span>
          <Button variant="ghost" onClick={() => show(null)} data-testid="decision-cancel">
            Cancel
          </Button>
          <Button
            type="submit"
            variant={open.tone === "secondary" ? "primary" : open.tone}
            pending={pending}
            disabled={disabled}
            data-testid="decision-submit"
          >
            {open.submitLabel}
          </Button>
        </div>
      </form>
    );
  }

  return (
    <div className="mt-3 flex flex-wrap gap-2" data-testid="decision-buttons">
      {choices.map((c, i) => (
        <Button
          key={c.id}
          variant={c.tone}
          onClick={() => pick(c)}
          pending={pending && oneClick(c)}
          disabled={disabled || (i === 0 && firstDisabled)}
          title={i === 0 ? firstTitle : undefined}
          data-testid={`decision-${c.id}`}
        >
          {c.label}
          {i === 0 && firstLabelSuffix ? ` ${firstLabelSuffix}` : ""}
          {oneClick(c) && c !== JSON_ANSWER ? "" : "…"}
        </Button>
      ))}
      {children}
    </div>
  );
}
