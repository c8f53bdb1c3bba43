import { formatNumber } from "@/lib/format";
import { LazyBarChart } from "./LazyBarChart";
import type { ChartRow } from "./config";

type Props = { title: string; unit: string; rows: ChartRow[]; column: string; horizontal?: boolean };

/** A bar chart and, as its text alternative, the same figures in a table (rendered on the server). */
export function ImpactChart({ title, unit, rows, column, horizontal = false }: Props) {
  const id = `grafico-${title.normalize("NFD").replace(/[^A-Za-z0-9]+/g, "-").toLowerCase()}`;
  return (
    <figure className="chart-figure" aria-labelledby={id}>
      <figcaption id={id}>
        <strong>{title}</strong>
      </figcaption>
      <LazyBarChart title={title} unit={unit} rows={rows} horizontal={horizontal} />
      <details>
        <summary>Ver os números em tabela</summary>
        <div className="table-wrap">
          <table>
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{column}</th>
                <th scope="col">{unit ? `Total (${unit})` : "Total"}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.label}>
                  <th scope="row">{row.label}</th>
                  <td>{unit ? `${formatNumber(row.value)} ${unit}` : formatNumber(row.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
