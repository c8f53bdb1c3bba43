/** Hands a file fetched through the authenticated client to the browser (a plain link would carry no token). */
export function saveFile(data: Blob, filename: string): void {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(data);
  link.download = filename;
  link.click();
  URL.revokeObjectURL(link.href);
}
