import type { Metadata } from "next";
import { Suspense } from "react";
import { RegisterForm } from "./RegisterForm";

export const metadata: Metadata = { title: "Cadastro" };

export default function RegisterPage() {
  return (
    <>
      <h1>Criar conta</h1>
      <Suspense>
        <RegisterForm />
      </Suspense>
    </>
  );
}
