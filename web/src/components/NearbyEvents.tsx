"use client";

import { useEffect, useState } from "react";
import type { Schemas } from "@/api/client";
import { CITIES } from "@/lib/format";
import { useAuth } from "./AuthProvider";
import { EventCard } from "./EventCard";

type Place = { lat: number; lng: number; label: string };

export function NearbyEvents() {
  const { api } = useAuth();
  const [place, setPlace] = useState<Place | null>(null);
  const [events, setEvents] = useState<Schemas["EventOut"][] | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    if (!place) return;
    let live = true;
    void api
      .GET("/api/v1/events", {
        params: { query: { near: `${place.lat},${place.lng}`, radius_km: 100, ordering: "distance", page_size: 6 } },
      })
      .then(({ data }) => {
        if (live) setEvents(data?.items ?? []);
      });
    return () => {
      live = false;
    };
  }, [api, place]);

  function locateMe() {
    if (!("geolocation" in navigator)) {
      setMessage("Seu navegador não informa a localização. Escolha uma cidade.");
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) =>
        setPlace({ lat: position.coords.latitude, lng: position.coords.longitude, label: "sua localização" }),
      () => setMessage("Não foi possível obter sua localização. Escolha uma cidade."),
      { timeout: 10000 },
    );
  }

  return (
    <section aria-labelledby="perto-titulo">
      <h2 id="perto-titulo">Próximos eventos perto de você</h2>
      <div className="actions">
        <button type="button" className="button secondary" onClick={locateMe}>
          Usar minha localização
        </button>
        <label htmlFor="cidade-perto" className="muted">
          ou escolha uma cidade
        </label>
        <select
          id="cidade-perto"
          defaultValue=""
          onChange={(e) => {
            const city = CITIES.find((c) => c.name === e.target.value);
            if (city) setPlace({ lat: city.lat, lng: city.lng, label: city.name });
          }}
          style={{ maxWidth: "16rem" }}
        >
          <option value="" disabled>
            Cidade…
          </option>
          {CITIES.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name} ({c.state})
            </option>
          ))}
        </select>
      </div>
      {message ? <p className="notice warn">{message}</p> : null}
      {place && events ? (
        events.length > 0 ? (
          <ul className="list" aria-label={`Eventos perto de ${place.label}`}>
            {events.map((event) => (
              <li key={event.id}>
                <EventCard event={event} />
              </li>
            ))}
          </ul>
        ) : (
          <p>Nenhum evento a até 100 km de {place.label}. Que tal organizar um?</p>
        )
      ) : null}
    </section>
  );
}
