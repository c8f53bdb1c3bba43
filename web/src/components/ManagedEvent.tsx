"use client";

import Link from "next/link";
import { useCallback, useEffect, useState, type ReactNode } from "react";
import type { Schemas } from "@/api/client";
import { useAuth } from "./AuthProvider";
import { SignedIn } from "./SignedIn";

type Event = Schemas["EventOut"];

/**
 * Loads an event for its organiser's pages. Someone else sees a clean "no access" screen, and an event they
 * cannot see at all is "not found", as the API answers.
 */
export function ManagedEvent({ eventId, children }: { eventId: number; children: (event: Event, reload: () => Promise<void>) => ReactNode }) {
  return (
    <SignedIn>
      <Loaded eventId={eventId}>{children}</Loaded>
    </SignedIn>
  );
}

function Loaded({ eventId, children }: { eventId: number; children: (event: Event, reload: () => Promise<void>) => ReactNode }) {
  const { api, me } = useAuth();
  const [state, setState] = useState<{ event: Event | null; status: number } | null>(null);

  const reload = useCallback(async () => {
    const { data, response } = await api.GET("/api/v1/events/{event_id}", { params: { path: { event_id: eventId } } });
    setState({ event: data ?? null, status: response.status });
  }, [api, eventId]);

  useEffect(() => {
    let live = true;
    void api.GET("/api/v1/events/{event_id}", { params: { path: { event_id: eventId } } }).then(({ data, response }) => {
      if (live) setState({ event: data ?? null, status: response.status });
    });
    return () => {
      live = false;
    };
  }, [api, eventId]);

  if (!state) return <p role="status">Carregando…</p>;
  if (!state.event) {
    return (
      <section>
        <h2>Evento não encontrado</h2>
        <p>Este evento não existe ou não está visível para você.</p>
        <Link href="/eventos">Buscar eventos</Link>
      </section>
    );
  }
  if (!me || (me.id !== state.event.organizer.id && state.event.check_in_code == null)) {
    return (
      <section>
        <h2>Acesso restrito</h2>
        <p>Só a organização deste evento pode ver esta página.</p>
        <Link href={`/eventos/${eventId}`}>Voltar ao evento</Link>
      </section>
    );
  }
  return <>{children(state.event, reload)}</>;
}
