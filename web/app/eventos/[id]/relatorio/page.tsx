import type { Metadata } from "next";
import { ReportForm } from "./ReportForm";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Relatório de impacto" };

export default async function ReportPage({ params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  return <ReportForm eventId={Number.isSafeInteger(id) && id > 0 ? id : 0} />;
}
