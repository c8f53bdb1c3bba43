import Link from "next/link";

export default function NotFound() {
  return (
    <section>
      <h1>Página não encontrada</h1>
      <p>O endereço não existe, ou o conteúdo não está visível para você.</p>
      <Link className="button" href="/eventos">
        Buscar eventos
      </Link>
    </section>
  );
}
