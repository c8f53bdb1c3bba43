import type { Metadata } from "next";
import { OrganizerPanel } from "./OrganizerPanel";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Gerenciar evento" };

export default async function ManagePage({ params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  return <OrganizerPanel eventId={Number.isSafeInteger(id) && id > 0 ? id : 0} />;
}
