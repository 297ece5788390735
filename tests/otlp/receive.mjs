// An OTLP/HTTP receiver for tests/e2e/otlp.sh: every POST to /v1/metrics
// or /v1/logs is decoded with the OTLP definitions bundled in
// @opentelemetry/otlp-transformer (its protobufjs root), and each data
// point or log record is written as one JSON line to OUT, with its
// resource's attributes, then a line for the request itself (its size
// and how many it held).  A body that does not decode is recorded as
// {"error": ...} and answered 400.
//
// Usage: node receive.mjs PORTFILE OUT [PORT]   (PORT 0 or none: any)
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { appendFileSync, writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const coll = root.opentelemetry.proto.collector;
const MetricsReq = coll.metrics.v1.ExportMetricsServiceRequest;
const LogsReq = coll.logs.v1.ExportLogsServiceRequest;
const MetricsResp = coll.metrics.v1.ExportMetricsServiceResponse;
const LogsResp = coll.logs.v1.ExportLogsServiceResponse;

const [portfile, out, want] = process.argv.slice(2);
const conv = { longs: String, enums: String, defaults: false, oneofs: true };

function attrs(list) {
	const o = {};
	for (const kv of list || []) {
		const v = kv.value || {};
		o[kv.key] = v.stringValue ?? (v.intValue !== undefined ?
		    Number(v.intValue) : v.doubleValue ?? v.boolValue ?? null);
	}
	return o;
}
const ms = (ns) => ns === undefined ? 0 : Number(BigInt(ns) / 1000000n);

function metricLines(req) {
	const lines = [];
	for (const rm of req.resourceMetrics || []) {
		const res = attrs(rm.resource?.attributes);
		for (const sm of rm.scopeMetrics || [])
			for (const m of sm.metrics || []) {
				const kind = m.gauge ? 'gauge' : m.sum ? 'sum' : m.data;
				const d = m.gauge || m.sum || {};
				for (const p of d.dataPoints || [])
					lines.push({ signal: 'metric', name: m.name,
					    unit: m.unit ?? '', kind,
					    monotonic: m.sum ? !!m.sum.isMonotonic : null,
					    temporality: m.sum ? m.sum.aggregationTemporality : null,
					    scope: sm.scope?.name ?? '',
					    resource: res, attrs: attrs(p.attributes),
					    value: p.asDouble ?? (p.asInt !== undefined ? Number(p.asInt) : null),
					    time_ms: ms(p.timeUnixNano),
					    start_ms: ms(p.startTimeUnixNano) });
			}
	}
	return lines;
}

function logLines(req) {
	const lines = [];
	for (const rl of req.resourceLogs || []) {
		const res = attrs(rl.resource?.attributes);
		for (const sl of rl.scopeLogs || [])
			for (const r of sl.logRecords || [])
				lines.push({ signal: 'log', resource: res,
				    time_ms: ms(r.timeUnixNano),
				    severity: r.severityNumber, severity_text: r.severityText,
				    event_name: r.eventName ?? '',
				    body: r.body?.stringValue ?? null,
				    attrs: attrs(r.attributes) });
	}
	return lines;
}

const server = createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		let lines, resp;
		try {
			if (req.method !== 'POST')
				throw new Error(`method ${req.method}`);
			if (req.headers['content-type'] !== 'application/x-protobuf')
				throw new Error(`content-type ${req.headers['content-type']}`);
			if (req.url === '/v1/metrics') {
				lines = metricLines(MetricsReq.toObject(MetricsReq.decode(body), conv));
				resp = MetricsResp.encode(MetricsResp.create({})).finish();
			} else if (req.url === '/v1/logs') {
				lines = logLines(LogsReq.toObject(LogsReq.decode(body), conv));
				resp = LogsResp.encode(LogsResp.create({})).finish();
			} else {
				throw new Error(`path ${req.url}`);
			}
		} catch (e) {
			appendFileSync(out, JSON.stringify({ error: String(e), url: req.url }) + '\n');
			res.writeHead(400, { 'Content-Type': 'text/plain' });
			res.end(String(e));
			return;
		}
		lines.push({ signal: 'request', url: req.url, bytes: body.length,
		    items: lines.length });
		appendFileSync(out, lines.map((l) => JSON.stringify(l) + '\n').join(''));
		res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
		res.end(Buffer.from(resp));
	});
});
server.listen(Number(want || 0), '127.0.0.1', () => {
	writeFileSync(portfile, String(server.address().port));
});
// Node 18 (Debian 12's) lets close() wait for keep-alive connections, and
// procwatchd's curl keeps one open: drop them, or SIGTERM never ends it
// (fresh-ci hung in otlp.sh's outage).  Every line is written already.
process.on('SIGTERM', () => {
	server.closeAllConnections();
	server.close(() => process.exit(0));
});
