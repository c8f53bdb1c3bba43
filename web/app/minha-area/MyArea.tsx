"use client";

import { useEffect, useState } from "react";
import type { Schemas } from "@/api/client";
import { useAuth } from "@/components/AuthProvider";
import { EventCard } from "@/components/EventCard";
import { VerifyEmailNotice } from "@/components/VerifyEmailNotice";
import { formatDate, formatNumber } from "@/lib/format";
import { AccountSection } from "./AccountSection";
import { CertificatesSection } from "./CertificatesSection";
import { NotificationSettings } from "./NotificationSettings";
import { PasswordSection } from "./PasswordSection";
import { ProfileSection } from "./ProfileSection";

type Events = Schemas["EventOut"][];

export function MyArea() {
  const { api, me } = useAuth();
  const [organizing, setOrganizing] = useState<Events | null>(null);
  const [joined, setJoined] = useState<Events | null>(null);
  const [stats, setStats] = useState<Schemas["UserStatsOut"] | null>(null);
  const [badges, setBadges] = useState<Schemas["UserBadgeOut"][]>([]);

  useEffect(() => {
    let live = true;
    const query = (role: "organizer" | "participant") => ({ params: { query: { role, page_size: 50 } } });
    void Promise.all([
      api.GET("/api/v1/users/me/events", query("organizer")),
      api.GET("/api/v1/users/me/events", query("participant")),
      api.GET("/api/v1/users/me/stats"),
      api.GET("/api/v1/users/me/badges"),
    ]).then(([o, p, s, b]) => {
      if (!live) return;
      setOrganizing(o.data?.items ?? []);
      setJoined(p.data?.items ?? []);
      setStats(s.data ?? null);
      setBadges(b.data ?? []);
    });
    return () => {
      live = false;
    };
  }, [api]);

  if (!me) return null;
  return (
    <>
      <p>
        Olá, <strong>{me.first_name || me.username}</strong>. Conta criada em {formatDate(me.date_joined)}.
      </p>
      <VerifyEmailNotice reason="Seu e-mail ainda não foi confirmado: confirme para organizar mutirões." />
      {stats ? (
        <section aria-labelledby="estatisticas">
          <h2 id="estatisticas">Seu impacto</h2>
          <ul className="figures">
            <li>
              <strong>{stats.events_attended}</strong> mutirões com presença
            </li>
            <li>
              <strong>{formatNumber(stats.hours_volunteered)}</strong> horas de voluntariado
            </li>
            <li>
              <strong>{stats.events_organized}</strong> mutirões organizados
            </li>
            <li>
              <strong>{formatNumber(stats.trash_kg)} kg</strong> de resíduos
            </li>
          </ul>
        </section>
      ) : null}
      <section aria-labelledby="conquistas">
        <h2 id="conquistas">Conquistas</h2>
        {badges.length === 0 ? (
          <p className="muted">Participe de mutirões para ganhar conquistas.</p>
        ) : (
          <ul className="list grid two">
            {badges.map(({ badge, awarded_at }) => (
              <li key={badge.slug} className="card">
                <h3>{badge.name}</h3>
                <p className="muted">
                  {badge.description} · {formatDate(awarded_at)}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
      <CertificatesSection />
      <EventList id="participo" title="Eventos em que me inscrevi" events={joined} empty="Você ainda não se inscreveu em nenhum evento." />
      <EventList id="organizo" title="Eventos que organizo" events={organizing} empty="Você ainda não organizou eventos." />
      <ProfileSection />
      <NotificationSettings />
      <PasswordSection />
      <AccountSection />
    </>
  );
}

function EventList({ id, title, events, empty }: { id: string; title: string; events: Events | null; empty: string }) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {events === null ? (
        <p role="status">Carregando…</p>
      ) : events.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="list">
          {events.map((event) => (
            <li key={event.id}>
              <EventCard event={event} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
