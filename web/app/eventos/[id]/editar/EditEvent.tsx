"use client";

import { EventForm } from "@/components/EventForm";
import { ManagedEvent } from "@/components/ManagedEvent";

export function EditEvent({ eventId, tileUrl }: { eventId: number; tileUrl: string }) {
  return <ManagedEvent eventId={eventId}>{(event) => <EventForm event={event} tileUrl={tileUrl} />}</ManagedEvent>;
}
