"use client";

import { useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { FieldError, ProblemNotice } from "@/components/Notice";

/** Change the password: every other session ends; this one goes on with the new tokens the API returns. */
export function PasswordSection() {
  const { api, adoptSession } = useAuth();
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [saved, setSaved] = useState(false);

  async function submit(form: HTMLFormElement) {
    const f = new FormData(form);
    setSaved(false);
    const { data, error, response } = await api.POST("/api/v1/auth/password/change", {
      body: { current_password: String(f.get("current_password") ?? ""), new_password: String(f.get("new_password") ?? "") },
    });
    if (error !== undefined || !data) {
      setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
      return;
    }
    await adoptSession(data);
    setProblem(null);
    setSaved(true);
    form.reset();
  }

  return (
    <section aria-labelledby="senha">
      <h2 id="senha">Senha</h2>
      <form
        className="stack card"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(e.currentTarget);
        }}
      >
        <ProblemNotice problem={problem} />
        {saved ? (
          <p className="notice ok" role="status">
            Senha alterada. As outras sessões da sua conta foram encerradas.
          </p>
        ) : null}
        <div>
          <label htmlFor="current_password">Senha atual</label>
          <input id="current_password" name="current_password" type="password" autoComplete="current-password" required aria-describedby="current_password-erro" />
          <FieldError id="current_password-erro" message={problem?.fields.current_password} />
        </div>
        <div>
          <label htmlFor="new_password">Nova senha (mínimo 8 caracteres)</label>
          <input id="new_password" name="new_password" type="password" autoComplete="new-password" required aria-describedby="new_password-erro" />
          <FieldError id="new_password-erro" message={problem?.fields.new_password} />
        </div>
        <button type="submit" className="button secondary">
          Alterar senha
        </button>
      </form>
    </section>
  );
}
