"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

/** "Perto de mim": asks for the browser's location (with the visitor's consent) and searches around it. */
export function NearMeButton() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [message, setMessage] = useState<string | null>(null);

  function locate() {
    if (!("geolocation" in navigator)) {
      setMessage("Seu navegador não informa a localização.");
      return;
    }
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => {
        const next = new URLSearchParams(params.toString());
        next.set("perto", `${coords.latitude.toFixed(5)},${coords.longitude.toFixed(5)}`);
        next.delete("cidade_perto");
        next.delete("pagina");
        router.push(`${pathname}?${next.toString()}`);
      },
      () => setMessage("Não foi possível obter sua localização."),
      { timeout: 10000 },
    );
  }

  return (
    <>
      <button type="button" className="button secondary" onClick={locate}>
        Perto de mim
      </button>
      {message ? (
        <span role="status" className="muted">
          {message}
        </span>
      ) : null}
    </>
  );
}
