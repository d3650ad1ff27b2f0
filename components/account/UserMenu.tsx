"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { accountsApi } from "@/lib/client/api";
import { useMe } from "@/lib/client/hooks";

/** The header's right side: links the caller may use, who is signed in, and Sign out. */
export function UserMenu() {
  const path = usePathname();
  const me = useMe();
  if (path === "/signin" || path === "/setup" || !me.data) return null;
  const admin = me.data.actions.includes("admin");
  const signOut = async () => {
    await accountsApi.signOut().catch(() => {});
    // eslint-disable-next-line @next/next/no-location-assign-relative-destination -- a full page load on purpose: nothing cached for the previous identity survives
    window.location.assign("/signin");
  };
  return (
    <div className="ml-auto flex min-w-0 items-center gap-2 whitespace-nowrap text-sm sm:gap-3">
      {admin && (
        <Link href="/audit" className="text-slate-600 hover:text-slate-900" data-testid="nav-audit">
          Audit
        </Link>
      )}
      <Link href="/settings" className="text-slate-600 hover:text-slate-900" data-testid="nav-settings">
        {admin ? (
          <>
            <span className="sm:hidden">Users</span>
            <span className="hidden sm:inline">Users &amp; tokens</span>
          </>
        ) : (
          "Account"
        )}
      </Link>
      <span className="hidden min-w-0 items-center gap-1.5 sm:flex" data-testid="me">
        <span className="truncate font-medium text-slate-800" data-testid="me-name">
          {me.data.name}
        </span>
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700" data-testid="me-role">
          {me.data.role}
        </span>
      </span>
      <button onClick={signOut} className="rounded px-1.5 py-1 text-slate-600 hover:bg-slate-100 hover:text-slate-900 sm:px-2" data-testid="sign-out">
        Sign out
      </button>
    </div>
  );
}
