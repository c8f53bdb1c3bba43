import type { Metadata } from "next";
import { EditEvent } from "./EditEvent";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Editar evento" };

export default async function EditEventPage({ params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  return (
    <>
      <h1>Editar evento</h1>
      <EditEvent eventId={Number.isSafeInteger(id) && id > 0 ? id : 0} tileUrl={process.env.TILE_URL ?? "https://tile.openstreetmap.org/{z}/{x}/{y}.png"} />
    </>
  );
}
