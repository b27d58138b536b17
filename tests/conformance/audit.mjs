// The GraphQL-over-HTTP audit suite of npm `graphql-http` (pinned in package.json), run
// against one server: `node tests/conformance/audit.mjs http://127.0.0.1:8000/graphql`.
// Prints one JSON array on stdout: {id, name, status, reason, httpStatus} per audit, where
// status is "ok", "warn", "notice" or "error" (a failed MUST). tests/conformance/test_audit.py
// runs it against a live gateway.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = await auditServer({ url });
const report = results.map((result) => ({
  id: result.id,
  name: result.name,
  status: result.status,
  reason: result.status === 'ok' ? null : String(result.reason),
  httpStatus: result.status === 'ok' ? null : (result.response?.status ?? null),
}));
process.stdout.write(JSON.stringify(report) + '\n');
