import { defineConfig } from "@playwright/test";
import path from "node:path";

// The embedded stack, started fresh for the run: the API (SQLite, demo data, in-process worker writing e-mails
// to files) and the web app's production build. Debian's Chromium: nothing is downloaded.
const API_PORT = Number(process.env.E2E_API_PORT ?? 18801);
const WEB_PORT = Number(process.env.E2E_WEB_PORT ?? 13001);
export const DATA_DIR = path.resolve(__dirname, "test-results", "e2e-data");
const python = process.env.MUTIROES_BIN ?? path.resolve(__dirname, "..", ".venv", "bin", "mutiroes");

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/artifacts",
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${WEB_PORT}`,
    locale: "pt-BR",
    timezoneId: "America/Sao_Paulo",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: [
    {
      command: `rm -rf "${DATA_DIR}" && "${python}" dev --host 127.0.0.1 --port ${API_PORT}`,
      url: `http://127.0.0.1:${API_PORT}/liveness`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "ignore", // the API's request log; failures still show its stderr
      env: {
        MUTIROES_DATA_DIR: DATA_DIR,
        // Ten-second access tokens: every journey goes through the silent refresh more than once.
        ACCESS_TOKEN_SECONDS: "10",
        // All journeys sign in from one address; the throttle itself is tested in the Python suite.
        LOGIN_THROTTLE: "1000/m",
        REGISTER_THROTTLE: "1000/m",
        // Links in e-mails (password reset) lead to this web app.
        PUBLIC_WEB_URL: `http://127.0.0.1:${WEB_PORT}`,
      },
    },
    {
      command: `node .next/standalone/server.js`,
      url: `http://127.0.0.1:${WEB_PORT}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        API_URL: `http://127.0.0.1:${API_PORT}`,
        HOSTNAME: "127.0.0.1",
        PORT: String(WEB_PORT),
        // No tile server is reachable in tests: the pages must work without one.
        TILE_URL: "http://127.0.0.1:9/{z}/{x}/{y}.png",
      },
    },
  ],
});
