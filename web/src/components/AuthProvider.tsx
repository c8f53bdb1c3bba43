"use client";

import { usePathname, useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { browserApi, type ApiClient, type Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { authFetch } from "@/lib/authFetch";
import { stringField } from "@/lib/narrow";
import { createSession } from "@/lib/tokenStore";

interface Auth {
  /** false until the first silent refresh has answered: pages wait before deciding "signed out". */
  ready: boolean;
  me: Schemas["MeOut"] | null;
  api: ApiClient;
  signIn(username: string, password: string): Promise<ApiProblem | null>;
  signOut(): Promise<void>;
  reloadMe(): Promise<void>;
  /** Continue with a new token pair (after a password change, which refuses every older token). */
  adoptSession(pair: { access: string; refresh: string }): Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

async function postSession(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(path, { method: "POST", credentials: "same-origin", ...init });
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const router = useRouter();
  const pathname = usePathname();
  const [session] = useState(() => createSession((path) => postSession(path)));
  const [api] = useState(() => browserApi(authFetch(session)));
  const [ready, setReady] = useState(false);
  const [me, setMe] = useState<Schemas["MeOut"] | null>(null);
  const refresh = session.refresh;

  useEffect(() => {
    session.whenEnded(() => {
      setMe(null);
      router.push(`/entrar?next=${encodeURIComponent(pathname)}`);
    });
  }, [session, router, pathname]);

  const reloadMe = useCallback(async () => {
    if (!session.get()) {
      setMe(null);
      return;
    }
    const { data } = await api.GET("/api/v1/users/me");
    setMe(data ?? null);
  }, [api, session]);

  useEffect(() => {
    let live = true;
    void (async () => {
      await refresh();
      if (live) await reloadMe();
      if (live) setReady(true);
    })();
    return () => {
      live = false;
    };
  }, [refresh, reloadMe]);

  const signIn = useCallback(
    async (username: string, password: string): Promise<ApiProblem | null> => {
      const response = await postSession("/session/login", {
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username, password }),
      });
      const body: unknown = await response.json().catch(() => ({}));
      const access = stringField(body, "access");
      if (!response.ok || access === null) {
        return problemFrom(response.ok ? 502 : response.status, body, response.headers.get("retry-after"));
      }
      session.set(access);
      await reloadMe();
      return null;
    },
    [reloadMe, session],
  );

  const signOut = useCallback(async () => {
    const access = session.get() ?? (await refresh());
    await postSession("/session/logout", { headers: access ? { Authorization: `Bearer ${access}` } : {} });
    session.set(null);
    setMe(null);
    router.push("/");
    router.refresh();
  }, [refresh, router, session]);

  const adoptSession = useCallback(
    async (pair: { access: string; refresh: string }) => {
      session.set(pair.access);
      await postSession("/session/adopt", {
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh: pair.refresh }),
      });
    },
    [session],
  );

  const value = useMemo(
    () => ({ ready, me, api, signIn, signOut, reloadMe, adoptSession }),
    [ready, me, api, signIn, signOut, reloadMe, adoptSession],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (auth === null) throw new Error("useAuth outside <AuthProvider>");
  return auth;
}
