import { NextRequest, NextResponse } from "next/server";
import { serverApi } from "@/api/client";
import { isRecord } from "@/lib/narrow";
import { forwardedHeaders, setRefreshCookie } from "@/lib/session";

/** Signs in: the API's refresh token goes into the httpOnly cookie; the page gets only the access token. */
export async function POST(request: NextRequest): Promise<NextResponse> {
  const credentials: unknown = await request.json().catch(() => undefined);
  if (!isRecord(credentials) || typeof credentials.username !== "string" || typeof credentials.password !== "string") {
    return NextResponse.json({ code: "malformed_body", message: "Corpo inválido.", details: {} }, { status: 400 });
  }
  const { data, error, response: upstream } = await serverApi()
    .POST("/api/v1/auth/token", {
      body: { username: credentials.username, password: credentials.password },
      headers: forwardedHeaders(request),
    })
    .catch(() => ({ data: undefined, error: undefined, response: undefined }));
  if (!data) {
    const headers: Record<string, string> = {};
    const retry = upstream?.headers.get("retry-after");
    if (retry) headers["Retry-After"] = retry;
    return NextResponse.json(error ?? {}, { status: upstream && !upstream.ok ? upstream.status : 502, headers });
  }
  const response = NextResponse.json({ access: data.access });
  setRefreshCookie(request, response, data.refresh);
  return response;
}
