"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ProblemNotice } from "@/components/Notice";

/** Where the e-mailed link leads: the token is confirmed once the page runs (a mail scanner fetching the link
 * without running it confirms nothing); opening it again is harmless. */
export function VerifyEmail() {
  const { api, reloadMe } = useAuth();
  const token = useSearchParams().get("token") ?? "";
  const [state, setState] = useState<"working" | "done" | "failed">("working");
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  useEffect(() => {
    let live = true;
    void api.POST("/api/v1/auth/email/verify", { body: { token } }).then(async ({ error, response }) => {
      if (!live) return;
      if (error !== undefined) {
        setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
        setState("failed");
        return;
      }
      setState("done");
      await reloadMe();
    });
    return () => {
      live = false;
    };
  }, [api, token, reloadMe]);

  if (state === "working") return <p role="status">Confirmando seu e-mail…</p>;
  if (state === "failed") {
    return (
      <>
        <ProblemNotice problem={problem} />
        <p>
          O link não vale mais (expirou, ou o e-mail da conta mudou). Entre e peça um novo em{" "}
          <Link href="/minha-area">Minha área</Link>.
        </p>
      </>
    );
  }
  return (
    <p className="notice ok" role="status">
      E-mail confirmado. Agora você pode <Link href="/eventos/novo">organizar um mutirão</Link>.
    </p>
  );
}
