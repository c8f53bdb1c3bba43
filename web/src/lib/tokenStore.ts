import { stringField } from "./narrow";
import type { TokenStore } from "./authFetch";

/**
 * The browser's session: the access token in this closure only (never in localStorage), renewed through the
 * Next server's /session/refresh, which holds the refresh token in an httpOnly cookie.
 */
export interface Session extends TokenStore {
  set(token: string | null): void;
  /** What to do when the session ends on its own (refresh refused): the page sends the visitor to sign in. */
  whenEnded(callback: () => void): void;
}

export function createSession(post: (path: string) => Promise<Response>): Session {
  let token: string | null = null;
  let refreshing: Promise<string | null> | null = null;
  let ended = () => undefined as void;
  const session: Session = {
    get: () => token,
    set: (value) => {
      token = value;
    },
    refresh: async () => {
      // Concurrent 401s share one refresh: the API rotates refresh tokens, so a second use would be refused.
      refreshing ??= post("/session/refresh")
        .then(async (response) => (response.ok ? stringField(await response.json(), "access") : null))
        .catch(() => null)
        .finally(() => {
          refreshing = null;
        });
      token = await refreshing;
      return token;
    },
    onSignedOut: () => {
      token = null;
      ended();
    },
    whenEnded: (callback) => {
      ended = callback;
    },
  };
  return session;
}
