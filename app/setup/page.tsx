import type { Metadata } from "next";
import { SetupForm } from "@/components/account/SetupForm";

export const metadata: Metadata = { title: "Set up" };

export default async function SetupPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await searchParams;
  return <SetupForm token={typeof q.token === "string" ? q.token : ""} />;
}
