"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { accountsApi, errorMessage } from "@/lib/client/api";
import { ActionMessage, Button } from "../ui/Button";
import { AuthCard, Field } from "./AuthCard";

/** Only same-site paths: `next` comes from the URL, so it must never send the reviewer elsewhere. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function SignInForm({ next: nextParam, ssoError }: { next: string | null; ssoError: boolean }) {
  const next = safeNext(nextParam);
  const setup = useQuery({ queryKey: ["waypoint", "setup"], queryFn: accountsApi.setup });
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(ssoError ? "Single sign-on did not complete; try again." : null);
  const [pending, setPending] = useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await accountsApi.signIn({ email, password });
      window.location.assign(next);
    } catch (err) {
      setError(errorMessage(err).replace(/ \(INVALID_EMAIL_OR_PASSWORD\)$/, ""));
      setPending(false);
    }
  };
  const sso = async () => {
    setPending(true);
    try {
      const { url } = await accountsApi.signInSso(next);
      window.location.assign(url);
    } catch (err) {
      setError(errorMessage(err));
      setPending(false);
    }
  };

  if (setup.data?.needed)
    return (
      <AuthCard title="Welcome to Waypoint" subtitle="This Waypoint has no accounts yet.">
        <p className="text-sm text-slate-700" data-testid="setup-needed">
          Open the one-time set-up link that <code className="font-mono">npm start</code> printed in the server&apos;s output to create the first
          admin.
        </p>
      </AuthCard>
    );

  return (
    <AuthCard title="Sign in to Waypoint">
      <form onSubmit={submit} className="flex flex-col gap-3" data-testid="signin-form">
        <Field
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          data-testid="signin-email"
          autoFocus
        />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          data-testid="signin-password"
        />
        <ActionMessage error={error} testId="signin" />
        <Button type="submit" variant="primary" pending={pending} data-testid="signin-submit">
          Sign in
        </Button>
      </form>
      {setup.data?.sso && (
        <>
          <div className="my-4 flex items-center gap-2 text-xs text-slate-500">
            <span className="h-px flex-1 bg-slate-200" /> or <span className="h-px flex-1 bg-slate-200" />
          </div>
          <Button onClick={sso} disabled={pending} data-testid="signin-sso" className="w-full justify-center">
            Sign in with {setup.data.sso.name}
          </Button>
        </>
      )}
    </AuthCard>
  );
}
