import type { NextConfig } from "next";

const config: NextConfig = {
  // One self-contained server (`node .next/standalone/server.js`) per replica; the API's address is read at
  // run time from API_URL, so one build serves every environment.
  output: "standalone",
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
