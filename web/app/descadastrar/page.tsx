import type { Metadata } from "next";
import { Suspense } from "react";
import { Unsubscribe } from "./Unsubscribe";

export const metadata: Metadata = { title: "Deixar de receber e-mails" };

export default function UnsubscribePage() {
  return (
    <>
      <h1>Deixar de receber e-mails</h1>
      <Suspense>
        <Unsubscribe />
      </Suspense>
    </>
  );
}
