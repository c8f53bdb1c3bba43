"use client";

import dynamic from "next/dynamic";
import type { BarChartProps } from "./BarChart";

// Chart.js is fetched by the impact page alone, after it has rendered: no other page's first load carries it,
// and the server-rendered table below each chart holds the figures meanwhile (and without JavaScript).
const BarChart = dynamic(() => import("./BarChart"), { ssr: false });

/** Keeps its height while the library loads, so nothing below it moves (no layout shift). */
export function LazyBarChart({ rows, ...props }: BarChartProps) {
  const height = props.horizontal ? Math.max(8, 2 * rows.length + 3) : 16;
  return (
    <div className="chart" style={{ height: `${height}rem` }}>
      <BarChart rows={rows} {...props} />
    </div>
  );
}
