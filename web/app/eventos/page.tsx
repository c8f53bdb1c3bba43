import type { Metadata } from "next";
import Link from "next/link";
import { serverApi, type Schemas } from "@/api/client";
import { EventCard } from "@/components/EventCard";
import { EventsMap } from "@/components/EventsMap";
import { NearMeButton } from "@/components/NearMeButton";
import { CITIES, UFS, isUf } from "@/lib/format";
import { load } from "@/lib/server";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Buscar eventos" };

const PAGE_SIZE = 20;
type Query = Record<string, string | undefined>;

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === "" ? undefined : v;
}

function apiQuery(q: Query) {
  const city = CITIES.find((c) => c.name === q.cidade_perto);
  const near = q.perto ?? (city ? `${city.lat},${city.lng}` : undefined);
  return {
    q: q.q,
    category: q.categoria ? Number(q.categoria) : undefined,
    city: q.cidade,
    state: isUf(q.uf) ? q.uf : undefined,
    starts_after: q.de ? `${q.de}T00:00:00-03:00` : undefined,
    starts_before: q.ate ? `${q.ate}T23:59:59-03:00` : undefined,
    near,
    radius_km: near ? Number(q.raio ?? 50) : undefined,
    ordering: near ? ("distance" as const) : ("start_date" as const),
    page: Math.max(1, Number(q.pagina ?? 1) || 1),
    page_size: PAGE_SIZE,
  };
}

function pageHref(q: Query, page: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && k !== "pagina") params.set(k, v);
  params.set("pagina", String(page));
  return `/eventos?${params.toString()}`;
}

export default async function SearchPage({ searchParams }: { searchParams: Promise<Record<string, string | string[]>> }) {
  const raw = await searchParams;
  const q: Query = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, first(v)]));
  const api = serverApi();
  const query = apiQuery(q);
  const [categories, result] = await Promise.all([
    load(api.GET("/api/v1/categories")),
    api.GET("/api/v1/events", { params: { query } }),
  ]);
  const page: Schemas["EventPage"] | undefined = result.data;
  // Beyond the API's counting cap the total is a floor: the pager then follows has_more.
  const pages = page?.count_is_exact ? Math.max(1, Math.ceil(page.count / PAGE_SIZE)) : null;
  return (
    <>
      <h1>Buscar eventos</h1>
      <form method="get" action="/eventos" className="card stack" role="search" aria-label="Filtros de busca">
        <div>
          <label htmlFor="q">Texto</label>
          <input id="q" name="q" type="search" defaultValue={q.q} placeholder="praia, plantio, rio…" maxLength={200} />
        </div>
        <div className="grid two">
          <div>
            <label htmlFor="categoria">Categoria</label>
            <select id="categoria" name="categoria" defaultValue={q.categoria ?? ""}>
              <option value="">Todas</option>
              {categories.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
          <div className="grid two">
            <div>
              <label htmlFor="cidade">Cidade</label>
              <input id="cidade" name="cidade" defaultValue={q.cidade} maxLength={100} />
            </div>
            <div>
              <label htmlFor="uf">UF</label>
              <select id="uf" name="uf" defaultValue={q.uf ?? ""}>
                <option value="">Todas</option>
                {UFS.map((uf) => (
                  <option key={uf}>{uf}</option>
                ))}
              </select>
            </div>
          </div>
          <div>
            <label htmlFor="de">A partir de</label>
            <input id="de" name="de" type="date" defaultValue={q.de} />
          </div>
          <div>
            <label htmlFor="ate">Até</label>
            <input id="ate" name="ate" type="date" defaultValue={q.ate} />
          </div>
          <div>
            <label htmlFor="cidade_perto">Perto de</label>
            <select id="cidade_perto" name="cidade_perto" defaultValue={q.cidade_perto ?? ""}>
              <option value="">Qualquer lugar</option>
              {CITIES.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name} ({c.state})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="raio">Raio (km)</label>
            <input id="raio" name="raio" type="number" min={1} max={500} defaultValue={q.raio ?? "50"} />
          </div>
        </div>
        {q.perto ? <input type="hidden" name="perto" value={q.perto} /> : null}
        <div className="actions">
          <NearMeButton />
          <button className="button" type="submit">
            Buscar
          </button>
          <Link href="/eventos">Limpar filtros</Link>
        </div>
      </form>
      {!page ? (
        <p className="notice error" role="alert">
          Não foi possível buscar com esses filtros. Confira as datas e o raio.
        </p>
      ) : (
        <section aria-labelledby="resultados">
          <h2 id="resultados">
            {!page.count_is_exact
              ? `Mais de ${page.count} eventos encontrados`
              : page.count === 1
                ? "1 evento encontrado"
                : `${page.count} eventos encontrados`}
          </h2>
          <EventsMap
            tileUrl={process.env.TILE_URL ?? "https://tile.openstreetmap.org/{z}/{x}/{y}.png"}
            events={page.items.map((e) => ({ id: e.id, title: e.title, lat: e.latitude, lng: e.longitude }))}
          />
          <ul className="list">
            {page.items.map((event) => (
              <li key={event.id}>
                <EventCard event={event} />
              </li>
            ))}
          </ul>
          <nav className="pagination" aria-label="Paginação">
            {query.page > 1 ? <Link href={pageHref(q, query.page - 1)}>← Anterior</Link> : <span />}
            <span>
              Página {query.page}
              {pages ? ` de ${pages}` : ""}
            </span>
            {page.has_more ? <Link href={pageHref(q, query.page + 1)}>Próxima →</Link> : <span />}
          </nav>
        </section>
      )}
    </>
  );
}
