"use client";

import { useState } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { FieldError, ProblemNotice } from "@/components/Notice";
import { UFS, isUf } from "@/lib/format";

type Patch = Schemas["ProfilePatch"];

const TEXTS: { name: "first_name" | "last_name" | "phone" | "city"; label: string; max: number; autoComplete: string }[] = [
  { name: "first_name", label: "Nome", max: 150, autoComplete: "given-name" },
  { name: "last_name", label: "Sobrenome", max: 150, autoComplete: "family-name" },
  { name: "phone", label: "Telefone", max: 30, autoComplete: "tel" },
  { name: "city", label: "Cidade", max: 100, autoComplete: "address-level2" },
];

const TOGGLES: { name: "is_public" | "show_city" | "show_stats"; label: string }[] = [
  { name: "is_public", label: "Perfil público (outras pessoas veem seu nome e suas conquistas)" },
  { name: "show_city", label: "Mostrar minha cidade no perfil público" },
  { name: "show_stats", label: "Mostrar meu impacto no perfil público" },
];

/** The profile: the name certificates state, contact, city, and what the public profile shows. */
export function ProfileSection() {
  const { api, me, reloadMe } = useAuth();
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [saved, setSaved] = useState(false);
  if (!me) return null;

  async function submit(form: HTMLFormElement) {
    const f = new FormData(form);
    const text = (name: string) => String(f.get(name) ?? "").trim();
    const state = text("state");
    const body: Patch = {
      first_name: text("first_name"),
      last_name: text("last_name"),
      phone: text("phone"),
      city: text("city"),
      state: isUf(state) ? state : "",
      bio: text("bio"),
      birth_date: text("birth_date") || null,
      is_public: f.get("is_public") === "on",
      show_city: f.get("show_city") === "on",
      show_stats: f.get("show_stats") === "on",
    };
    setSaved(false);
    const { error, response } = await api.PATCH("/api/v1/users/me", { body });
    if (error !== undefined) {
      setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
      return;
    }
    setProblem(null);
    setSaved(true);
    await reloadMe();
  }

  return (
    <section aria-labelledby="perfil">
      <h2 id="perfil">Seu perfil</h2>
      <form
        className="stack card"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(e.currentTarget);
        }}
      >
        <p className="muted">Nome e sobrenome são os que saem nos certificados emitidos a partir de agora.</p>
        <ProblemNotice problem={problem} />
        {saved ? (
          <p className="notice ok" role="status">
            Perfil salvo.
          </p>
        ) : null}
        {TEXTS.map(({ name, label, max, autoComplete }) => (
          <div key={name}>
            <label htmlFor={`perfil-${name}`}>{label}</label>
            <input
              id={`perfil-${name}`}
              name={name}
              type={name === "phone" ? "tel" : "text"}
              maxLength={max}
              autoComplete={autoComplete}
              defaultValue={me[name]}
              aria-describedby={`perfil-${name}-erro`}
            />
            <FieldError id={`perfil-${name}-erro`} message={problem?.fields[name]} />
          </div>
        ))}
        <div>
          <label htmlFor="perfil-state">UF</label>
          <select id="perfil-state" name="state" defaultValue={me.state} aria-describedby="perfil-state-erro">
            <option value="">—</option>
            {UFS.map((uf) => (
              <option key={uf} value={uf}>
                {uf}
              </option>
            ))}
          </select>
          <FieldError id="perfil-state-erro" message={problem?.fields.state} />
        </div>
        <div>
          <label htmlFor="perfil-birth_date">Data de nascimento (pedida por eventos com limite de idade)</label>
          <input id="perfil-birth_date" name="birth_date" type="date" defaultValue={me.birth_date ?? ""} aria-describedby="perfil-birth_date-erro" />
          <FieldError id="perfil-birth_date-erro" message={problem?.fields.birth_date} />
        </div>
        <div>
          <label htmlFor="perfil-bio">Sobre você</label>
          <textarea id="perfil-bio" name="bio" maxLength={2000} rows={3} defaultValue={me.bio} aria-describedby="perfil-bio-erro" />
          <FieldError id="perfil-bio-erro" message={problem?.fields.bio} />
        </div>
        {TOGGLES.map(({ name, label }) => (
          <label key={name} className="checkbox">
            <input type="checkbox" name={name} defaultChecked={me[name]} />
            {label}
          </label>
        ))}
        <button type="submit" className="button secondary">
          Salvar perfil
        </button>
      </form>
    </section>
  );
}
