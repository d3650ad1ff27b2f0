"use client";
import Form from "@rjsf/core/lib/components/Form.js";
import ItemButtons from "@rjsf/core/lib/components/templates/ArrayFieldItemButtonsTemplate.js";
import { type ArrayFieldItemTemplateProps, type IconButtonProps, type RJSFSchema, type UiSchema } from "@rjsf/utils";
import { forwardRef } from "react";
import { formValidator } from "@/lib/client/form-validator";

/**
 * A form drawn from a JSON Schema by react-jsonschema-form, in the dashboard's look (the `.wp-form` styles in
 * schema-form.css and text buttons here instead of the default theme's icon font). It renders as a <div>: the
 * surrounding <form> owns submitting, and calls `validateForm()` on the ref first.
 */
function TextButton({ icon, iconType: _t, uiSchema: _u, registry: _r, className = "", title, ...rest }: IconButtonProps & { title?: string }) {
  void _t;
  void _u;
  void _r;
  const words: Record<string, string> = { remove: "Remove", plus: "Add item", "arrow-up": "Up", "arrow-down": "Down", copy: "Copy", xmark: "Clear" };
  const label = words[String(icon)] ?? title ?? String(icon);
  return (
    <button type="button" {...rest} title={title} className={`wp-form-button ${icon === "remove" ? "wp-form-button-danger" : ""} ${className}`}>
      {label}
    </button>
  );
}

const buttons = {
  AddButton: (p: IconButtonProps) => <TextButton {...p} icon="plus" />,
  RemoveButton: (p: IconButtonProps) => <TextButton {...p} icon="remove" />,
  MoveUpButton: (p: IconButtonProps) => <TextButton {...p} icon="arrow-up" />,
  MoveDownButton: (p: IconButtonProps) => <TextButton {...p} icon="arrow-down" />,
  CopyButton: (p: IconButtonProps) => <TextButton {...p} icon="copy" />,
  ClearButton: (p: IconButtonProps) => <TextButton {...p} icon="xmark" />,
};

/** One list item: its field, then its buttons, on one line. */
function ArrayItem({ children, buttonsProps, hasToolbar }: ArrayFieldItemTemplateProps) {
  return (
    <div className="wp-form-item">
      <div className="min-w-0 flex-1">{children}</div>
      {hasToolbar && (
        <div className="flex shrink-0 gap-1">
          <ItemButtons {...buttonsProps} />
        </div>
      )}
    </div>
  );
}

type Data = Record<string, unknown>;

export const SchemaForm = forwardRef<
  Form<Data, RJSFSchema>,
  { schema: RJSFSchema; uiSchema: UiSchema; formData: Data; onChange: (data: Data) => void; idPrefix: string; liveValidate: boolean }
>(function SchemaForm({ schema, uiSchema, formData, onChange, idPrefix, liveValidate }, ref) {
  return (
    <Form<Data, RJSFSchema>
      ref={ref}
      tagName="div"
      className="wp-form"
      schema={schema}
      uiSchema={uiSchema}
      formData={formData}
      validator={formValidator}
      idPrefix={idPrefix}
      showErrorList={false}
      noHtml5Validate
      focusOnFirstError
      // Checked as the person types (after their first change), and on save (validateForm).
      liveValidate={liveValidate ? "onChange" : undefined}
      templates={{ ButtonTemplates: buttons, ArrayFieldItemTemplate: ArrayItem }}
      onChange={(e) => onChange((e.formData ?? {}) as Data)}
    />
  );
});
