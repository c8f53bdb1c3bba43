import type { Metadata } from "next";
import { redirect } from "next/navigation";

export const metadata: Metadata = { title: "Verificar certificado" };

type Props = { searchParams: Promise<{ codigo?: string | string[] }> };

/** Type the code printed on a certificate; the form lands on its public page. */
export default async function VerifyFormPage({ searchParams }: Props) {
  const typed = (await searchParams).codigo;
  const code = (Array.isArray(typed) ? typed[0] : typed)?.trim();
  if (code) redirect(`/certificados/${encodeURIComponent(code.slice(0, 100))}`);
  return (
    <>
      <h1>Verificar certificado</h1>
      <p>Digite o código de verificação impresso no certificado (com ou sem os traços).</p>
      <form className="stack" action="/certificados" method="get">
        <label htmlFor="codigo">Código de verificação</label>
        <input id="codigo" name="codigo" required maxLength={100} autoComplete="off" spellCheck={false} />
        <button type="submit" className="button">
          Verificar
        </button>
      </form>
    </>
  );
}
