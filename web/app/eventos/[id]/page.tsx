import type { Metadata } from "next";
import Link from "next/link";
import { serverApi } from "@/api/client";
import { CommentsSection } from "@/components/CommentsSection";
import { EventsMap } from "@/components/EventsMap";
import { ParticipationPanel } from "@/components/ParticipationPanel";
import { PhotosSection } from "@/components/PhotosSection";
import { ResourcesSection } from "@/components/ResourcesSection";
import { spotsText } from "@/components/EventCard";
import { EVENT_STATUS_LABELS, formatDateTime } from "@/lib/format";
import { ApiUnavailable, load } from "@/lib/server";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ id: string }> };

function eventId(raw: string): number {
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const id = eventId((await params).id);
  const { data } = await serverApi()
    .GET("/api/v1/events/{event_id}", { params: { path: { event_id: id } } })
    .catch(() => ({ data: undefined }));
  return data ? { title: data.title, description: data.description.slice(0, 160) } : { title: "Evento" };
}

export default async function EventPage({ params }: Props) {
  const id = eventId((await params).id);
  const api = serverApi();
  const path = { path: { event_id: id } };
  // Anonymous render: drafts and private events answer 404 here, and the client panel re-reads them with the
  // visitor's token (an organiser sees their own draft).
  const result = await api.GET("/api/v1/events/{event_id}", { params: path }).catch(() => null);
  if (result?.response.status === 404) return <ParticipationPanel eventId={id} initial={null} />;
  if (!result?.data) throw new ApiUnavailable();
  const event = result.data;
  const [resources, comments, photos] = await Promise.all([
    load(api.GET("/api/v1/events/{event_id}/resources", { params: { ...path, query: { page_size: 100 } } })),
    load(api.GET("/api/v1/events/{event_id}/comments", { params: { ...path, query: { page_size: 50 } } })),
    load(api.GET("/api/v1/events/{event_id}/photos", { params: { ...path, query: { page_size: 24 } } })),
  ]);
  return (
    <article>
      <p>
        <span className="badge">{event.category.name}</span>{" "}
        {event.status !== "published" ? <span className="badge">{EVENT_STATUS_LABELS[event.status]}</span> : null}
      </p>
      <h1>{event.title}</h1>
      <p className="muted">
        {formatDateTime(event.start_date)} até {formatDateTime(event.end_date)}
        <br />
        {event.address}, {event.city}/{event.state}
        <br />
        Organização: <Link href={`/perfil/${event.organizer.username}`}>{event.organizer.username}</Link> ·{" "}
        {event.participants_count} inscritos · {spotsText(event)}
      </p>
      <div className="actions">
        <a className="button secondary" href={`/api/v1/events/${event.id}/calendar.ics`} download>
          Adicionar à agenda (.ics)
        </a>
      </div>
      <ParticipationPanel eventId={event.id} initial={event} />
      <section aria-labelledby="sobre">
        <h2 id="sobre">Sobre o mutirão</h2>
        <p style={{ whiteSpace: "pre-line" }}>{event.description}</p>
        {event.what_to_bring ? (
          <>
            <h3>O que levar</h3>
            <p style={{ whiteSpace: "pre-line" }}>{event.what_to_bring}</p>
          </>
        ) : null}
        {event.tools_provided ? (
          <>
            <h3>Materiais fornecidos</h3>
            <p style={{ whiteSpace: "pre-line" }}>{event.tools_provided}</p>
          </>
        ) : null}
        {event.min_age != null || event.max_age != null ? (
          <p>
            Idade: {event.min_age ?? 0} a {event.max_age ?? "∞"} anos.
          </p>
        ) : null}
      </section>
      <section aria-labelledby="local">
        <h2 id="local">Local</h2>
        <EventsMap
          tileUrl={process.env.TILE_URL ?? "https://tile.openstreetmap.org/{z}/{x}/{y}.png"}
          events={[{ id: event.id, title: event.title, lat: event.latitude, lng: event.longitude }]}
        />
      </section>
      <ResourcesSection eventId={event.id} initial={resources.items} />
      <PhotosSection eventId={event.id} initial={photos.items} organizerId={event.organizer.id} />
      <CommentsSection eventId={event.id} initial={comments.items} organizerId={event.organizer.id} />
    </article>
  );
}
