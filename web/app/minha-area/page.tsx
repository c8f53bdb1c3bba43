import type { Metadata } from "next";
import { SignedIn } from "@/components/SignedIn";
import { MyArea } from "./MyArea";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Minha área" };

export default function MyAreaPage() {
  return (
    <>
      <h1>Minha área</h1>
      <SignedIn>
        <MyArea />
      </SignedIn>
    </>
  );
}
