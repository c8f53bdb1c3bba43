import { formatNumber } from "@/lib/format";

/** A horizontal bar chart in plain HTML: readable by screen readers as a list, no script, no library. */
export function Bars({ title, rows, unit }: { title: string; rows: { label: string; value: number }[]; unit: string }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <figure>
      <figcaption>
        <strong>{title}</strong>
      </figcaption>
      <ul className="bars list">
        {rows.map((row) => (
          <li key={row.label} className="bar-row">
            <span>{row.label}</span>
            <span className="bar" style={{ width: `${Math.max(2, (row.value / max) * 100)}%` }} aria-hidden="true" />
            <span>
              {formatNumber(row.value)} {unit}
            </span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
