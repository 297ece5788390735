// verify.mjs SECRET FILE: check every request pw_receiver --headers
// recorded in FILE (JSON lines) with the Standard Webhooks reference
// verifier.  Prints one JSON line per request: {"id", "ok", "error"};
// with --tamper, each body with one character changed (which must fail).
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const [secret, file, mode] = process.argv.slice(2);
const wh = new Webhook(secret);
for (const line of readFileSync(file, "utf8").split("\n")) {
	if (line === "")
		continue;
	const req = JSON.parse(line);
	let body = req.body;
	if (mode === "--tamper")
		body = body.replace(/"/, "'");
	const out = { id: req.headers["webhook-id"] ?? null, ok: true, error: null };
	try {
		wh.verify(body, req.headers);
	} catch (e) {
		out.ok = false;
		out.error = String(e.message ?? e);
	}
	console.log(JSON.stringify(out));
}
