/**
 * The dashboard's HTML page and its Content-Security-Policy: scripts only
 * from flora's own origin (no inline script, no eval; WebAssembly allowed
 * for the in-browser bundler), no third-party anything.
 *
 * @module
 */

/** The page's CSP. Styles allow inline because CodeMirror injects its theme at run time. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

/** The HTML shell; `assets` is the versioned asset path, `local` turns on local mode. */
export function dashboardPage(assets: string, local: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flora dashboard</title>
<link rel="stylesheet" href="${assets}/styles.css">
<link rel="modulepreload" href="${assets}/app.js">
<script type="module" src="${assets}/app.js"></script>
</head>
<body data-assets="${assets}" data-local="${local}">
<a class="skip" href="#main">Skip to content</a>
<header><h1>flora</h1><nav id="user-nav" aria-label="Account"></nav></header>
<div id="status" class="status" role="status" aria-live="polite"></div>
<main id="main" tabindex="-1"><p>Loading…</p></main>
</body>
</html>
`;
}
