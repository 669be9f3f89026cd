import { build } from "esbuild";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import type { ReportData } from "./model";

/**
 * The report as one self-contained HTML page: the data as JSON, the page's script (ECharts and
 * dagre included) and its stylesheet inlined, so it opens offline and can be mailed or attached
 * to a CI run. The script is bundled from src/report/client by esbuild when the page is written.
 */

const CLIENT_ENTRY = path.join(__dirname, "client", "main.ts");

export async function reportHtml(data: ReportData): Promise<string> {
  const { js, css } = await clientBundle();
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeText(data.title)}</title>`,
    `<style>${css}</style>`,
    "</head>",
    "<body>",
    '<main id="report"></main>',
    `<script type="application/json" id="report-data">${jsonInScript(data)}</script>`,
    `<script>${js}</script>`,
    "</body>",
    "</html>",
  ].join("\n");
}

/** Writes the page to `file`; the file's absolute path. */
export async function writeReport(file: string, data: ReportData): Promise<string> {
  const target = path.resolve(file);
  writeFileSync(target, await reportHtml(data));
  return target;
}

let bundled: Promise<{ js: string; css: string }> | undefined;

function clientBundle(): Promise<{ js: string; css: string }> {
  bundled ??= build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    minify: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    outdir: "report",
    legalComments: "eof",
    logLevel: "silent",
  }).then((result) => {
    const text = (ext: string) =>
      result.outputFiles.find((file) => file.path.endsWith(ext))?.text ?? "";
    const js = text(".js");
    // esbuild escapes "</script" in strings; a raw one would end the inline script early.
    if (/<\/script/i.test(js)) throw new Error("the report script contains </script>");
    return { js, css: text(".css") };
  });
  return bundled;
}

/** JSON that cannot end the <script> element it sits in, nor open a comment. */
export function jsonInScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
}
