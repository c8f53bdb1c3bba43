"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { FieldError, ProblemNotice } from "@/components/Notice";

/** LGPD: a copy of everything held about the person, and the deletion of the account (with the password). */
export function AccountSection() {
  const { api, signOut } = useAuth();
  const router = useRouter();
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  async function exportData() {
    const { data, response } = await api.GET("/api/v1/users/me/export");
    if (!data) {
      setProblem(problemFrom(response.status, null));
      return;
    }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
    link.download = "meus-dados-mutiroes.json";
    link.click();
    URL.revokeObjectURL(link.href);
  }

  async function deleteAccount(form: HTMLFormElement) {
    if (!window.confirm("Excluir sua conta? Isso não pode ser desfeito.")) return;
    const password = String(new FormData(form).get("password") ?? "");
    const { error, response } = await api.DELETE("/api/v1/users/me", { body: { password } });
    if (error !== undefined) {
      setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
      return;
    }
    await signOut();
    router.push("/");
  }

  return (
    <section aria-labelledby="conta">
      <h2 id="conta">Seus dados (LGPD)</h2>
      <ProblemNotice problem={problem} />
      <div className="actions">
        <button type="button" className="button secondary" onClick={() => void exportData()}>
          Baixar meus dados
        </button>
      </div>
      <form
        className="stack card"
        onSubmit={(e) => {
          e.preventDefault();
          void deleteAccount(e.currentTarget);
        }}
      >
        <h3>Excluir conta</h3>
        <p className="muted">
          Seus dados pessoais são apagados. Relatórios de eventos que você organizou continuam publicados, sem o seu nome.
        </p>
        <div>
          <label htmlFor="delete-password">Confirme com sua senha</label>
          <input id="delete-password" name="password" type="password" autoComplete="current-password" required aria-describedby="delete-password-erro" />
          <FieldError id="delete-password-erro" message={problem?.fields.password} />
        </div>
        <button type="submit" className="button danger">
          Excluir minha conta
        </button>
      </form>
    </section>
  );
}
