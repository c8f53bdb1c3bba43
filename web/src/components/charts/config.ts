import type { ChartData, ChartOptions } from "chart.js";
import { formatNumber } from "@/lib/format";

export type ChartRow = { label: string; value: number };

/** The theme's green (globals.css --green): the bars pass WCAG AA contrast against the white page. */
const BAR = "#14532d";
const GRID = "#d1d5db";
const INK = "#1f2937";

export function barData(rows: ChartRow[], label: string): ChartData<"bar"> {
  return {
    labels: rows.map((row) => row.label),
    datasets: [{ label, data: rows.map((row) => row.value), backgroundColor: BAR, borderRadius: 3, maxBarThickness: 40 }],
  };
}

/**
 * Bars along the value axis from zero, pt-BR numbers with the unit, no legend (the caption names the one series),
 * and no animation for people who asked their system for reduced motion.
 */
export function barOptions({ unit, horizontal, reducedMotion }: { unit: string; horizontal: boolean; reducedMotion: boolean }): ChartOptions<"bar"> {
  const withUnit = (value: number | string) => `${formatNumber(value)}${unit ? ` ${unit}` : ""}`;
  // Figures without a unit are counts (volunteers): whole numbers on the axis.
  const ticks = { color: INK, precision: unit ? undefined : 0, callback: (value: number | string) => withUnit(value) };
  const valueAxis = { beginAtZero: true, grid: { color: GRID }, ticks };
  const labelAxis = { grid: { display: false }, ticks: { color: INK, autoSkip: !horizontal } };
  return {
    indexAxis: horizontal ? "y" : "x",
    responsive: true,
    maintainAspectRatio: false,
    locale: "pt-BR",
    animation: reducedMotion ? false : { duration: 400 },
    plugins: {
      legend: { display: false },
      tooltip: { callbacks: { label: (item) => withUnit(horizontal ? item.parsed.x ?? 0 : item.parsed.y ?? 0) } },
    },
    scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
  };
}
