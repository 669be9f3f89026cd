import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/**
 * Debian's chromium (apt-get install chromium; scripts/install-system-packages.sh), driven by
 * playwright-core, headless and with nothing that reaches the network on its own.
 */
export const CHROMIUM = process.env.CASCADE_CHROMIUM ?? "/usr/bin/chromium";

export const chromiumInstalled = (): boolean => existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export interface LoadedPage {
  page: Page;
  /** Console errors and uncaught exceptions while the page loaded and drew. */
  errors: string[];
  /** Requests for anything but the file itself: a self-contained page makes none. */
  requests: string[];
}

/** Opens `file` and waits until its script has drawn every chart. */
export async function openReport(
  browser: Browser,
  file: string,
  width = 1400,
): Promise<LoadedPage> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  const url = `file://${file}`;
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("request", (request) => {
    if (request.url() !== url) requests.push(request.url());
  });
  await page.goto(url);
  await page
    .waitForSelector("body[data-rendered=true]", { timeout: 20_000 })
    .catch(() => undefined);
  return { page, errors, requests };
}
