"use client";

import { useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ProblemNotice } from "@/components/Notice";

export function ForgotPassword() {
  const { api } = useAuth();
  const [sent, setSent] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  async function submit(form: HTMLFormElement) {
    const email = String(new FormData(form).get("email") ?? "");
    const { error, response } = await api.POST("/api/v1/auth/password/reset", { body: { email } });
    if (error !== undefined) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    else setSent(true);
  }

  if (sent) {
    return (
      <p className="notice ok" role="status">
        Se houver uma conta com esse e-mail, enviamos um link para redefinir a senha. Ele vale por uma hora.
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
      <div>
        <label htmlFor="email">E-mail da conta</label>
        <input id="email" name="email" type="email" autoComplete="email" required maxLength={254} />
      </div>
      <button type="submit" className="button">
        Enviar link
      </button>
    </form>
  );
}
