import Link from "next/link";
import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { AuthProvider } from "@/components/AuthProvider";
import { Header } from "@/components/Header";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Mutirões", template: "%s · Mutirões" },
  description: "Encontre mutirões ambientais perto de você: limpezas, plantios, monitoramento e educação ambiental.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: "#14532d" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="pt-BR">
      <body>
        <AuthProvider>
          <Header />
          <main id="conteudo" className="container" tabIndex={-1}>
            {children}
          </main>
          <footer className="site-footer">
            <div className="container">
              Mutirões · voluntariado ambiental comunitário · <Link href="/certificados">Verificar certificado</Link> ·{" "}
              {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- the API's own docs, not a page here */}
              <a href="/api/docs">API</a>
            </div>
          </footer>
        </AuthProvider>
      </body>
    </html>
  );
}
