"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { FieldError, ProblemNotice } from "@/components/Notice";

/** Where the e-mailed link leads: uid and token come in the link; every session ends when it succeeds. */
export function ResetPassword() {
  const { api } = useAuth();
  const params = useSearchParams();
  const [done, setDone] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  async function submit(form: HTMLFormElement) {
    const newPassword = String(new FormData(form).get("new_password") ?? "");
    const { error, response } = await api.POST("/api/v1/auth/password/reset/confirm", {
      body: { uid: params.get("uid") ?? "", token: params.get("token") ?? "", new_password: newPassword },
    });
    if (error !== undefined) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    else setDone(true);
  }

  if (done) {
    return (
      <p className="notice ok" role="status">
        Senha redefinida. Todas as sessões foram encerradas. <Link href="/entrar">Entrar com a nova senha</Link>
      </p>
    );
  }
  return (
    <form
      className="stack card"
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      <ProblemNotice problem={problem} />
      <FieldError id="token-erro" message={problem?.fields.token} />
      <div>
        <label htmlFor="new_password">Nova senha (mínimo 8 caracteres)</label>
        <input id="new_password" name="new_password" type="password" autoComplete="new-password" required aria-describedby="new_password-erro" />
        <FieldError id="new_password-erro" message={problem?.fields.new_password} />
      </div>
      <button type="submit" className="button">
        Salvar nova senha
      </button>
    </form>
  );
}
