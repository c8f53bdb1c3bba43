"use client";

import { useEffect, useState } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ProblemNotice } from "@/components/Notice";

type Toggles = Schemas["EmailTogglesIn"];

const KINDS: { key: keyof Toggles; label: string }[] = [
  { key: "registration", label: "Confirmação de inscrição" },
  { key: "reminder", label: "Lembrete antes do evento" },
  { key: "update", label: "Mudança de data ou local" },
  { key: "cancellation", label: "Cancelamento" },
  { key: "waitlist_promoted", label: "Vaga liberada na lista de espera" },
  { key: "badge_earned", label: "Nova conquista" },
];

export function NotificationSettings() {
  const { api } = useAuth();
  const [settings, setSettings] = useState<Schemas["NotificationSettingsOut"] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    void api.GET("/api/v1/users/me/notification-settings").then(({ data }) => setSettings(data ?? null));
  }, [api]);

  async function submit(form: HTMLFormElement) {
    const f = new FormData(form);
    const on = (key: keyof Toggles) => f.get(key) === "on";
    const email: Toggles = {
      registration: on("registration"),
      reminder: on("reminder"),
      update: on("update"),
      cancellation: on("cancellation"),
      waitlist_promoted: on("waitlist_promoted"),
      badge_earned: on("badge_earned"),
    };
    setSaved(false);
    const { data, error, response } = await api.PUT("/api/v1/users/me/notification-settings", {
      body: { email, reminder_lead_hours: Number(f.get("reminder_lead_hours")) },
    });
    if (error !== undefined || !data) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    else {
      setProblem(null);
      setSettings(data);
      setSaved(true);
    }
  }

  return (
    <section aria-labelledby="notificacoes" id="notificacoes-secao">
      <h2 id="notificacoes">Notificações por e-mail</h2>
      {!settings ? (
        <p role="status">Carregando…</p>
      ) : (
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
              Preferências salvas.
            </p>
          ) : null}
          <fieldset>
            <legend>Quero receber</legend>
            {KINDS.map(({ key, label }) => (
              <label key={key} className="checkbox">
                <input type="checkbox" name={key} defaultChecked={settings.email[key]} />
                {label}
              </label>
            ))}
          </fieldset>
          <div>
            <label htmlFor="reminder_lead_hours">Lembrete quantas horas antes (1 a 168)</label>
            <input id="reminder_lead_hours" name="reminder_lead_hours" type="number" min={1} max={168} defaultValue={settings.reminder_lead_hours} />
          </div>
          <button type="submit" className="button secondary">
            Salvar preferências
          </button>
        </form>
      )}
    </section>
  );
}
