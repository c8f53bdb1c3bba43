"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { useAuth } from "./AuthProvider";

/** Renders its children for a signed-in visitor; otherwise a way to sign in and come back here. */
export function SignedIn({ children }: { children: ReactNode }) {
  const { ready, me } = useAuth();
  const pathname = usePathname();
  if (!ready) return <p role="status">Carregando…</p>;
  if (!me) {
    return (
      <p>
        <Link href={`/entrar?next=${encodeURIComponent(pathname)}`}>Entre</Link> para continuar.
      </p>
    );
  }
  return <>{children}</>;
}
