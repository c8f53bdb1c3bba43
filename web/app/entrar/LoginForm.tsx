"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import type { ApiProblem } from "@/api/errors";
import { useAuth } from "@/components/AuthProvider";
import { ProblemNotice } from "@/components/Notice";
import { safeNext } from "@/lib/nextPath";

export function LoginForm() {
  const { signIn } = useAuth();
  const router = useRouter();
  const next = safeNext(useSearchParams().get("next"));
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  return (
    <form
      className="stack card"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        const fields = new FormData(e.currentTarget);
        const result = await signIn(String(fields.get("username")), String(fields.get("password")));
        setBusy(false);
        setProblem(result);
        if (!result) router.push(next);
      }}
    >
      <ProblemNotice problem={problem} />
      <div>
        <label htmlFor="username">Usuário ou e-mail</label>
        <input id="username" name="username" autoComplete="username" required maxLength={254} />
      </div>
      <div>
        <label htmlFor="password">Senha</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
      </div>
      <button type="submit" className="button" disabled={busy}>
        Entrar
      </button>
      <p>
        <Link href="/esqueci-senha">Esqueci minha senha</Link>
      </p>
      <p>
        Ainda não tem conta? <Link href={`/cadastro?next=${encodeURIComponent(next)}`}>Cadastre-se</Link>
      </p>
    </form>
  );
}
