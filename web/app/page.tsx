import Link from "next/link";
import { serverApi } from "@/api/client";
import { Figures } from "@/components/Figures";
import { NearbyEvents } from "@/components/NearbyEvents";
import { load } from "@/lib/server";

export const dynamic = "force-dynamic";

export default async function Home() {
  const summary = await load(serverApi().GET("/api/v1/impact/summary"));
  return (
    <>
      <h1>Mutirões ambientais perto de você</h1>
      <p>
        Limpezas de praias e rios, plantios, monitoramento e educação ambiental organizados pela sua comunidade.
        Encontre um mutirão, inscreva-se e faça check-in no dia.
      </p>
      <div className="actions">
        <Link className="button" href="/eventos">
          Buscar eventos
        </Link>
        <Link className="button secondary" href="/eventos/novo">
          Organizar um mutirão
        </Link>
      </div>
      <section aria-labelledby="impacto-titulo">
        <h2 id="impacto-titulo">O impacto até agora</h2>
        <Figures totals={summary} />
        <p>
          <Link href="/impacto">Ver o painel de impacto e a metodologia</Link>
        </p>
      </section>
      <NearbyEvents />
    </>
  );
}
