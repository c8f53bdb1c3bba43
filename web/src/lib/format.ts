import type { Schemas } from "@/api/client";

const ZONE = "America/Sao_Paulo";

const dateTime = new Intl.DateTimeFormat("pt-BR", {
  timeZone: ZONE,
  weekday: "short",
  day: "2-digit",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});
const dateOnly = new Intl.DateTimeFormat("pt-BR", { timeZone: ZONE, day: "2-digit", month: "long", year: "numeric" });
const number = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 1 });

export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

export function formatDate(iso: string): string {
  return dateOnly.format(new Date(iso));
}

export function formatNumber(value: number | string): string {
  const n = typeof value === "string" ? Number.parseFloat(value) : value;
  return Number.isFinite(n) ? number.format(n) : "0";
}

/** `<input type="datetime-local">` value (São Paulo wall time) for an ISO instant, and back. */
export function toLocalInput(iso: string): string {
  const parts = new Intl.DateTimeFormat("sv-SE", {
    timeZone: ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(iso));
  return parts.replace(" ", "T");
}

export function fromLocalInput(value: string): string {
  // Brazil has no daylight saving time since 2019: São Paulo is UTC-03:00 all year.
  return `${value}:00-03:00`;
}

export const PARTICIPATION_LABELS: Record<string, string> = {
  confirmed: "Inscrição confirmada",
  pending: "Aguardando aprovação",
  waitlisted: "Na lista de espera",
  cancelled: "Inscrição cancelada",
  rejected: "Inscrição recusada",
};

export const EVENT_STATUS_LABELS: Record<string, string> = {
  draft: "Rascunho",
  published: "Publicado",
  completed: "Concluído",
  cancelled: "Cancelado",
};

export type Uf = Schemas["BrazilianState"];

/** The states, in the API's order; typed by the API's enum, so a state the API does not know fails the type-check. */
export const UFS: readonly Uf[] = [
  "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA",
  "PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
];

export function isUf(value: string | undefined): value is Uf {
  return UFS.some((uf) => uf === value);
}

/** Capitals and large cities with coordinates: the picker when the visitor declines geolocation. */
export const CITIES: { name: string; state: string; lat: number; lng: number }[] = [
  { name: "São Paulo", state: "SP", lat: -23.5505, lng: -46.6333 },
  { name: "Rio de Janeiro", state: "RJ", lat: -22.9068, lng: -43.1729 },
  { name: "Belo Horizonte", state: "MG", lat: -19.9167, lng: -43.9345 },
  { name: "Brasília", state: "DF", lat: -15.7939, lng: -47.8828 },
  { name: "Salvador", state: "BA", lat: -12.9777, lng: -38.5016 },
  { name: "Recife", state: "PE", lat: -8.0476, lng: -34.877 },
  { name: "Fortaleza", state: "CE", lat: -3.7319, lng: -38.5267 },
  { name: "Curitiba", state: "PR", lat: -25.4284, lng: -49.2733 },
  { name: "Porto Alegre", state: "RS", lat: -30.0346, lng: -51.2177 },
  { name: "Manaus", state: "AM", lat: -3.119, lng: -60.0217 },
  { name: "Belém", state: "PA", lat: -1.4558, lng: -48.4902 },
  { name: "Florianópolis", state: "SC", lat: -27.5954, lng: -48.548 },
];

const hoursNumber = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 2 });
const yearOnly = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric" });

/** "3 horas", "1 hora", "2,5 horas": as a certificate writes them. */
export function formatHours(value: number | string): string {
  const n = typeof value === "string" ? Number.parseFloat(value) : value;
  const hours = Number.isFinite(n) ? n : 0;
  return `${hoursNumber.format(hours)} ${hours === 1 ? "hora" : "horas"}`;
}

/** The calendar year of an instant in São Paulo: what a yearly certificate counts by. */
export function yearInSaoPaulo(iso: string): number {
  return Number.parseInt(yearOnly.format(new Date(iso)), 10);
}
