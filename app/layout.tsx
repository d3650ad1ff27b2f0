import type { Metadata, Viewport } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { inter, jetbrains } from "./fonts";
import { Providers } from "./providers";
import { UserMenu } from "@/components/account/UserMenu";
import { StoreBanner } from "@/components/StoreBanner";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Waypoint", template: "%s · Waypoint" },
  description: "Review, steer and time-travel checkpointed graph workflows.",
  icons: { icon: "/icon.svg" },
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" className={`${inter.variable} ${jetbrains.variable}`}>
      <body className="flex min-h-full flex-col font-sans">
        <Providers>
          <header className="sticky top-0 z-30 border-b border-slate-200 bg-white/90 backdrop-blur">
            <div className="mx-auto flex h-12 max-w-[1600px] items-center gap-2 px-4 sm:gap-4">
              <Link href="/" aria-label="Waypoint" className="flex shrink-0 items-center gap-2 font-semibold tracking-tight" data-testid="nav-home">
                {/* eslint-disable-next-line @next/next/no-img-element -- a 20 px SVG: next/image would not optimise it */}
                <img src="/icon.svg" alt="" width={20} height={20} />
                {/* A phone-width header keeps the logo only, so the links fit on one line. */}
                <span className="hidden sm:inline">Waypoint</span>
              </Link>
              <nav className="shrink-0 text-sm text-slate-500">
                <Link href="/" className="hover:text-slate-900">
                  Threads
                </Link>
                <Link href="/chat" className="ml-3 hover:text-slate-900 sm:ml-4" data-testid="nav-chat">
                  Chat
                </Link>
                <Link href="/schedules" className="ml-3 hover:text-slate-900 sm:ml-4" data-testid="nav-schedules">
                  Schedules
                </Link>
              </nav>
              <UserMenu />
            </div>
          </header>
          <StoreBanner />
          <main className="mx-auto w-full max-w-[1600px] flex-1 px-4 py-4">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
