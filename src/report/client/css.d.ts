/** The page's stylesheet: esbuild bundles it beside the script (src/report/html.ts). */
declare module "*.css";
