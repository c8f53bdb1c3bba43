/**
 * The browser's fetch for API calls: adds the in-memory access token, and on a 401 refreshes it once through
 * the Next server (which holds the refresh token in an httpOnly cookie) and retries. A second 401, or a failed
 * refresh, calls `onSignedOut` so the page can send the visitor to sign in.
 */
export interface TokenStore {
  get(): string | null;
  refresh(): Promise<string | null>;
  onSignedOut(): void;
}

export function authFetch(store: TokenStore, base: typeof fetch = fetch): (request: Request) => Promise<Response> {
  return async (request: Request) => {
    const retry = request.clone();
    const token = store.get();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    const response = await base(request);
    if (response.status !== 401 || !token) return response;
    const fresh = await store.refresh();
    if (!fresh) {
      store.onSignedOut();
      return response;
    }
    retry.headers.set("Authorization", `Bearer ${fresh}`);
    const second = await base(retry);
    if (second.status === 401) store.onSignedOut();
    return second;
  };
}
