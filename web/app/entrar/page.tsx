import type { Metadata } from "next";
import { Suspense } from "react";
import { LoginForm } from "./LoginForm";

export const metadata: Metadata = { title: "Entrar" };

export default function LoginPage() {
  return (
    <>
      <h1>Entrar</h1>
      <Suspense>
        <LoginForm />
      </Suspense>
    </>
  );
}
