import { notFound } from "next/navigation";

/** Thrown when the API cannot answer: the error page says so in pt-BR and offers a retry. */
export class ApiUnavailable extends Error {
  constructor() {
    super("API indisponível");
  }
}

/** Unwraps an API answer in a server component: 404 → the not-found page, anything else unexpected → error page. */
export async function load<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiUnavailable();
  }
  if (result.response.status === 404) notFound();
  if (result.data === undefined) throw new ApiUnavailable();
  return result.data;
}
