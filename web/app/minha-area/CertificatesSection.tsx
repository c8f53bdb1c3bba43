"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import type { Schemas } from "@/api/client";
import { useAuth } from "@/components/AuthProvider";
import { CertificateDownload, YearlyCertificateDownload } from "@/components/CertificateDownload";
import { formatDate, formatHours, yearInSaoPaulo } from "@/lib/format";

type Row = Schemas["MyCertificateOut"];

function state(row: Row): string {
  if (row.certificate?.revocation === "organizer") return "Certificado revogado pelo organizador";
  if (!row.downloadable) return "Disponível quando o evento terminar";
  return row.certificate?.status === "valid" ? `Código ${row.certificate.code}` : "Pronto para emitir";
}

/** The visitor's certified hours: one certificate per event, and a yearly statement per year. */
export function CertificatesSection() {
  const { api } = useAuth();
  const [rows, setRows] = useState<Row[] | null>(null);

  useEffect(() => {
    let live = true;
    void api
      .GET("/api/v1/users/me/certificates", { params: { query: { page_size: 100 } } })
      .then(({ data }) => live && setRows(data?.items ?? []));
    return () => {
      live = false;
    };
  }, [api]);

  const years = [...new Set((rows ?? []).filter((r) => r.downloadable).map((r) => yearInSaoPaulo(r.event_start)))];
  return (
    <section aria-labelledby="certificados">
      <h2 id="certificados">Certificados de horas</h2>
      {rows === null ? (
        <p role="status">Carregando…</p>
      ) : rows.length === 0 ? (
        <p className="muted">Faça check-in em um mutirão para receber o certificado das suas horas.</p>
      ) : (
        <>
          <div className="actions">
            {years.map((year) => (
              <YearlyCertificateDownload key={year} year={year} />
            ))}
          </div>
          <ul className="list">
            {rows.map((row) => (
              <li key={row.event_id} className="card">
                <h3>
                  <Link href={`/eventos/${row.event_id}`}>{row.event_title}</Link>
                </h3>
                <p className="muted">
                  {formatDate(row.event_start)} · {row.city}/{row.state} · {formatHours(row.hours)}
                  <br />
                  {state(row)}
                </p>
                {row.downloadable ? <CertificateDownload eventId={row.event_id} /> : null}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
