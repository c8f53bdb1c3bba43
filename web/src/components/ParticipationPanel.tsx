"use client";

import Link from "next/link";
import { useCallback, useEffect, useState } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { PARTICIPATION_LABELS, formatDateTime } from "@/lib/format";
import { useAuth } from "./AuthProvider";
import { CertificateDownload } from "./CertificateDownload";
import { ProblemNotice } from "./Notice";

type Event = Schemas["EventOut"];

/** The visitor's own state on the event and what they can do next: join, leave, check in, manage. */
export function ParticipationPanel({ eventId, initial }: { eventId: number; initial: Event | null }) {
  const { api, me, ready } = useAuth();
  const [event, setEvent] = useState<Event | null>(initial);
  const [fetched, setFetched] = useState(false);
  const [now] = useState(() => Date.now());
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState("");

  const reload = useCallback(async () => {
    const { data } = await api.GET("/api/v1/events/{event_id}", { params: { path: { event_id: eventId } } });
    if (data) setEvent(data);
    setFetched(true);
  }, [api, eventId]);

  useEffect(() => {
    if (!ready || !me) return;
    let live = true;
    void api.GET("/api/v1/events/{event_id}", { params: { path: { event_id: eventId } } }).then(({ data }) => {
      if (!live) return;
      if (data) setEvent(data);
      setFetched(true);
    });
    return () => {
      live = false;
    };
  }, [ready, me, api, eventId]);
  const loaded = ready && (!me || fetched);

  async function act(run: () => Promise<{ error?: unknown; response: Response }>) {
    setBusy(true);
    setProblem(null);
    const { error, response } = await run();
    if (error !== undefined) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    await reload();
    setBusy(false);
  }

  if (!event) {
    if (!loaded) return <p role="status">Carregando…</p>;
    return (
      <section>
        <h1>Evento não encontrado</h1>
        <p>Este evento não existe ou não está visível para você.</p>
        <Link href="/eventos">Buscar eventos</Link>
      </section>
    );
  }

  const path = { params: { path: { event_id: eventId } } };
  const mine = event.my_participation;
  const isOrganizer = me !== null && me.id === event.organizer.id;
  const active = mine && ["confirmed", "pending", "waitlisted"].includes(mine.status);
  const started = new Date(event.start_date).getTime() - 3600_000 <= now;
  const ended = new Date(event.end_date).getTime() < now;

  return (
    <section aria-labelledby="minha-participacao" className="card">
      <h2 id="minha-participacao">Sua participação</h2>
      <ProblemNotice problem={problem} />
      {!initial ? <p>{event.title}</p> : null}
      {isOrganizer ? (
        <div className="actions">
          <Link className="button" href={`/eventos/${event.id}/gerenciar`}>
            Gerenciar evento
          </Link>
          <Link className="button secondary" href={`/eventos/${event.id}/editar`}>
            Editar
          </Link>
        </div>
      ) : null}
      {!ready ? (
        <p role="status">Carregando…</p>
      ) : !me ? (
        <p>
          <Link href={`/entrar?next=/eventos/${event.id}`}>Entre</Link> ou{" "}
          <Link href={`/cadastro?next=/eventos/${event.id}`}>cadastre-se</Link> para participar.
        </p>
      ) : isOrganizer ? null : (
        <>
          <p aria-live="polite">
            {mine?.checked_in_at ? (
              <strong>Check-in feito em {formatDateTime(mine.checked_in_at)}.</strong>
            ) : mine ? (
              <strong>
                {PARTICIPATION_LABELS[mine.status] ?? mine.status}
                {mine.status === "waitlisted" && mine.waitlist_position != null
                  ? `: você é o nº ${mine.waitlist_position} da fila`
                  : ""}
                .
              </strong>
            ) : (
              "Você ainda não se inscreveu."
            )}
          </p>
          <div className="actions">
            {!active && event.status === "published" && !ended ? (
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={() => void act(() => api.POST("/api/v1/events/{event_id}/join", { ...path, body: {} }))}
              >
                {event.spots_left > 0 ? "Quero participar" : "Entrar na lista de espera"}
              </button>
            ) : null}
            {active && !mine?.checked_in_at && !ended ? (
              <button
                type="button"
                className="button secondary"
                disabled={busy}
                onClick={() => void act(() => api.POST("/api/v1/events/{event_id}/leave", path))}
              >
                Cancelar inscrição
              </button>
            ) : null}
          </div>
          {mine?.status === "confirmed" && mine.checked_in_at && ended ? (
            <div className="actions">
              <CertificateDownload eventId={event.id} />
            </div>
          ) : null}
          {mine?.status === "confirmed" && !mine.checked_in_at && started && !ended ? (
            <form
              className="stack"
              onSubmit={(e) => {
                e.preventDefault();
                void act(() => api.POST("/api/v1/events/{event_id}/check-in", { ...path, body: { code } }));
              }}
            >
              <label htmlFor="codigo-checkin">Código de check-in (ou escaneie o QR do organizador)</label>
              <input id="codigo-checkin" value={code} onChange={(e) => setCode(e.target.value)} maxLength={16} required />
              <button type="submit" className="button" disabled={busy}>
                Fazer check-in
              </button>
            </form>
          ) : null}
        </>
      )}
    </section>
  );
}
