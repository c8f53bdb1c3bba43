"use client";

import "leaflet/dist/leaflet.css";
import { useEffect, useRef, useState } from "react";

export interface Point {
  lat: number;
  lng: number;
}

const BRAZIL: Point = { lat: -14.235, lng: -51.925 };

/**
 * Where the event happens: a click on the map, "use my location", or the two number fields (the keyboard way).
 * The map is a convenience: without tiles it still takes clicks, and the fields always work.
 */
export function MapPicker({
  value,
  onChange,
  tileUrl,
  error,
}: {
  value: Point | null;
  onChange: (point: Point) => void;
  tileUrl: string;
  error?: string;
}) {
  const element = useRef<HTMLDivElement>(null);
  const marker = useRef<import("leaflet").CircleMarker | null>(null);
  const map = useRef<import("leaflet").Map | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  // The fields keep what is typed ("-23." included); a pick from the map or the GPS rewrites them.
  const [text, setText] = useState({ lat: value ? String(value.lat) : "", lng: value ? String(value.lng) : "" });
  const pick = (point: Point) => {
    setText({ lat: String(point.lat), lng: String(point.lng) });
    onChange(point);
  };
  const change = useRef(pick);
  useEffect(() => {
    change.current = pick;
  });

  useEffect(() => {
    let cancelled = false;
    void import("leaflet").then((L) => {
      if (cancelled || !element.current || map.current) return;
      const m = L.map(element.current).setView([BRAZIL.lat, BRAZIL.lng], 4);
      L.tileLayer(tileUrl, { attribution: "© OpenStreetMap", maxZoom: 18 }).addTo(m);
      m.on("click", (e: import("leaflet").LeafletMouseEvent) =>
        change.current({ lat: Number(e.latlng.lat.toFixed(6)), lng: Number(e.latlng.lng.toFixed(6)) }),
      );
      map.current = m;
    });
    return () => {
      cancelled = true;
      map.current?.remove();
      map.current = null;
      marker.current = null;
    };
  }, [tileUrl]);

  useEffect(() => {
    const m = map.current;
    if (!m || !value) return;
    void import("leaflet").then((L) => {
      if (marker.current) marker.current.setLatLng([value.lat, value.lng]);
      else marker.current = L.circleMarker([value.lat, value.lng], { radius: 9, color: "#14532d" }).addTo(m);
      m.setView([value.lat, value.lng], Math.max(m.getZoom(), 14));
    });
  }, [value]);

  function locate() {
    setMessage(null);
    if (!("geolocation" in navigator)) {
      setMessage("Seu navegador não informa a localização: clique no mapa ou digite as coordenadas.");
      return;
    }
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => pick({ lat: Number(coords.latitude.toFixed(6)), lng: Number(coords.longitude.toFixed(6)) }),
      () => setMessage("Não foi possível obter sua localização: clique no mapa ou digite as coordenadas."),
      { timeout: 10000 },
    );
  }

  function typed(field: "lat" | "lng", raw: string) {
    const next = { ...text, [field]: raw };
    setText(next);
    const lat = Number.parseFloat(next.lat.replace(",", "."));
    const lng = Number.parseFloat(next.lng.replace(",", "."));
    if (Number.isFinite(lat) && Number.isFinite(lng)) onChange({ lat, lng });
  }

  return (
    <fieldset>
      <legend>Local no mapa</legend>
      <div ref={element} className="map" role="application" aria-label="Mapa: clique para marcar o local do evento" />
      <div className="actions">
        <button type="button" className="button secondary" onClick={locate}>
          Usar minha localização
        </button>
        {message ? <span role="status">{message}</span> : null}
      </div>
      <div className="grid two">
        <div>
          <label htmlFor="latitude">Latitude</label>
          <input
            id="latitude"
            inputMode="decimal"
            value={text.lat}
            onChange={(e) => typed("lat", e.target.value)}
            aria-describedby="local-erro"
          />
        </div>
        <div>
          <label htmlFor="longitude">Longitude</label>
          <input
            id="longitude"
            inputMode="decimal"
            value={text.lng}
            onChange={(e) => typed("lng", e.target.value)}
            aria-describedby="local-erro"
          />
        </div>
      </div>
      {error ? (
        <p className="field-error" id="local-erro">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
