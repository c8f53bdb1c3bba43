"use client";

import { useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { saveFile } from "@/lib/download";
import { ProblemNotice } from "./Notice";

type Answer = { data?: Blob; error?: unknown; response: Response };

/** A button that fetches a PDF with the visitor's token and saves it; the API's refusal is shown in place. */
export function PdfDownload({ load, filename, label }: { load: () => Promise<Answer>; filename: string; label: string }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  async function download() {
    setBusy(true);
    setProblem(null);
    const { data, error, response } = await load();
    if (data) saveFile(data, filename);
    else setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
    setBusy(false);
  }

  return (
    <>
      <button type="button" className="button" disabled={busy} onClick={() => void download()}>
        {busy ? "Gerando…" : label}
      </button>
      <ProblemNotice problem={problem} />
    </>
  );
}
