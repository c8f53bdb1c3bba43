"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { UFS, fromLocalInput, isUf, toLocalInput } from "@/lib/format";
import { useAuth } from "./AuthProvider";
import { MapPicker, type Point } from "./MapPicker";
import { FieldError, ProblemNotice } from "./Notice";

type Event = Schemas["EventOut"];

const TEXTS: { name: "title" | "address" | "city"; label: string; max: number }[] = [
  { name: "title", label: "Título", max: 200 },
  { name: "address", label: "Endereço ou ponto de encontro", max: 300 },
  { name: "city", label: "Cidade", max: 100 },
];
const LONG_TEXTS: { name: "description" | "what_to_bring" | "tools_needed" | "tools_provided"; label: string; max: number }[] = [
  { name: "description", label: "Descrição", max: 10000 },
  { name: "what_to_bring", label: "O que levar", max: 2000 },
  { name: "tools_needed", label: "Ferramentas necessárias", max: 2000 },
  { name: "tools_provided", label: "Materiais fornecidos pela organização", max: 2000 },
];

/** Create (no `event`) or edit an event; every API validation message is shown next to its field. */
export function EventForm({ event, tileUrl }: { event?: Event; tileUrl: string }) {
  const { api } = useAuth();
  const router = useRouter();
  const [categories, setCategories] = useState<Schemas["CategoryOut"][]>([]);
  const [point, setPoint] = useState<Point | null>(event ? { lat: event.latitude, lng: event.longitude } : null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void api.GET("/api/v1/categories").then(({ data }) => setCategories(data ?? []));
  }, [api]);

  const fieldError = (name: string) => problem?.fields[name];

  async function submit(form: HTMLFormElement, status: "draft" | "published") {
    const f = new FormData(form);
    const text = (name: string) => String(f.get(name) ?? "").trim();
    const optionalInt = (name: string) => (text(name) === "" ? null : Number(text(name)));
    if (!point || (point.lat === 0 && point.lng === 0)) {
      setProblem({ status: 422, code: "validation_error", message: "", fields: { latitude: "Marque o local no mapa." }, retryAfterSeconds: null });
      return;
    }
    const state = text("state");
    if (!isUf(state)) {
      setProblem({ status: 422, code: "validation_error", message: "", fields: { state: "Escolha o estado." }, retryAfterSeconds: null });
      return;
    }
    const body = {
      title: text("title"),
      description: text("description"),
      category_id: Number(text("category_id")),
      address: text("address"),
      city: text("city"),
      state,
      latitude: point.lat,
      longitude: point.lng,
      start_date: text("start_date") ? fromLocalInput(text("start_date")) : "",
      end_date: text("end_date") ? fromLocalInput(text("end_date")) : "",
      registration_deadline: text("registration_deadline") ? fromLocalInput(text("registration_deadline")) : null,
      max_participants: Number(text("max_participants")),
      min_age: optionalInt("min_age"),
      max_age: optionalInt("max_age"),
      requires_approval: f.get("requires_approval") === "on",
      is_public: f.get("is_public") === "on",
      what_to_bring: text("what_to_bring"),
      tools_needed: text("tools_needed"),
      tools_provided: text("tools_provided"),
    };
    setBusy(true);
    setProblem(null);
    const result = event
      ? await api.PATCH("/api/v1/events/{event_id}", { params: { path: { event_id: event.id } }, body })
      : await api.POST("/api/v1/events", { body: { ...body, status } });
    setBusy(false);
    if (result.error !== undefined || !result.data) {
      setProblem(problemFrom(result.response.status, result.error, result.response.headers.get("retry-after")));
      return;
    }
    router.push(`/eventos/${result.data.id}/gerenciar`);
  }

  const locationError = fieldError("latitude") ?? fieldError("longitude");
  return (
    <form
      className="stack"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const submitter = (e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
        void submit(e.currentTarget, submitter?.value === "published" ? "published" : "draft");
      }}
    >
      <ProblemNotice problem={problem} />
      {TEXTS.slice(0, 1).map(({ name, label, max }) => (
        <div key={name}>
          <label htmlFor={name}>{label}</label>
          <input id={name} name={name} defaultValue={event?.[name]} maxLength={max} required aria-describedby={`${name}-erro`} />
          <FieldError id={`${name}-erro`} message={fieldError(name)} />
        </div>
      ))}
      <div>
        <label htmlFor="category_id">Categoria</label>
        <select id="category_id" name="category_id" defaultValue={event?.category.id ?? ""} required aria-describedby="category_id-erro">
          <option value="" disabled>
            Escolha…
          </option>
          {categories.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
        <FieldError id="category_id-erro" message={fieldError("category_id")} />
      </div>
      {LONG_TEXTS.slice(0, 1).map(({ name, label, max }) => (
        <div key={name}>
          <label htmlFor={name}>{label}</label>
          <textarea id={name} name={name} rows={5} defaultValue={event?.[name]} maxLength={max} required aria-describedby={`${name}-erro`} />
          <FieldError id={`${name}-erro`} message={fieldError(name)} />
        </div>
      ))}
      <div className="grid two">
        {(
          [
            ["start_date", "Início", event?.start_date],
            ["end_date", "Término", event?.end_date],
            ["registration_deadline", "Inscrições até (opcional)", event?.registration_deadline],
          ] as const
        ).map(([name, label, value]) => (
          <div key={name}>
            <label htmlFor={name}>{label}</label>
            <input id={name} name={name} type="datetime-local" defaultValue={value ? toLocalInput(value) : ""} aria-describedby={`${name}-erro`} />
            <FieldError id={`${name}-erro`} message={fieldError(name)} />
          </div>
        ))}
        <div>
          <label htmlFor="max_participants">Vagas</label>
          <input id="max_participants" name="max_participants" type="number" min={1} max={100000} defaultValue={event?.max_participants ?? 20} aria-describedby="max_participants-erro" />
          <FieldError id="max_participants-erro" message={fieldError("max_participants")} />
        </div>
        <div>
          <label htmlFor="min_age">Idade mínima (opcional)</label>
          <input id="min_age" name="min_age" type="number" min={0} max={130} defaultValue={event?.min_age ?? ""} aria-describedby="min_age-erro" />
          <FieldError id="min_age-erro" message={fieldError("min_age")} />
        </div>
        <div>
          <label htmlFor="max_age">Idade máxima (opcional)</label>
          <input id="max_age" name="max_age" type="number" min={0} max={130} defaultValue={event?.max_age ?? ""} aria-describedby="max_age-erro" />
          <FieldError id="max_age-erro" message={fieldError("max_age")} />
        </div>
      </div>
      {TEXTS.slice(1).map(({ name, label, max }) => (
        <div key={name}>
          <label htmlFor={name}>{label}</label>
          <input id={name} name={name} defaultValue={event?.[name]} maxLength={max} required aria-describedby={`${name}-erro`} />
          <FieldError id={`${name}-erro`} message={fieldError(name)} />
        </div>
      ))}
      <div>
        <label htmlFor="state">UF</label>
        <select id="state" name="state" defaultValue={event?.state ?? "SP"} aria-describedby="state-erro">
          {UFS.map((uf) => (
            <option key={uf}>{uf}</option>
          ))}
        </select>
        <FieldError id="state-erro" message={fieldError("state")} />
      </div>
      <MapPicker value={point} onChange={setPoint} tileUrl={tileUrl} error={locationError} />
      {LONG_TEXTS.slice(1).map(({ name, label, max }) => (
        <div key={name}>
          <label htmlFor={name}>{label}</label>
          <textarea id={name} name={name} rows={2} defaultValue={event?.[name]} maxLength={max} aria-describedby={`${name}-erro`} />
          <FieldError id={`${name}-erro`} message={fieldError(name)} />
        </div>
      ))}
      <label className="checkbox">
        <input type="checkbox" name="requires_approval" defaultChecked={event?.requires_approval ?? false} />
        Inscrições precisam da minha aprovação
      </label>
      <label className="checkbox">
        <input type="checkbox" name="is_public" defaultChecked={event?.is_public ?? true} />
        Evento público (aparece na busca)
      </label>
      <div className="actions">
        {event ? (
          <button type="submit" className="button" disabled={busy}>
            Salvar alterações
          </button>
        ) : (
          <>
            <button type="submit" name="status" value="published" className="button" disabled={busy}>
              Publicar
            </button>
            <button type="submit" name="status" value="draft" className="button secondary" disabled={busy}>
              Salvar rascunho
            </button>
          </>
        )}
      </div>
    </form>
  );
}
