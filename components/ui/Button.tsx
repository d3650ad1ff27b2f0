import type { ButtonHTMLAttributes } from "react";

type Variant = "primary" | "secondary" | "danger" | "success" | "ghost";

/*
 * White label text needs 4.5:1 on the fill in every state a person can see (hover included), so hover goes
 * DARKER: emerald-600 is 3.65:1 under white, emerald-700 5.4:1, rose-600 4.5:1 (only just), rose-700 6:1.
 * Disabled states are exempt from contrast rules but must still read as unavailable: a paler fill, no shadow.
 */
const V: Record<Variant, string> = {
  primary: "bg-indigo-600 text-white hover:bg-indigo-700 disabled:bg-indigo-300",
  success: "bg-emerald-700 text-white hover:bg-emerald-800 disabled:bg-emerald-300",
  danger: "bg-rose-700 text-white hover:bg-rose-800 disabled:bg-rose-300",
  secondary:
    "bg-white text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:bg-slate-50 disabled:text-slate-400 disabled:ring-slate-200",
  ghost: "text-slate-700 hover:bg-slate-100 disabled:text-slate-400",
};

export function Button({
  variant = "secondary",
  pending,
  className = "",
  children,
  disabled,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; pending?: boolean }) {
  return (
    <button
      type="button"
      {...rest}
      disabled={disabled || pending}
      aria-busy={pending || undefined}
      className={`inline-flex items-center justify-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium shadow-sm transition-colors disabled:cursor-not-allowed disabled:shadow-none ${V[variant]} ${className}`}
    >
      {pending && <span className="h-3 w-3 animate-spin rounded-full border-2 border-current border-t-transparent" aria-hidden />}
      {children}
    </button>
  );
}

/** Inline feedback for an action: the API's error message, or a short success note. */
export function ActionMessage({ error, success, testId }: { error?: string | null; success?: string | null; testId?: string }) {
  if (error)
    return (
      <p
        role="alert"
        data-testid={testId ? `${testId}-error` : "action-error"}
        className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
      >
        {error}
      </p>
    );
  if (success)
    return (
      <p role="status" data-testid={testId ? `${testId}-success` : "action-success"} className="text-sm text-emerald-700">
        {success}
      </p>
    );
  return null;
}
