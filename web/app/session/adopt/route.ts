import { NextRequest, NextResponse } from "next/server";
import { setRefreshCookie } from "@/lib/session";

/**
 * After a password change the API answers with a new token pair for this session (every older token is
 * refused): its refresh token replaces the cookie's. The API validates it whenever it is used.
 */
export async function POST(request: NextRequest): Promise<NextResponse> {
  const body = (await request.json().catch(() => ({}))) as { refresh?: unknown };
  if (typeof body.refresh !== "string" || body.refresh.length === 0 || body.refresh.length > 2000) {
    return NextResponse.json({ code: "malformed_body", message: "Corpo inválido.", details: {} }, { status: 400 });
  }
  const response = new NextResponse(null, { status: 204 });
  setRefreshCookie(request, response, body.refresh);
  return response;
}
