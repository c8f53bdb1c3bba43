import type { Metadata } from "next";
import { Suspense } from "react";
import { ResetPassword } from "./ResetPassword";

export const metadata: Metadata = { title: "Redefinir senha" };

export default function ResetPasswordPage() {
  return (
    <>
      <h1>Redefinir senha</h1>
      <Suspense>
        <ResetPassword />
      </Suspense>
    </>
  );
}
