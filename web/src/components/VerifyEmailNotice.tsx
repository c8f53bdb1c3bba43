"use client";

import { useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ProblemNotice } from "@/components/Notice";

/** For a signed-in account whose e-mail is not confirmed yet: why it matters, and a new link on request. */
export function VerifyEmailNotice({ reason = "Confirme seu e-mail para organizar mutirões." }: { reason?: string }) {
  const { api, me } = useAuth();
  const [sent, setSent] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  if (!me || me.email_verified) return null;

  async function resend() {
    const { error, response } = await api.POST("/api/v1/auth/email/verify/resend");
    if (error !== undefined) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    else setSent(true);
  }

  return (
    <div className="notice" role="status">
      <p>
        {reason} Enviamos um link para <strong>{me.email}</strong>.
      </p>
      {sent ? (
        <p>Enviamos um novo link. Confira também a caixa de spam.</p>
      ) : (
        <button type="button" className="button secondary" onClick={() => void resend()}>
          Reenviar e-mail de confirmação
        </button>
      )}
      <ProblemNotice problem={problem} />
    </div>
  );
}
