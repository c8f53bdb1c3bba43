"use client";

import { useState } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { formatNumber } from "@/lib/format";
import { useAuth } from "./AuthProvider";
import { ProblemNotice } from "./Notice";

const TYPES: Record<string, string> = { tool: "Ferramenta", material: "Material", equipment: "Equipamento", other: "Outro" };

/** What the event needs and who brings what; a signed-in participant pledges a quantity (0 withdraws). */
export function ResourcesSection({ eventId, initial }: { eventId: number; initial: Schemas["ResourceOut"][] }) {
  const { api, me } = useAuth();
  const [resources, setResources] = useState(initial);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  async function pledge(resourceId: number, quantity: string) {
    setProblem(null);
    const { error, response } = await api.POST("/api/v1/events/{event_id}/resources/{resource_id}/pledges", {
      params: { path: { event_id: eventId, resource_id: resourceId } },
      body: { quantity },
    });
    if (error !== undefined) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    const { data } = await api.GET("/api/v1/events/{event_id}/resources", {
      params: { path: { event_id: eventId }, query: { page_size: 100 } },
    });
    if (data) setResources(data.items);
  }

  if (resources.length === 0) return null;
  return (
    <section aria-labelledby="recursos">
      <h2 id="recursos">Recursos e contribuições</h2>
      <ProblemNotice problem={problem} />
      <ul className="list">
        {resources.map((r) => (
          <li key={r.id} className="card">
            <h3>{r.name}</h3>
            <p className="muted">
              {TYPES[r.resource_type] ?? r.resource_type} · {formatNumber(r.quantity_pledged)} de{" "}
              {formatNumber(r.quantity_needed)} {r.unit} garantidos
            </p>
            {r.description ? <p>{r.description}</p> : null}
            {me ? (
              <form
                className="actions"
                onSubmit={(e) => {
                  e.preventDefault();
                  const value = new FormData(e.currentTarget).get("quantidade");
                  void pledge(r.id, String(value ?? "0"));
                }}
              >
                <label htmlFor={`levar-${r.id}`}>Eu levo</label>
                <input
                  id={`levar-${r.id}`}
                  name="quantidade"
                  type="number"
                  min={0}
                  step="any"
                  defaultValue={r.my_pledge ?? ""}
                  style={{ maxWidth: "7rem" }}
                />
                <button type="submit" className="button secondary">
                  Confirmar
                </button>
              </form>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
