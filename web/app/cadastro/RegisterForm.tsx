"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { FieldError, ProblemNotice } from "@/components/Notice";
import { safeNext } from "@/lib/nextPath";

const FIELDS = [
  { name: "first_name", label: "Nome", autoComplete: "given-name", type: "text", required: false, max: 150 },
  { name: "last_name", label: "Sobrenome", autoComplete: "family-name", type: "text", required: false, max: 150 },
  { name: "username", label: "Nome de usuário", autoComplete: "username", type: "text", required: true, max: 150 },
  { name: "email", label: "E-mail", autoComplete: "email", type: "email", required: true, max: 254 },
  { name: "password", label: "Senha (mínimo 8 caracteres)", autoComplete: "new-password", type: "password", required: true, max: 128 },
  { name: "birth_date", label: "Data de nascimento (opcional; alguns eventos têm limite de idade)", autoComplete: "bday", type: "date", required: false, max: 10 },
] as const;

export function RegisterForm() {
  const { api, signIn } = useAuth();
  const router = useRouter();
  const next = safeNext(useSearchParams().get("next"));
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(form: HTMLFormElement) {
    setBusy(true);
    const f = new FormData(form);
    const value = (name: string) => String(f.get(name) ?? "");
    const { error, response } = await api.POST("/api/v1/auth/register", {
      body: {
        username: value("username"),
        email: value("email"),
        password: value("password"),
        first_name: value("first_name"),
        last_name: value("last_name"),
        birth_date: value("birth_date") || null,
      },
    });
    if (error !== undefined) {
      setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
      setBusy(false);
      return;
    }
    const loginProblem = await signIn(value("username"), value("password"));
    setBusy(false);
    if (loginProblem) setProblem(loginProblem);
    else router.push(next);
  }

  return (
    <form
      className="stack card"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      <ProblemNotice problem={problem} />
      {FIELDS.map((field) => (
        <div key={field.name}>
          <label htmlFor={field.name}>{field.label}</label>
          <input
            id={field.name}
            name={field.name}
            type={field.type}
            autoComplete={field.autoComplete}
            required={field.required}
            maxLength={field.max}
            aria-invalid={problem?.fields[field.name] ? true : undefined}
            aria-describedby={`${field.name}-erro`}
          />
          <FieldError id={`${field.name}-erro`} message={problem?.fields[field.name]} />
        </div>
      ))}
      <button type="submit" className="button" disabled={busy}>
        Criar conta
      </button>
    </form>
  );
}
