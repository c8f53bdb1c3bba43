"use client";

import { useEffect } from "react";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error.digest ?? error.message);
  }, [error]);
  return (
    <section role="alert">
      <h1>Não conseguimos carregar esta página</h1>
      <p>O serviço está indisponível no momento. Seus dados estão seguros; tente de novo em alguns instantes.</p>
      <button type="button" className="button" onClick={reset}>
        Tentar de novo
      </button>
    </section>
  );
}
