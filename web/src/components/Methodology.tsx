import type { Schemas } from "@/api/client";

type Methodology = Schemas["ImpactMethodologyOut"];
type Factor = Schemas["ImpactFactorOut"];

/** pt-BR names of the factors and of the report figures they multiply; an unknown one shows as the API names it. */
const FACTORS: Record<string, { title: string; unit: string }> = {
  recycling_kg_co2e_per_kg: { title: "Reciclagem de resíduos", unit: "kg de CO₂e evitados por kg reciclado" },
  tree_kg_co2_per_tree: { title: "Árvore plantada", unit: "kg de CO₂ absorvidos por árvore nos 10 primeiros anos" },
};
const FIGURES: Record<string, string> = { recyclable_kg: "recicláveis (kg)", trees_planted: "árvores plantadas" };

const exact = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 6 });

function factorValue(factor: Factor): string {
  const n = Number.parseFloat(factor.value);
  return Number.isFinite(n) ? exact.format(n) : factor.value;
}

/** The factors in use, each with its source. Citations are shown as published (in English), marked as such. */
export function Methodology({ methodology }: { methodology: Methodology | null }) {
  if (!methodology) {
    return <p className="muted">Os fatores de conversão não puderam ser carregados agora. Tente de novo mais tarde.</p>;
  }
  const formula = methodology.factors
    .map((f) => `${FIGURES[f.applies_to] ?? f.applies_to} × ${factorValue(f)}`)
    .join(" + ");
  return (
    <>
      <p>
        Fatores em uso: versão <strong>{methodology.version}</strong>. CO₂e (kg) = {formula}.
      </p>
      {methodology.factors.map((factor) => {
        const names = FACTORS[factor.name] ?? { title: factor.name, unit: factor.unit };
        return (
          <article key={factor.name} className="factor" aria-labelledby={`fator-${factor.name}`}>
            <h3 id={`fator-${factor.name}`}>{names.title}</h3>
            <p>
              <strong>{factorValue(factor)}</strong> {names.unit}
            </p>
            <dl className="facts">
              {factor.cited_value ? (
                <>
                  <dt>Valor publicado</dt>
                  <dd lang="en">
                    {factor.cited_value} {factor.cited_unit}
                  </dd>
                </>
              ) : null}
              {factor.conversion ? (
                <>
                  <dt>Conversão</dt>
                  <dd lang="en">{factor.conversion}</dd>
                </>
              ) : null}
              <dt>Fonte</dt>
              <dd lang={factor.reference ? "en" : undefined}>{factor.reference || "não informada"}</dd>
            </dl>
          </article>
        );
      })}
      {methodology.method ? (
        <details>
          <summary>Nota do método (em inglês, como publicada)</summary>
          <p lang="en">{methodology.method}</p>
        </details>
      ) : null}
    </>
  );
}
