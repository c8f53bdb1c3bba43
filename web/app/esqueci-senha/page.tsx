import type { Metadata } from "next";
import { ForgotPassword } from "./ForgotPassword";

export const metadata: Metadata = { title: "Esqueci minha senha" };

export default function ForgotPasswordPage() {
  return (
    <>
      <h1>Esqueci minha senha</h1>
      <ForgotPassword />
    </>
  );
}
