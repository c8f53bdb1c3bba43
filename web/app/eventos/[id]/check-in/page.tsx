import type { Metadata } from "next";
import { Suspense } from "react";
import { CheckIn } from "./CheckIn";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Check-in" };

export default async function CheckInPage({ params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  return (
    <>
      <h1>Check-in</h1>
      <Suspense>
        <CheckIn eventId={Number.isSafeInteger(id) && id > 0 ? id : 0} />
      </Suspense>
    </>
  );
}
