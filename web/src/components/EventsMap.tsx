"use client";

import "leaflet/dist/leaflet.css";
import { useEffect, useRef } from "react";

export interface Pin {
  id: number;
  title: string;
  lat: number;
  lng: number;
}

/**
 * The search results on a map. Tiles come from a configurable URL; with no tile server reachable the pins
 * still show on a blank map and the list beside it carries everything.
 */
export function EventsMap({ events, tileUrl }: { events: Pin[]; tileUrl: string }) {
  const element = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!element.current || events.length === 0) return;
    let map: import("leaflet").Map | null = null;
    let cancelled = false;
    void import("leaflet").then((L) => {
      if (cancelled || !element.current) return;
      map = L.map(element.current, { scrollWheelZoom: false });
      L.tileLayer(tileUrl, { attribution: "© OpenStreetMap", maxZoom: 18 }).addTo(map);
      const bounds = L.latLngBounds([]);
      for (const pin of events) {
        // Circle markers need no image files (Leaflet's default icons break under bundlers).
        L.circleMarker([pin.lat, pin.lng], { radius: 8, color: "#14532d", fillOpacity: 0.8 })
          .bindPopup(`<a href="/eventos/${pin.id}">${escapeHtml(pin.title)}</a>`)
          .addTo(map);
        bounds.extend([pin.lat, pin.lng]);
      }
      map.fitBounds(bounds.pad(0.2), { maxZoom: 13 });
    });
    return () => {
      cancelled = true;
      map?.remove();
    };
  }, [events, tileUrl]);

  if (events.length === 0) return null;
  return <div ref={element} className="map" role="region" aria-label="Mapa dos eventos encontrados" />;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
