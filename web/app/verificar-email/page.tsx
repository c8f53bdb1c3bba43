import type { Metadata } from "next";
import { Suspense } from "react";
import { VerifyEmail } from "./VerifyEmail";

export const metadata: Metadata = { title: "Confirmar e-mail" };

export default function VerifyEmailPage() {
  return (
    <>
      <h1>Confirmar e-mail</h1>
      <Suspense>
        <VerifyEmail />
      </Suspense>
    </>
  );
}
