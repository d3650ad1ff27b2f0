import type { ReactNode } from "react";

/** The centred card of the sign-in and set-up pages. */
export function AuthCard({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children: ReactNode }) {
  return (
    <div className="mx-auto mt-10 w-full max-w-sm rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
      <div className="mb-4 flex items-center gap-2">
        {/* eslint-disable-next-line @next/next/no-img-element -- a 24 px SVG icon: next/image adds nothing */}
        <img src="/icon.svg" alt="" width={24} height={24} />
        <h1 className="text-lg font-semibold tracking-tight">{title}</h1>
      </div>
      {subtitle && <p className="mb-4 text-sm text-slate-600">{subtitle}</p>}
      {children}
    </div>
  );
}

export function Field({ label, ...input }: { label: string } & React.InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="flex flex-col gap-1 text-sm font-medium text-slate-700">
      {label}
      <input
        {...input}
        className="rounded-md border-0 px-2.5 py-1.5 text-sm font-normal ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
      />
    </label>
  );
}
