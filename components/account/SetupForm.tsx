"use client";
import { useState } from "react";
import { accountsApi, errorMessage } from "@/lib/client/api";
import { ActionMessage, Button } from "../ui/Button";
import { AuthCard, Field } from "./AuthCard";

/** The first admin, from the one-time link `npm start` printed (its token is in the URL). */
export function SetupForm({ token }: { token: string }) {
  const [form, setForm] = useState({ name: "", email: "", password: "" });
  const [error, setError] = useState<string | null>(token ? null : "This page needs the set-up link printed by the server (…/setup?token=…).");
  const [pending, setPending] = useState(false);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await accountsApi.claimSetup({ token, ...form });
      // eslint-disable-next-line @next/next/no-location-assign-relative-destination -- a full page load on purpose: nothing cached for the previous identity survives
      window.location.assign("/");
    } catch (err) {
      setError(errorMessage(err));
      setPending(false);
    }
  };

  return (
    <AuthCard
      title="Create the first admin"
      subtitle="This account can add the rest of the team, give roles and read the audit trail. The link works once."
    >
      <form onSubmit={submit} className="flex flex-col gap-3" data-testid="setup-form">
        <Field label="Name" required value={form.name} onChange={set("name")} autoComplete="name" data-testid="setup-name" autoFocus />
        <Field label="Email" type="email" required value={form.email} onChange={set("email")} autoComplete="username" data-testid="setup-email" />
        <Field
          label="Password (8+ characters)"
          type="password"
          minLength={8}
          required
          value={form.password}
          onChange={set("password")}
          autoComplete="new-password"
          data-testid="setup-password"
        />
        <ActionMessage error={error} testId="setup" />
        <Button type="submit" variant="primary" pending={pending} disabled={!token} data-testid="setup-submit">
          Create admin and sign in
        </Button>
      </form>
    </AuthCard>
  );
}
