"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ProblemNotice } from "@/components/Notice";

const KINDS: Record<string, string> = {
  registration: "confirmação de inscrição",
  reminder: "lembretes antes do evento",
  update: "mudanças de data ou local",
  cancellation: "cancelamentos",
  waitlist_promoted: "vagas liberadas na lista de espera",
  badge_earned: "novas conquistas",
};

/** The e-mail's unsubscribe link: a button, since a GET must change nothing (mail scanners open links). */
export function Unsubscribe() {
  const { api } = useAuth();
  const token = useSearchParams().get("token") ?? "";
  const [kind, setKind] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  async function confirm() {
    const { data, error, response } = await api.POST("/api/v1/notifications/unsubscribe", {
      params: { query: { token } },
    });
    if (error !== undefined || !data) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    else setKind(data.kind);
  }

  if (kind) {
    return (
      <p className="notice ok" role="status">
        Pronto: você não recebe mais e-mails de {KINDS[kind] ?? kind}. Mude de ideia em{" "}
        <Link href="/minha-area">Minha área</Link>.
      </p>
    );
  }
  return (
    <div className="stack card">
      <ProblemNotice problem={problem} />
      <p>Confirme para deixar de receber este tipo de e-mail. Os outros continuam como estão.</p>
      <button type="button" className="button" onClick={() => void confirm()}>
        Confirmar
      </button>
    </div>
  );
}
