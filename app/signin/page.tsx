import type { Metadata } from "next";
import { SignInForm } from "@/components/account/SignInForm";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await searchParams;
  return <SignInForm next={typeof q.next === "string" ? q.next : null} ssoError={q.error === "sso"} />;
}
