"use client";

import { useState } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "./AuthProvider";
import { ProblemNotice } from "./Notice";

/** The event's photos; participants upload (JPEG, PNG or WebP), authors and the organiser delete. */
export function PhotosSection({ eventId, initial, organizerId }: { eventId: number; initial: Schemas["PhotoOut"][]; organizerId: number }) {
  const { api, me } = useAuth();
  const [photos, setPhotos] = useState(initial);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  async function reload() {
    const { data } = await api.GET("/api/v1/events/{event_id}/photos", {
      params: { path: { event_id: eventId }, query: { page_size: 24 } },
    });
    if (data) setPhotos(data.items);
  }

  async function upload(form: HTMLFormElement) {
    setBusy(true);
    setProblem(null);
    const fields = new FormData(form);
    const photo = fields.get("photo");
    if (!(photo instanceof Blob) || photo.size === 0) {
      setProblem(problemFrom(422, { details: { fields: { photo: ["Escolha uma foto."] } } }));
      setBusy(false);
      return;
    }
    const { error, response } = await api.POST("/api/v1/events/{event_id}/photos", {
      params: { path: { event_id: eventId } },
      body: {
        photo: "",
        caption: String(fields.get("caption") ?? ""),
        is_before: fields.get("momento") === "antes",
        is_after: fields.get("momento") === "depois",
      },
      // The typed body describes the fields; the request itself is the browser's multipart encoding of them.
      bodySerializer: () => {
        const body = new FormData();
        body.set("photo", photo);
        body.set("caption", String(fields.get("caption") ?? ""));
        body.set("is_before", String(fields.get("momento") === "antes"));
        body.set("is_after", String(fields.get("momento") === "depois"));
        return body;
      },
    });
    if (error !== undefined) setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    else form.reset();
    await reload();
    setBusy(false);
  }

  return (
    <section aria-labelledby="fotos">
      <h2 id="fotos">Fotos</h2>
      <ProblemNotice problem={problem} />
      {photos.length === 0 ? <p className="muted">Nenhuma foto ainda.</p> : null}
      <ul className="grid three list">
        {photos.map((p) => (
          <li key={p.id}>
            <a href={p.url}>
              {/* eslint-disable-next-line @next/next/no-img-element -- user uploads served by the API, sized by it */}
              <img src={p.thumbnail_url} alt={p.caption || `Foto de ${p.uploaded_by.username}`} width={320} height={240} loading="lazy" style={{ width: "100%", height: "auto" }} />
            </a>
            <p className="muted">
              {p.is_before ? "Antes · " : p.is_after ? "Depois · " : ""}
              {p.caption}
            </p>
            {me && (me.id === p.uploaded_by.id || me.id === organizerId) ? (
              <button
                type="button"
                className="link-button"
                onClick={() =>
                  void api
                    .DELETE("/api/v1/events/{event_id}/photos/{photo_id}", {
                      params: { path: { event_id: eventId, photo_id: p.id } },
                    })
                    .then(reload)
                }
              >
                Excluir foto
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {me ? (
        <form
          className="stack card"
          onSubmit={(e) => {
            e.preventDefault();
            void upload(e.currentTarget);
          }}
        >
          <h3>Enviar foto (participantes)</h3>
          <div>
            <label htmlFor="foto">Arquivo (JPEG, PNG ou WebP)</label>
            <input id="foto" name="photo" type="file" accept="image/jpeg,image/png,image/webp" required />
          </div>
          <div>
            <label htmlFor="legenda">Legenda</label>
            <input id="legenda" name="caption" maxLength={500} />
          </div>
          <fieldset>
            <legend>Momento</legend>
            <label className="checkbox">
              <input type="radio" name="momento" value="antes" /> Antes
            </label>
            <label className="checkbox">
              <input type="radio" name="momento" value="depois" /> Depois
            </label>
            <label className="checkbox">
              <input type="radio" name="momento" value="" defaultChecked /> Durante
            </label>
          </fieldset>
          <button type="submit" className="button secondary" disabled={busy}>
            Enviar foto
          </button>
        </form>
      ) : null}
    </section>
  );
}
