import type { Metadata } from "next";
import Link from "next/link";
import { serverApi, type Schemas } from "@/api/client";
import { ImpactChart } from "@/components/charts/ImpactChart";
import { Figures } from "@/components/Figures";
import { Methodology } from "@/components/Methodology";
import { load } from "@/lib/server";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Painel de impacto" };

const MONTHS = ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"];

/** The last `count` calendar months, the current one included (its report, if any, is provisional). */
function lastMonths(count: number): { year: number; month: number }[] {
  const now = new Date();
  const months: { year: number; month: number }[] = [];
  for (let i = 0; i < count; i += 1) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    months.push({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 });
  }
  return months.reverse();
}

/** The cities with the most waste collected in a month, at most `count` of them (a chart stays readable). */
function topCities(report: Schemas["MonthlyReportOut"], count: number) {
  return [...report.by_city]
    .sort((a, b) => Number(b.trash_kg) - Number(a.trash_kg))
    .slice(0, count)
    .map((c) => ({ label: `${c.city}/${c.state}`, value: Number(c.trash_kg) }));
}

const period = (r: { year: number; month: number }) => `${r.year}-${String(r.month).padStart(2, "0")}`;

export default async function ImpactPage({ searchParams }: { searchParams: Promise<Record<string, string | string[]>> }) {
  const { mes } = await searchParams;
  const api = serverApi();
  const months = lastMonths(12);
  const [summary, methodology, reports] = await Promise.all([
    load(api.GET("/api/v1/impact/summary")),
    // The methodology is part of the page, but a page without it is better than an error page.
    api.GET("/api/v1/impact/methodology").then(({ data }) => data ?? null, () => null),
    Promise.all(
      months.map(async ({ year, month }) => {
        const { data } = await api.GET("/api/v1/impact/monthly", { params: { query: { year, month } } });
        return data ?? null;
      }),
    ),
  ]);
  const generated = reports.filter((r): r is Schemas["MonthlyReportOut"] => r !== null);
  // The month shown by city: the one asked for (?mes=2026-11) if it has a report, otherwise the latest.
  const latest = generated.find((r) => period(r) === mes) ?? generated.at(-1);
  const label = (r: { year: number; month: number }) => `${MONTHS[r.month - 1]}/${String(r.year).slice(2)}`;
  const perMonth = (value: (r: Schemas["MonthlyReportOut"]) => number) =>
    generated.map((r) => ({ label: label(r), value: value(r) }));
  return (
    <>
      <h1>Painel de impacto</h1>
      <p>Números públicos de todos os mutirões registrados na plataforma, a partir dos relatórios das organizações.</p>
      <section aria-labelledby="totais">
        <h2 id="totais">Desde o início</h2>
        <Figures totals={summary} />
      </section>
      <section aria-labelledby="mensal">
        <h2 id="mensal">Mês a mês</h2>
        {generated.length === 0 ? (
          <p className="muted">Os relatórios mensais são gerados no dia 1º de cada mês, às 03:00.</p>
        ) : (
          <div className="grid two">
            <ImpactChart title="Resíduos recolhidos por mês" unit="kg" column="Mês" rows={perMonth((r) => Number(r.totals.trash_kg))} />
            <ImpactChart title="Voluntários por mês" unit="" column="Mês" rows={perMonth((r) => r.totals.volunteers)} />
            <ImpactChart title="CO₂e evitado por mês" unit="kg" column="Mês" rows={perMonth((r) => Number(r.totals.co2e_kg))} />
          </div>
        )}
        {latest ? (
          <>
            <h3 id="por-cidade">Por cidade</h3>
            {generated.length > 1 ? (
              <form method="get" action="/impacto#por-cidade" className="actions" aria-label="Mês por cidade">
                <label htmlFor="mes">Mês</label>
                <select id="mes" name="mes" defaultValue={period(latest)}>
                  {generated.map((r) => (
                    <option key={period(r)} value={period(r)}>
                      {label(r)}
                    </option>
                  ))}
                </select>
                <button className="button secondary" type="submit">
                  Ver cidades
                </button>
              </form>
            ) : null}
            {latest.by_city.length === 0 ? (
              <p className="muted">Nenhuma cidade com relatório público em {label(latest)}.</p>
            ) : (
              <ImpactChart title={`Resíduos por cidade em ${label(latest)}`} unit="kg" column="Cidade" rows={topCities(latest, 10)} horizontal />
            )}
            <p>
              <a href={`/api/v1/impact/monthly.csv?year=${latest.year}&month=${latest.month}`} download>
                Dados abertos de {label(latest)} (CSV)
              </a>
            </p>
          </>
        ) : null}
      </section>
      <section aria-labelledby="metodologia">
        <h2 id="metodologia">Metodologia</h2>
        <p>
          Cada organização registra, depois do evento, os resíduos recolhidos (e quanto deles é reciclável), as árvores
          plantadas e a área cuidada. A plataforma calcula as emissões evitadas com fatores publicados e versionados: a
          reciclagem de resíduos, em kg de CO₂e por kg reciclado, e o carbono absorvido por árvore plantada. A versão
          dos fatores usada fica registrada em cada relatório, então números antigos não mudam quando os fatores são
          revistos. Resíduos não recicláveis são recolhidos, mas seguem para o aterro e não contam como CO₂e evitado.
        </p>
        <Methodology methodology={methodology} />
        <p>
          Voluntários contam pessoas com check-in no evento. Eventos privados não aparecem por cidade nem por evento.
          Os relatórios mensais fecham o mês anterior no dia 1º.
        </p>
        <p>
          <Link href="/eventos">Encontre um mutirão</Link> e faça parte desses números.
        </p>
      </section>
    </>
  );
}
