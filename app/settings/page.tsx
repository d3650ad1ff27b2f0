"use client";
import { PasswordCard } from "@/components/account/PasswordCard";
import { TokensCard } from "@/components/account/TokensCard";
import { UsersCard } from "@/components/account/UsersCard";
import { useCan } from "@/lib/client/hooks";

export default function SettingsPage() {
  const admin = useCan("admin");
  return (
    <div className="mx-auto flex max-w-5xl flex-col gap-4" data-testid="settings-page">
      <h1 className="text-lg font-semibold">{admin ? "Users & tokens" : "Your account"}</h1>
      {admin && <UsersCard />}
      <TokensCard />
      <PasswordCard />
    </div>
  );
}
