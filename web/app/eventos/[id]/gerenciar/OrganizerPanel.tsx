"use client";

import Link from "next/link";
import QRCode from "qrcode";
import { useEffect, useState } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ManagedEvent } from "@/components/ManagedEvent";
import { ProblemNotice } from "@/components/Notice";
import { saveFile } from "@/lib/download";
import { EVENT_STATUS_LABELS, PARTICIPATION_LABELS, formatDateTime } from "@/lib/format";
import { HoursSection } from "./HoursSection";

type Event = Schemas["EventOut"];

export function OrganizerPanel({ eventId }: { eventId: number }) {
  return <ManagedEvent eventId={eventId}>{(event, reload) => <Panel event={event} reload={reload} />}</ManagedEvent>;
}

function Panel({ event, reload }: { event: Event; reload: () => Promise<void> }) {
  const { api } = useAuth();
  const [participants, setParticipants] = useState<Schemas["ParticipantOut"][]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [now] = useState(() => Date.now());
  const path = { params: { path: { event_id: event.id } } };
  const checkInUrl =
    typeof window === "undefined" || !event.check_in_code
      ? null
      : `${window.location.origin}/eventos/${event.id}/check-in?codigo=${encodeURIComponent(event.check_in_code)}`;

  async function loadParticipants() {
    const { data } = await api.GET("/api/v1/events/{event_id}/participants", {
      params: { path: { event_id: event.id }, query: { page_size: 100 } },
    });
    setParticipants(data?.items ?? []);
  }

  useEffect(() => {
    let live = true;
    void api
      .GET("/api/v1/events/{event_id}/participants", { params: { path: { event_id: event.id }, query: { page_size: 100 } } })
      .then(({ data }) => live && setParticipants(data?.items ?? []));
    return () => {
      live = false;
    };
  }, [api, event.id]);

  useEffect(() => {
    if (checkInUrl) void QRCode.toDataURL(checkInUrl, { margin: 1, width: 320 }).then(setQr);
  }, [checkInUrl]);

  async function act(run: () => Promise<{ error?: unknown; response: Response }>) {
    setProblem(null);
    const { error, response } = await run();
    if (error !== undefined) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    await Promise.all([reload(), loadParticipants()]);
  }

  async function downloadSheet() {
    // Through the authenticated client (the token is not a cookie), then handed to the browser as a file.
    const { data, response } = await api.GET("/api/v1/events/{event_id}/participants.csv", { ...path, parseAs: "blob" });
    if (!data) {
      setProblem(problemFrom(response.status, null));
      return;
    }
    saveFile(data, `lista-de-presenca-${event.id}.csv`);
  }

  const started = new Date(event.start_date).getTime() <= now;
  return (
    <>
      <h1>{event.title}</h1>
      <p>
        <span className="badge">{EVENT_STATUS_LABELS[event.status] ?? event.status}</span> {formatDateTime(event.start_date)} ·{" "}
        {event.participants_count} inscritos · {event.spots_left} vagas livres
      </p>
      <ProblemNotice problem={problem} />
      <div className="actions">
        <Link className="button secondary" href={`/eventos/${event.id}`}>
          Ver página pública
        </Link>
        <Link className="button secondary" href={`/eventos/${event.id}/editar`}>
          Editar
        </Link>
        {event.status === "draft" ? (
          <button type="button" className="button" onClick={() => void act(() => api.POST("/api/v1/events/{event_id}/publish", path))}>
            Publicar
          </button>
        ) : null}
        {event.status === "published" || event.status === "draft" ? (
          <button
            type="button"
            className="button danger"
            onClick={() => {
              if (window.confirm("Cancelar o evento? Os inscritos serão avisados por e-mail.")) {
                void act(() => api.POST("/api/v1/events/{event_id}/cancel", path));
              }
            }}
          >
            Cancelar evento
          </button>
        ) : null}
        {started ? (
          <Link className="button" href={`/eventos/${event.id}/relatorio`}>
            Relatório de impacto
          </Link>
        ) : null}
      </div>

      <section aria-labelledby="checkin">
        <h2 id="checkin">Check-in</h2>
        <p>
          Código: <strong>{event.check_in_code}</strong>. Mostre o QR abaixo no dia: quem está inscrito escaneia e faz o
          check-in pelo celular (a partir de 1 hora antes do início).
        </p>
        {qr ? (
          // eslint-disable-next-line @next/next/no-img-element -- a data: URL made in the browser
          <img className="qr" src={qr} alt={`QR code de check-in: ${checkInUrl}`} width={320} height={320} />
        ) : null}
      </section>

      <section aria-labelledby="participantes">
        <h2 id="participantes">Participantes</h2>
        <div className="actions">
          <button type="button" className="button secondary" onClick={() => void downloadSheet()}>
            Baixar lista de presença (CSV)
          </button>
        </div>
        {participants.length === 0 ? (
          <p className="muted">Ninguém se inscreveu ainda.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="muted">Inscrições e contatos de emergência</caption>
              <thead>
                <tr>
                  <th scope="col">Pessoa</th>
                  <th scope="col">Situação</th>
                  <th scope="col">Emergência</th>
                  <th scope="col">Ações</th>
                </tr>
              </thead>
              <tbody>
                {participants.map((p) => (
                  <tr key={p.id}>
                    <td>
                      {p.user.username}
                      <br />
                      <span className="muted">{p.email}</span>
                    </td>
                    <td>
                      {PARTICIPATION_LABELS[p.status] ?? p.status}
                      {p.checked_in_at ? ` · check-in ${formatDateTime(p.checked_in_at)}` : ""}
                    </td>
                    <td>
                      {p.emergency_contact} {p.emergency_phone}
                      {p.special_needs ? <br /> : null}
                      {p.special_needs}
                    </td>
                    <td>
                      <div className="actions">
                        {p.status === "pending" || p.status === "waitlisted" ? (
                          <button
                            type="button"
                            className="button"
                            aria-label={`Aprovar ${p.user.username}`}
                            onClick={() =>
                              void act(() =>
                                api.PATCH("/api/v1/events/{event_id}/participants/{participation_id}", {
                                  params: { path: { event_id: event.id, participation_id: p.id } },
                                  body: { status: "confirmed" },
                                }),
                              )
                            }
                          >
                            Aprovar
                          </button>
                        ) : null}
                        {p.status === "pending" || p.status === "waitlisted" || p.status === "confirmed" ? (
                          <button
                            type="button"
                            className="button secondary"
                            aria-label={`Recusar ${p.user.username}`}
                            onClick={() =>
                              void act(() =>
                                api.PATCH("/api/v1/events/{event_id}/participants/{participation_id}", {
                                  params: { path: { event_id: event.id, participation_id: p.id } },
                                  body: { status: "rejected" },
                                }),
                              )
                            }
                          >
                            Recusar
                          </button>
                        ) : null}
                        {p.status === "confirmed" && !p.checked_in_at ? (
                          <button
                            type="button"
                            className="button secondary"
                            aria-label={`Registrar presença de ${p.user.username}`}
                            onClick={() =>
                              void act(() => api.POST("/api/v1/events/{event_id}/check-in", { ...path, body: { user_id: p.user.id } }))
                            }
                          >
                            Registrar presença
                          </button>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {started ? <HoursSection eventId={event.id} /> : null}
      <p className="muted">
        Fotos e comentários: modere na <Link href={`/eventos/${event.id}`}>página do evento</Link> (você pode excluir
        qualquer um).
      </p>
    </>
  );
}
