import type { Metadata } from "next";
import { EventForm } from "@/components/EventForm";
import { SignedIn } from "@/components/SignedIn";
import { VerifyEmailNotice } from "@/components/VerifyEmailNotice";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Criar evento" };

export default function NewEventPage() {
  return (
    <>
      <h1>Criar evento</h1>
      <SignedIn>
        <VerifyEmailNotice />
        <EventForm tileUrl={process.env.TILE_URL ?? "https://tile.openstreetmap.org/{z}/{x}/{y}.png"} />
      </SignedIn>
    </>
  );
}
