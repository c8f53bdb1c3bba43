"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ProblemNotice } from "@/components/Notice";
import { SignedIn } from "@/components/SignedIn";
import { formatDateTime } from "@/lib/format";

/** Where the organiser's QR code leads: the code comes in the link, the participant confirms with one tap. */
export function CheckIn({ eventId }: { eventId: number }) {
  const { api } = useAuth();
  const [code, setCode] = useState(useSearchParams().get("codigo") ?? "");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    setBusy(true);
    setProblem(null);
    const { data, error, response } = await api.POST("/api/v1/events/{event_id}/check-in", {
      params: { path: { event_id: eventId } },
      body: { code: code.trim() },
    });
    setBusy(false);
    if (error !== undefined || !data) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    else setDone(data.checked_in_at);
  }

  return (
    <SignedIn>
      {done ? (
        <div className="notice ok" role="status">
          Check-in confirmado {formatDateTime(done)}. Bom mutirão!{" "}
          <Link href={`/eventos/${eventId}`}>Voltar ao evento</Link>
        </div>
      ) : (
        <form
          className="stack card"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <ProblemNotice problem={problem} />
          <div>
            <label htmlFor="codigo">Código de check-in</label>
            <input id="codigo" value={code} onChange={(e) => setCode(e.target.value)} maxLength={16} required autoComplete="off" />
          </div>
          <button type="submit" className="button" disabled={busy}>
            Confirmar minha presença
          </button>
        </form>
      )}
    </SignedIn>
  );
}
