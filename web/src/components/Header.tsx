"use client";

import Link from "next/link";
import { useAuth } from "./AuthProvider";

export function Header() {
  const { me, signOut } = useAuth();
  return (
    <header className="site-header">
      <a className="skip-link" href="#conteudo">
        Pular para o conteúdo
      </a>
      <div className="container header-row">
        <Link href="/" className="brand">
          Mutirões
        </Link>
        <nav aria-label="Principal">
          <ul className="nav-list">
            <li>
              <Link href="/eventos">Eventos</Link>
            </li>
            <li>
              <Link href="/impacto">Impacto</Link>
            </li>
            {me ? (
              <>
                <li>
                  <Link href="/eventos/novo">Criar evento</Link>
                </li>
                <li>
                  <Link href="/minha-area">Minha área</Link>
                </li>
                <li>
                  <button type="button" className="link-button" onClick={() => void signOut()}>
                    Sair
                  </button>
                </li>
              </>
            ) : (
              // Also while the session is being checked: the header keeps its size (no layout shift).
              <>
                <li>
                  <Link href="/entrar">Entrar</Link>
                </li>
                <li>
                  <Link href="/cadastro">Cadastrar</Link>
                </li>
              </>
            )}
          </ul>
        </nav>
      </div>
    </header>
  );
}
