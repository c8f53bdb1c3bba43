"use client";

import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ProblemNotice } from "@/components/Notice";
import { formatDateTime, formatHours } from "@/lib/format";

type Row = Schemas["ParticipantHoursOut"];

const REVOCATION_LABELS: Record<string, string> = {
  organizer: "revogado",
  replaced: "substituído após ajuste (o próximo download emite um novo)",
  account_deleted: "revogado: conta excluída",
  event_cancelled: "revogado: evento cancelado",
};

function certificateText(row: Row): string {
  const certificate = row.certificate;
  if (!certificate) return row.checked_in_at ? "ainda não emitido" : "—";
  if (certificate.status === "valid") return `válido · ${certificate.code}`;
  return REVOCATION_LABELS[certificate.revocation ?? "organizer"] ?? "revogado";
}

/** Hours of the checked-in participants: adjust them with a reason (up to 30 days after), revoke a certificate. */
export function HoursSection({ eventId }: { eventId: number }) {
  const { api } = useAuth();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  const fetchRows = useCallback(
    () => api.GET("/api/v1/events/{event_id}/hours", { params: { path: { event_id: eventId }, query: { page_size: 100 } } }),
    [api, eventId],
  );
  const load = async () => setRows((await fetchRows()).data?.items ?? []);

  useEffect(() => {
    let live = true;
    void fetchRows().then(({ data }) => live && setRows(data?.items ?? []));
    return () => {
      live = false;
    };
  }, [fetchRows]);

  async function act(run: () => Promise<{ error?: unknown; response: Response }>): Promise<boolean> {
    setProblem(null);
    const { error, response } = await run();
    if (error !== undefined) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    await load();
    return error === undefined;
  }

  function adjust(row: Row) {
    return async (e: FormEvent<HTMLFormElement>) => {
      e.preventDefault();
      const form = new FormData(e.currentTarget);
      const target = e.currentTarget;
      const ok = await act(() =>
        api.PUT("/api/v1/events/{event_id}/participants/{participation_id}/hours", {
          params: { path: { event_id: eventId, participation_id: row.participation_id } },
          body: { hours: String(form.get("hours") ?? ""), reason: String(form.get("reason") ?? "") },
        }),
      );
      if (ok) target.reset();
    };
  }

  function revoke(row: Row) {
    return async (e: FormEvent<HTMLFormElement>) => {
      e.preventDefault();
      const reason = String(new FormData(e.currentTarget).get("reason") ?? "");
      if (!window.confirm(`Revogar o certificado de ${row.full_name || row.user.username}? Não há como desfazer.`)) return;
      await act(() =>
        api.POST("/api/v1/events/{event_id}/participants/{participation_id}/certificate/revoke", {
          params: { path: { event_id: eventId, participation_id: row.participation_id } },
          body: { reason },
        }),
      );
    };
  }

  return (
    <section aria-labelledby="horas">
      <h2 id="horas">Horas e certificados</h2>
      <p className="muted">
        Quem fez check-in recebe a duração do evento (no máximo 12 horas por dia). Você pode ajustar as horas de uma
        pessoa, com o motivo, até 30 dias depois do fim; cada ajuste fica registrado.
      </p>
      <ProblemNotice problem={problem} />
      {rows === null ? (
        <p role="status">Carregando…</p>
      ) : rows.length === 0 ? (
        <p className="muted">Nenhuma inscrição confirmada.</p>
      ) : (
        <ul className="list">
          {rows.map((row) => {
            const who = row.full_name || row.user.username;
            const locked = row.certificate?.revocation === "organizer";
            return (
              <li key={row.participation_id} className="card stack">
                <h3>{who}</h3>
                <p>
                  {row.checked_in_at ? `Check-in ${formatDateTime(row.checked_in_at)}` : "Sem check-in: sem horas"} ·{" "}
                  <strong>{formatHours(row.hours)}</strong> · Certificado: {certificateText(row)}
                </p>
                {row.adjustments.length > 0 ? (
                  <ul className="muted">
                    {row.adjustments.map((a) => (
                      <li key={a.adjusted_at}>
                        {formatDateTime(a.adjusted_at)}: {formatHours(a.hours_from)} → {formatHours(a.hours_to)} por{" "}
                        {a.adjusted_by?.username ?? "conta excluída"} ({a.reason})
                      </li>
                    ))}
                  </ul>
                ) : null}
                {row.checked_in_at && !locked ? (
                  <div className="grid two" style={{ alignItems: "start" }}>
                    <form className="stack" onSubmit={(e) => void adjust(row)(e)}>
                      <label htmlFor={`horas-${row.participation_id}`}>Horas de {who}</label>
                      <input id={`horas-${row.participation_id}`} name="hours" type="number" min="0" step="0.25" required />
                      <label htmlFor={`motivo-${row.participation_id}`}>Motivo do ajuste</label>
                      <input id={`motivo-${row.participation_id}`} name="reason" minLength={3} maxLength={500} required />
                      <button type="submit" className="button secondary">
                        Ajustar horas
                      </button>
                    </form>
                    <form className="stack" onSubmit={(e) => void revoke(row)(e)}>
                      <label htmlFor={`revogar-${row.participation_id}`}>Motivo da revogação</label>
                      <input id={`revogar-${row.participation_id}`} name="reason" minLength={3} maxLength={500} required />
                      <button type="submit" className="button danger">
                        Revogar certificado
                      </button>
                    </form>
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
