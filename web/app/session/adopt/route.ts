import { NextRequest, NextResponse } from "next/server";
import { stringField } from "@/lib/narrow";
import { setRefreshCookie } from "@/lib/session";

/**
 * After a password change the API answers with a new token pair for this session (every older token is
 * refused): its refresh token replaces the cookie's. The API validates it whenever it is used.
 */
export async function POST(request: NextRequest): Promise<NextResponse> {
  const refresh = stringField(await request.json().catch(() => ({})), "refresh");
  if (refresh === null || refresh.length > 2000) {
    return NextResponse.json({ code: "malformed_body", message: "Corpo inválido.", details: {} }, { status: 400 });
  }
  const response = new NextResponse(null, { status: 204 });
  setRefreshCookie(request, response, refresh);
  return response;
}
