/**
 * `GET /`: a placeholder page until the dashboard issue replaces this file
 * (bundled assets, live counts). It shows no data, so it needs no token.
 */

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qworker</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
  code { background: #f3f3f3; padding: 0 .25rem; border-radius: 3px; }
</style>
</head>
<body>
<h1>qworker</h1>
<p>The dashboard is not built yet. The admin API is up:</p>
<ul>
  <li><code>GET /health</code>: liveness and store reachability</li>
  <li><code>GET /api/queues</code>, <code>GET /api/jobs?state=failed</code>, <code>GET /api/workers</code>, <code>GET /api/schedules</code></li>
</ul>
<p>With a token configured, <code>/api</code> calls need <code>Authorization: Bearer &lt;token&gt;</code>.</p>
</body>
</html>
`;

export function dashboardResponse(): Response {
  return new Response(PAGE, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
      "x-frame-options": "DENY",
    },
  });
}
