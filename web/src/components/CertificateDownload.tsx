"use client";

import { useAuth } from "./AuthProvider";
import { PdfDownload } from "./PdfDownload";

/** The signed-in participant's certificate for one event (the API issues it on the first download). */
export function CertificateDownload({ eventId }: { eventId: number }) {
  const { api } = useAuth();
  return (
    <PdfDownload
      label="Baixar certificado (PDF)"
      filename={`certificado-mutirao-${eventId}.pdf`}
      load={() =>
        api.GET("/api/v1/events/{event_id}/certificate.pdf", { params: { path: { event_id: eventId } }, parseAs: "blob" })
      }
    />
  );
}

/** Every certified event of a calendar year on one statement. */
export function YearlyCertificateDownload({ year }: { year: number }) {
  const { api } = useAuth();
  return (
    <PdfDownload
      label={`Declaração anual de ${year} (PDF)`}
      filename={`declaracao-horas-voluntariado-${year}.pdf`}
      load={() => api.GET("/api/v1/users/me/certificates/{year}.pdf", { params: { path: { year } }, parseAs: "blob" })}
    />
  );
}
