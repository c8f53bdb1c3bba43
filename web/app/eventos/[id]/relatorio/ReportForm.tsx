"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ManagedEvent } from "@/components/ManagedEvent";
import { FieldError, ProblemNotice } from "@/components/Notice";
import { formatNumber } from "@/lib/format";

type Report = Schemas["ReportOut"];

const NUMBERS = [
  { name: "participants", label: "Participantes", step: "1" },
  { name: "hours", label: "Duração (horas)", step: "0.5" },
  { name: "trash_kg", label: "Resíduos recolhidos (kg)", step: "0.1" },
  { name: "recyclable_kg", label: "Dos quais recicláveis (kg)", step: "0.1" },
  { name: "trees_planted", label: "Árvores plantadas", step: "1" },
  { name: "area_m2", label: "Área cuidada (m²)", step: "1" },
] as const;
const TEXTS = [
  { name: "summary", label: "Resumo" },
  { name: "achievements", label: "Conquistas" },
  { name: "challenges", label: "Desafios" },
] as const;

export function ReportForm({ eventId }: { eventId: number }) {
  return <ManagedEvent eventId={eventId}>{(event) => <Form event={event} />}</ManagedEvent>;
}

function Form({ event }: { event: Schemas["EventOut"] }) {
  const { api } = useAuth();
  const [report, setReport] = useState<Report | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const path = { params: { path: { event_id: event.id } } };

  useEffect(() => {
    let live = true;
    void api.GET("/api/v1/events/{event_id}/report", { params: { path: { event_id: event.id } } }).then(({ data }) => {
      if (!live) return;
      setReport(data ?? null);
      setLoaded(true);
    });
    return () => {
      live = false;
    };
  }, [api, event.id]);

  async function submit(form: HTMLFormElement) {
    const f = new FormData(form);
    const text = (name: string) => String(f.get(name) ?? "").trim();
    const body = {
      participants: Number(text("participants")),
      hours: text("hours") || "0",
      trash_kg: text("trash_kg") || "0",
      recyclable_kg: text("recyclable_kg") || "0",
      trees_planted: Number(text("trees_planted") || "0"),
      area_m2: text("area_m2") || "0",
      summary: text("summary"),
      achievements: text("achievements"),
      challenges: text("challenges"),
    };
    setProblem(null);
    setSaved(false);
    // PUT creates or replaces: the organiser may correct the report (nginx may replay a PUT; it converges).
    const { data, error, response } = await api.PUT("/api/v1/events/{event_id}/report", { ...path, body });
    if (error !== undefined || !data) {
      setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
      return;
    }
    setReport(data);
    setSaved(true);
  }

  if (!loaded) return <p role="status">Carregando…</p>;
  return (
    <>
      <h1>Relatório de impacto</h1>
      <p>
        <Link href={`/eventos/${event.id}/gerenciar`}>{event.title}</Link>
      </p>
      <ProblemNotice problem={problem} />
      {saved ? (
        <p className="notice ok" role="status">
          Relatório salvo. O impacto calculado (CO₂e, resíduos desviados) aparece em instantes.
        </p>
      ) : null}
      {report?.co2e_kg != null ? (
        <p>
          Impacto calculado: {formatNumber(report.co2e_kg)} kg de CO₂e evitados,{" "}
          {formatNumber(report.waste_diverted_kg ?? 0)} kg de resíduos desviados (fatores {report.factors_version}).{" "}
          {report.checked_in_count} check-ins registrados.
        </p>
      ) : null}
      <form
        className="stack"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit(e.currentTarget);
        }}
      >
        <div className="grid two">
          {NUMBERS.map(({ name, label, step }) => (
            <div key={name}>
              <label htmlFor={name}>{label}</label>
              <input
                id={name}
                name={name}
                type="number"
                min={0}
                step={step}
                defaultValue={report ? String(report[name]) : name === "participants" ? event.participants_count : ""}
                aria-describedby={`${name}-erro`}
              />
              <FieldError id={`${name}-erro`} message={problem?.fields[name]} />
            </div>
          ))}
        </div>
        {TEXTS.map(({ name, label }) => (
          <div key={name}>
            <label htmlFor={name}>{label}</label>
            <textarea id={name} name={name} rows={3} defaultValue={report?.[name] ?? ""} aria-describedby={`${name}-erro`} />
            <FieldError id={`${name}-erro`} message={problem?.fields[name]} />
          </div>
        ))}
        <button type="submit" className="button">
          Salvar relatório
        </button>
      </form>
    </>
  );
}
