import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { serverApi, type Schemas } from "@/api/client";
import { formatDate, formatDateTime, formatHours } from "@/lib/format";
import { ApiUnavailable } from "@/lib/server";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Verificação de certificado", robots: { index: false } };

type Props = { params: Promise<{ code: string }> };
type Facts = Schemas["CertificateVerificationOut"];

/** The public facts of a certificate, as the API states them: anyone holding the code may read them. */
export default async function VerificationPage({ params }: Props) {
  const code = decodeURIComponent((await params).code).slice(0, 100);
  // The visitor's address goes along, so lookups are counted per visitor and not per web server.
  const chain = (await headers()).get("x-forwarded-for");
  const result = await serverApi()
    .GET("/api/v1/certificates/{code}", {
      params: { path: { code } },
      headers: chain ? { "X-Forwarded-For": chain } : {},
    })
    .catch(() => null);
  if (result?.response.status === 404) return <Unknown mistyped={result.error?.details.mistyped === true} />;
  if (result?.response.status === 429) return <Busy />;
  if (!result?.data) throw new ApiUnavailable();
  return <Certificate facts={result.data} />;
}

function Certificate({ facts }: { facts: Facts }) {
  if (facts.status === "revoked") {
    return (
      <section className="card" aria-labelledby="situacao">
        <h1 id="situacao">Certificado revogado</h1>
        <p>
          O certificado <strong>{facts.code}</strong> foi <strong>revogado</strong>
          {facts.revoked_at ? ` em ${formatDate(facts.revoked_at)}` : ""} e não comprova horas de voluntariado.
        </p>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="situacao">
      <h1 id="situacao">Certificado válido</h1>
      <p>
        Este certificado foi emitido pela plataforma Mutirões e confere com o registro de presença do evento.
      </p>
      <dl className="facts">
        <dt>Voluntária(o)</dt>
        <dd>{facts.holder_name}</dd>
        <dt>Mutirão</dt>
        <dd>{facts.event_title}</dd>
        <dt>Quando</dt>
        <dd>
          {facts.event_start ? formatDateTime(facts.event_start) : ""} até{" "}
          {facts.event_end ? formatDateTime(facts.event_end) : ""}
        </dd>
        <dt>Local</dt>
        <dd>
          {facts.city}/{facts.state}
        </dd>
        <dt>Organização</dt>
        <dd>{facts.organizer_name}</dd>
        <dt>Carga horária</dt>
        <dd>{formatHours(facts.hours ?? 0)}</dd>
        <dt>Emitido em</dt>
        <dd>{facts.issued_at ? formatDate(facts.issued_at) : ""}</dd>
        <dt>Código</dt>
        <dd>
          <code>{facts.code}</code>
        </dd>
      </dl>
    </section>
  );
}

function Unknown({ mistyped }: { mistyped: boolean }) {
  return (
    <section className="card">
      <h1>Certificado não encontrado</h1>
      <p>
        {mistyped
          ? "O código parece ter sido digitado errado (o último caractere não confere). Confira cada caractere."
          : "Nenhum certificado tem este código."}
      </p>
      <Link className="button secondary" href="/certificados">
        Digitar outro código
      </Link>
    </section>
  );
}

function Busy() {
  return (
    <section className="card">
      <h1>Muitas consultas</h1>
      <p>Foram feitas muitas verificações a partir da sua conexão. Tente de novo em um minuto.</p>
    </section>
  );
}
