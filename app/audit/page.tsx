import type { Metadata } from "next";
import { AuditView } from "@/components/account/AuditView";

export const metadata: Metadata = { title: "Audit trail" };

export default function AuditPage() {
  return <AuditView />;
}
