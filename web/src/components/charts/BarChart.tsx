"use client";

import { BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { useSyncExternalStore } from "react";
import { Bar } from "react-chartjs-2";
import { barData, barOptions, type ChartRow } from "./config";

// Only what a bar chart needs (react-chartjs-2's Bar registers its controller): Chart.js tree-shakes the rest.
Chart.register(BarElement, CategoryScale, LinearScale, Tooltip);

const REDUCED_MOTION = "(prefers-reduced-motion: reduce)";

function subscribe(onChange: () => void): () => void {
  const query = window.matchMedia(REDUCED_MOTION);
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}

export type BarChartProps = { title: string; unit: string; rows: ChartRow[]; horizontal?: boolean };

/** The canvas is an image to assistive technology: its name says where the same figures are as text. */
export default function BarChart({ title, unit, rows, horizontal = false }: BarChartProps) {
  const reducedMotion = useSyncExternalStore(subscribe, () => window.matchMedia(REDUCED_MOTION).matches, () => true);
  return (
    <Bar
      data={barData(rows, title)}
      options={barOptions({ unit, horizontal, reducedMotion })}
      role="img"
      aria-label={`Gráfico de barras: ${title}. Os mesmos números estão na tabela logo abaixo.`}
    />
  );
}
