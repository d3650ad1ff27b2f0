"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { accountsApi, errorMessage } from "@/lib/client/api";
import { useMe } from "@/lib/client/hooks";
import { ActionMessage, Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { Field } from "./AuthCard";

/** The signed-in person's own password (Better Auth checks the current one); other sessions are signed out. */
export function PasswordCard() {
  const me = useMe().data;
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const change = useMutation({
    mutationFn: () => accountsApi.changePassword({ currentPassword: current, newPassword: next }),
    onSuccess: () => {
      setCurrent("");
      setNext("");
    },
  });
  if (!me || me.kind !== "user") return null;
  return (
    <Card title="Your password" testId="password-card">
      <form
        className="grid gap-2 p-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          change.mutate();
        }}
      >
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          data-testid="password-current"
        />
        <Field
          label="New password (8+ characters)"
          type="password"
          autoComplete="new-password"
          minLength={8}
          required
          value={next}
          onChange={(e) => setNext(e.target.value)}
          data-testid="password-new"
        />
        <Button type="submit" variant="primary" pending={change.isPending} data-testid="password-submit">
          Change password
        </Button>
        <div className="sm:col-span-3">
          <ActionMessage
            error={change.error ? errorMessage(change.error) : null}
            success={change.isSuccess ? "Password changed; your other sessions were signed out." : null}
            testId="password"
          />
        </div>
      </form>
    </Card>
  );
}
