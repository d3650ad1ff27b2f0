/**
 * The state-edit form's validator (react-jsonschema-form's ValidatorType) over schema-check.ts, instead of
 * @rjsf/validator-ajv8: Ajv compiles schemas with `new Function`, which the dashboard's CSP forbids.
 */
import { ErrorSchemaBuilder, type RJSFSchema, type RJSFValidationError, type ValidationData, type ValidatorType } from "@rjsf/utils";
import { checkJson, type JsonSchema } from "../api/schema-check";

type Data = Record<string, unknown>;

function errorsOf(schema: RJSFSchema, data: unknown): RJSFValidationError[] {
  return checkJson(schema as JsonSchema, data).map((i) => {
    const property = i.path.length ? `.${i.path.join(".")}` : ".";
    return { property, message: i.message, stack: `${i.path.join(".") || "value"}: ${i.message}`, name: "schema" };
  });
}

export const formValidator: ValidatorType<Data, RJSFSchema> = {
  // customValidate is not used by the dashboard (its forms check only what the schema says).
  validateFormData(formData, schema, _customValidate, transformErrors): ValidationData<Data> {
    let errors = errorsOf(schema, formData);
    if (transformErrors) errors = transformErrors(errors);
    const builder = new ErrorSchemaBuilder<Data>();
    for (const e of errors) builder.addErrors(e.message ?? "Invalid.", e.property && e.property !== "." ? e.property.slice(1).split(".") : undefined);
    return { errors, errorSchema: builder.ErrorSchema };
  },
  isValid(schema, formData) {
    return checkJson(schema as JsonSchema, formData).length === 0;
  },
  rawValidation<Result = unknown>(schema: RJSFSchema, formData?: Data) {
    return { errors: errorsOf(schema, formData) as Result[] };
  },
};
