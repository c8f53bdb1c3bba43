import Link from "next/link";
import type { Schemas } from "@/api/client";
import { formatDateTime, formatNumber } from "@/lib/format";

export function spotsText(event: Schemas["EventOut"]): string {
  if (event.spots_left <= 0) return "Lotado: lista de espera";
  return event.spots_left === 1 ? "1 vaga" : `${event.spots_left} vagas`;
}

export function EventCard({ event }: { event: Schemas["EventOut"] }) {
  return (
    <article className="card">
      <h3>
        <Link href={`/eventos/${event.id}`}>{event.title}</Link>
      </h3>
      <p className="muted">
        {formatDateTime(event.start_date)} · {event.city}/{event.state}
        {event.distance_km != null ? ` · a ${formatNumber(event.distance_km)} km` : ""}
      </p>
      <p>
        <span className="badge">{event.category.name}</span> {spotsText(event)}
      </p>
    </article>
  );
}
