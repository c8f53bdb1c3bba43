import type { Schemas } from "@/api/client";
import { formatNumber } from "@/lib/format";

type Totals = Schemas["ImpactTotals"];

const ROWS: { key: keyof Totals; label: string; unit?: string }[] = [
  { key: "events", label: "mutirões" },
  { key: "volunteers", label: "voluntários" },
  { key: "hours", label: "horas de voluntariado" },
  { key: "trash_kg", label: "de resíduos recolhidos", unit: "kg" },
  { key: "recyclable_kg", label: "recicláveis", unit: "kg" },
  { key: "trees_planted", label: "árvores plantadas" },
  { key: "area_m2", label: "de área cuidada", unit: "m²" },
  { key: "co2e_kg", label: "de CO₂e evitados", unit: "kg" },
];

export function Figures({ totals }: { totals: Totals }) {
  return (
    <ul className="figures">
      {ROWS.map(({ key, label, unit }) => (
        <li key={key}>
          <strong>
            {formatNumber(totals[key])}
            {unit ? ` ${unit}` : ""}
          </strong>
          {label}
        </li>
      ))}
    </ul>
  );
}
