/*
 * web/app.js: the procwatchd dashboard.
 *
 * DESIGN: one refresh loop, paced by the daemon's sampling interval (from
 * /healthz), reads the public JSON API only: /api/v1/processes for the
 * table, /api/v1/alerts and /api/v1/bottlenecks for the side panels, and
 * for the selected process its samples (charts), windowed stats and
 * threads.  Endpoints that are missing (404) or failing show "not
 * available"; nothing here needs write access.
 *
 * Every string that comes from a process (name, command line, user,
 * target, alert messages) is put into the page with textContent or an
 * attribute, never parsed as HTML, and the Content-Security-Policy allows
 * no inline script, so a process named "<img src=x onerror=alert(1)>"
 * shows as those characters.
 *
 * Table rows are kept per pid and only changed cells are rewritten, so a
 * table of a thousand processes refreshes without rebuilding the DOM.
 * The CPU sparkline of a row is the CPU % seen in the last SPARK_N
 * refreshes, kept in the page.
 *
 * Metrics are named, never described, here: their JSON keys, labels,
 * help and units come from the daemon's catalogue (/api/v1/catalogue,
 * read once at start), and values are formatted by unit, so a column,
 * a chart series or a statistics row is a metric name.
 *
 * The past (the history on disk): a time range other than "live" makes
 * the charts ask for since/until with resolution=auto, so the daemon picks
 * the tier (raw, 1m, 1h); the answer's resolution is shown and its gaps
 * are drawn as breaks (a null row in each), never joined; the statistics
 * are the range's.  Replay swaps the live table, alerts and targets for
 * ?at= of a chosen moment (exited processes marked), the bottlenecks for
 * those of the minute up to it, and lists the events around it; the
 * refresh loop then leaves them alone, so the moment stays as chosen.
 */
(function () {
	'use strict';

	var SPARK_N = 40;
	var MIN_REFRESH_MS = 250;
	var METRICS_EVERY_MS = 10000;
	var BOTTLENECKS_EVERY_MS = 5000;
	var WINDOWS = { '1m': 60e3, '5m': 300e3, '15m': 900e3, 'all': 0 };

	var $ = function (id) { return document.getElementById(id); };

	var st = {
		refreshMs: 1000,
		procs: new Map(),	/* pid -> process object */
		hist: new Map(),	/* pid -> [cpu %] */
		rows: new Map(),	/* pid -> row */
		order: [],
		sortKey: 'cpu',
		sortDir: -1,
		filter: '',
		selected: null,
		window: '5m',
		lastMetrics: 0,
		lastBottlenecks: 0,
		timer: null,
		busy: false,
		range: 'live',		/* a key of RANGES, 'custom' or 'live' */
		custom: null,		/* [from, to] ms of the custom range */
		chartKey: null,		/* what the charts show, in a range */
		chartAt: 0,		/* when they were fetched */
		chartSeq: 0,		/* the newest samples request */
		replay: false,
		at: null,		/* the replayed moment, ms */
		replaySeq: 0,
	};

	/* Chart instances, for people and for the browser test. */
	var charts = {};
	window.pwCharts = charts;
	/* Filled when the first refresh has rendered everything. */
	window.pwReady = false;
	/* What the charts and the replay last showed, for the browser test. */
	window.pwChartInfo = null;
	window.pwReplay = null;

	/* --- helpers --------------------------------------------------------- */

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	function clear(node) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
	}

	function getJSON(path) {
		return fetch(path, { cache: 'no-store',
		    headers: { 'Accept': 'application/json' } })
		    .then(function (r) {
			if (!r.ok)
				return { ok: false, status: r.status, data: null };
			return r.json().then(function (d) {
				return { ok: true, status: r.status, data: d };
			});
		    }, function () {
			return { ok: false, status: 0, data: null };
		    });
	}

	/*
	 * An endpoint another feature adds (alerts, bottlenecks, stats,
	 * threads) may not exist in this daemon: after a 404 "not found"
	 * (no such route, as opposed to no such pid) it is asked again only
	 * every RETRY_MISSING_MS.
	 */
	var RETRY_MISSING_MS = 30000;
	var missing = {};

	function optJSON(kind, path) {
		if (missing[kind] && Date.now() - missing[kind] < RETRY_MISSING_MS)
			return Promise.resolve({ ok: false, status: 404,
			    data: null });
		return fetch(path, { cache: 'no-store',
		    headers: { 'Accept': 'application/json' } })
		    .then(function (r) {
			return r.json().then(function (d) { return d; },
			    function () { return null; }).then(function (d) {
				if (r.status === 404 && d && d.error === 'not found')
					missing[kind] = Date.now();
				else if (r.ok)
					delete missing[kind];
				return { ok: r.ok, status: r.status,
				    data: r.ok ? d : null };
			});
		    }, function () {
			return { ok: false, status: 0, data: null };
		    });
	}

	function getText(path) {
		return fetch(path, { cache: 'no-store' }).then(function (r) {
			return r.ok ? r.text() : null;
		}, function () { return null; });
	}

	function isNum(v) {
		return typeof v === 'number' && isFinite(v);
	}

	function fmtBytes(n) {
		if (!isNum(n))
			return '–';
		var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
		while (n >= 1024 && i < u.length - 1) {
			n /= 1024;
			i++;
		}
		return (i === 0 ? n.toFixed(0) : n.toFixed(n < 10 ? 1 : 0)) +
		    ' ' + u[i];
	}

	function fmtNum(v, digits) {
		if (!isNum(v))
			return '–';
		if (digits === undefined)
			digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
		return v.toFixed(digits);
	}

	/*
	 * The metric catalogue: name -> row.  Until it is read, or from a
	 * daemon older than /api/v1/catalogue, the minimal list below (the
	 * rows this page names) stands in; the daemon's rows replace it.
	 */
	var catalogue = {};
	[['cpu_percent', 'percent', 'CPU %'],
	    ['cpu_user_percent', 'percent', 'user %'],
	    ['cpu_system_percent', 'percent', 'system %'],
	    ['rss_bytes', 'bytes', 'RSS'], ['memory_percent', 'percent', 'mem %'],
	    ['open_fds', 'count', 'open fds'], ['fd_limit', 'count', 'fd limit'],
	    ['threads', 'count', 'threads'],
	    ['fd_usage', 'ratio', 'fd usage', 'fd_usage_max']]
	    .forEach(function (r) {
		catalogue[r[0]] = { name: r[0], unit: r[1], label: r[2],
		    json: { process: r[0], group: r[3] || r[0] } };
	});

	function loadCatalogue() {
		return getJSON('/api/v1/catalogue').then(function (r) {
			if (r.ok && r.data && Array.isArray(r.data.metrics))
				r.data.metrics.forEach(function (m) {
					if (m && typeof m.name === 'string')
						catalogue[m.name] = m;
				});
		});
	}

	function metricDef(name) {
		return catalogue[name] || { name: name, unit: '', label: name };
	}

	function metricLabel(name) {
		return metricDef(name).label || name;
	}

	/* The key of a metric in a process's sample, or a group's. */
	function metricKey(name, group) {
		var j = metricDef(name).json;
		if (!j || typeof j !== 'object')
			return name;
		return (group ? j.group : j.process) || null;
	}

	/* The value of a metric in a sample, or null. */
	function metricOf(s, name, group) {
		var k = metricKey(name, group);
		return s && k !== null && isNum(s[k]) ? s[k] : null;
	}

	/* v by its metric's unit: bytes as "1.5 MiB", others as numbers. */
	function fmtMetric(name, v, digits) {
		var u = metricDef(name).unit;
		if (!isNum(v))
			return '–';
		if (u === 'bytes')
			return fmtBytes(v);
		if (u === 'bytes_per_second')
			return fmtBytes(v) + '/s';
		return fmtNum(v, digits);
	}

	function ucfirst(s) {
		return s.charAt(0).toUpperCase() + s.slice(1);
	}

	function fmtDur(s) {
		if (!isNum(s))
			return '–';
		if (s < 60)
			return Math.round(s) + ' s';
		if (s < 3600)
			return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
		if (s < 86400)
			return Math.floor(s / 3600) + ' h ' +
			    Math.floor(s % 3600 / 60) + ' min';
		return Math.floor(s / 86400) + ' d ' +
		    Math.floor(s % 86400 / 3600) + ' h';
	}

	function fmtTime(iso) {
		if (!iso)
			return '–';
		var d = new Date(iso);
		return isNaN(d) ? String(iso) : d.toLocaleTimeString();
	}

	function banner(msg) {
		var b = $('banner');
		if (msg) {
			b.textContent = msg;
			b.hidden = false;
		} else
			b.hidden = true;
	}

	function setDl(dl, pairs) {
		clear(dl);
		pairs.forEach(function (p) {
			dl.appendChild(el('dt', null, p[0]));
			dl.appendChild(el('dd', null, p[1]));
		});
	}

	function notAvailable(node, what) {
		clear(node);
		node.appendChild(el('p', 'na', what || 'not available'));
	}

	/* --- the process table ----------------------------------------------- */

	var SVGNS = 'http://www.w3.org/2000/svg';

	/* Sort key -> metric, from the table head's data-metric. */
	var sortMetrics = {};

	function sortValue(p, key) {
		var s = p.sample || {}, v;
		if (sortMetrics[key]) {
			v = metricOf(s, sortMetrics[key]);
			return v === null ? -1 : v;
		}
		switch (key) {
		case 'pid': return p.pid;
		case 'name': return (p.name || '').toLowerCase();
		case 'target': return (p.target || '').toLowerCase();
		case 'cmdline': return (p.cmdline || '').toLowerCase();
		case 'state': return s.state || '';
		}
		return 0;
	}

	/*
	 * The table head's metric columns: their label (where the head is
	 * a label, data-label) and help from the catalogue.
	 */
	function labelTableHead() {
		document.querySelectorAll('#proc-table th[data-metric]')
		    .forEach(function (th) {
			var m = metricDef(th.dataset.metric);
			sortMetrics[th.dataset.key] = m.name;
			if (th.hasAttribute('data-label'))
				th.textContent = ucfirst(metricLabel(m.name));
			if (m.help)
				th.title = m.help;
		});
	}

	function compare(a, b) {
		var va = sortValue(a, st.sortKey), vb = sortValue(b, st.sortKey);
		if (va < vb)
			return -st.sortDir;
		if (va > vb)
			return st.sortDir;
		return a.pid - b.pid;
	}

	function matches(p) {
		if (!st.filter)
			return true;
		var f = st.filter;
		return String(p.pid).indexOf(f) >= 0 ||
		    (p.name || '').toLowerCase().indexOf(f) >= 0 ||
		    (p.target || '').toLowerCase().indexOf(f) >= 0 ||
		    (p.cmdline || '').toLowerCase().indexOf(f) >= 0;
	}

	function makeRow(pid) {
		var tr = el('tr'), row = { tr: tr, td: {}, last: {} };
		['pid', 'name', 'target', 'cmd', 'cpu', 'spark', 'rss', 'mem',
		    'fds', 'threads', 'state'].forEach(function (k) {
			var td = el('td', k);
			if (['pid', 'cpu', 'rss', 'mem', 'fds', 'threads']
			    .indexOf(k) >= 0)
				td.classList.add('num');
			row.td[k] = td;
			tr.appendChild(td);
		});
		var svg = document.createElementNS(SVGNS, 'svg');
		svg.setAttribute('class', 'spark');
		svg.setAttribute('viewBox', '0 0 80 18');
		svg.setAttribute('preserveAspectRatio', 'none');
		svg.setAttribute('aria-hidden', 'true');
		var base = document.createElementNS(SVGNS, 'line');
		base.setAttribute('class', 'base');
		base.setAttribute('x1', '0');
		base.setAttribute('x2', '80');
		base.setAttribute('y1', '17.5');
		base.setAttribute('y2', '17.5');
		svg.appendChild(base);
		row.poly = document.createElementNS(SVGNS, 'polyline');
		svg.appendChild(row.poly);
		row.td.spark.appendChild(svg);
		tr.dataset.pid = String(pid);
		tr.addEventListener('click', function () { select(pid); });
		return row;
	}

	/* Set a cell's text (and class) only when it changed. */
	function cell(row, k, text, cls) {
		if (row.last[k] !== text) {
			row.td[k].textContent = text;
			row.last[k] = text;
		}
		if (cls !== undefined && row.last[k + '.c'] !== cls) {
			row.td[k].className = k + ' num' + (cls ? ' ' + cls : '');
			row.last[k + '.c'] = cls;
		}
	}

	function sparkPoints(h) {
		var max = 100, i, pts = [];
		for (i = 0; i < h.length; i++)
			if (h[i] > max)
				max = h[i];
		var step = 80 / (SPARK_N - 1), x0 = 80 - (h.length - 1) * step;
		for (i = 0; i < h.length; i++)
			pts.push((x0 + i * step).toFixed(1) + ',' +
			    (17 - 16 * h[i] / max).toFixed(1));
		return pts.join(' ');
	}

	function updateRow(row, p) {
		var s = p.sample || {};
		cell(row, 'pid', String(p.pid));
		cell(row, 'name', p.name || '');
		cell(row, 'target', p.target || '');
		cell(row, 'cmd', p.cmdline || '');
		if (row.last.title !== p.cmdline) {
			row.td.cmd.title = p.cmdline || '';
			row.td.name.title = p.name || '';
			row.last.title = p.cmdline;
		}
		var cpu = metricOf(s, 'cpu_percent');
		cell(row, 'cpu', fmtMetric('cpu_percent', cpu, 1),
		    isNum(cpu) && cpu >= 80 ? 'hot' : isNum(cpu) && cpu >= 20 ?
		    'warm' : '');
		cell(row, 'rss', fmtMetric('rss_bytes', metricOf(s, 'rss_bytes')));
		cell(row, 'mem', fmtMetric('memory_percent',
		    metricOf(s, 'memory_percent'), 2));
		var open = metricOf(s, 'open_fds'), lim = metricOf(s, 'fd_limit');
		if (lim === null)
			lim = metricOf(p, 'fd_limit');
		cell(row, 'fds', fmtMetric('open_fds', open, 0) + ' / ' +
		    fmtMetric('fd_limit', lim, 0),
		    isNum(open) && isNum(lim) && lim > 0 &&
		    open / lim >= 0.8 ? 'hot' : '');
		cell(row, 'threads', fmtMetric('threads',
		    metricOf(s, 'threads'), 0));
		var state = s.state || (p.alive === false ? (st.replay ?
		    'exited' : 'gone') : '');
		if (row.last.state !== state) {
			row.td.state.textContent = state;
			row.td.state.className = 'state-' +
			    state.replace(/[^A-Za-z]/g, '');
			row.last.state = state;
		}
		var pts = sparkPoints(st.hist.get(p.pid) || []);
		if (row.last.spark !== pts) {
			row.poly.setAttribute('points', pts);
			row.last.spark = pts;
		}
		var gone = p.alive === false;
		if (row.last.gone !== gone) {
			row.tr.classList.toggle('gone', gone);
			row.tr.title = gone && st.replay ?
			    'this process has exited since' : '';
			row.last.gone = gone;
		}
	}

	function renderTable() {
		var body = $('proc-body'), list = [], order, i, same;

		st.procs.forEach(function (p) {
			if (matches(p))
				list.push(p);
		});
		list.sort(compare);
		order = list.map(function (p) { return p.pid; });
		list.forEach(function (p) {
			var row = st.rows.get(p.pid);
			if (!row) {
				row = makeRow(p.pid);
				st.rows.set(p.pid, row);
			}
			updateRow(row, p);
			row.tr.classList.toggle('selected', p.pid === st.selected);
		});
		/* Rows of processes no longer listed, or filtered out. */
		st.rows.forEach(function (row, pid) {
			if (!st.procs.has(pid)) {
				row.tr.remove();
				st.rows.delete(pid);
			}
		});
		same = order.length === st.order.length;
		for (i = 0; same && i < order.length; i++)
			same = order[i] === st.order[i];
		if (!same) {
			var frag = document.createDocumentFragment();
			order.forEach(function (pid) {
				frag.appendChild(st.rows.get(pid).tr);
			});
			clear(body);
			body.appendChild(frag);
			st.order = order;
		}
		$('proc-empty').hidden = order.length > 0;
		$('proc-count').textContent = st.filter ?
		    '(' + order.length + ' of ' + st.procs.size + ')' :
		    '(' + st.procs.size + ')';
	}

	function setSort(key) {
		if (st.sortKey === key)
			st.sortDir = -st.sortDir;
		else {
			st.sortKey = key;
			st.sortDir = ['pid', 'name', 'target', 'cmdline', 'state']
			    .indexOf(key) >= 0 ? 1 : -1;
		}
		document.querySelectorAll('#proc-table th[data-key]')
		    .forEach(function (th) {
			if (th.dataset.key === st.sortKey)
				th.setAttribute('aria-sort', st.sortDir > 0 ?
				    'ascending' : 'descending');
			else
				th.removeAttribute('aria-sort');
		});
		renderTable();
	}

	function loadProcesses() {
		return getJSON('/api/v1/processes').then(function (r) {
			if (!r.ok || !r.data || !Array.isArray(r.data.processes)) {
				setConn(false, r.status ? 'API error ' + r.status :
				    'daemon unreachable');
				return false;
			}
			var seen = new Set();
			if (st.replay)
				return true;
			r.data.processes.forEach(function (p) {
				var h = st.hist.get(p.pid);
				var cpu = metricOf(p.sample, 'cpu_percent');
				seen.add(p.pid);
				st.procs.set(p.pid, p);
				if (!h) {
					h = [];
					st.hist.set(p.pid, h);
				}
				if (isNum(cpu)) {
					h.push(cpu);
					if (h.length > SPARK_N)
						h.shift();
				}
			});
			st.procs.forEach(function (p, pid) {
				if (!seen.has(pid)) {
					st.procs.delete(pid);
					st.hist.delete(pid);
				}
			});
			setConn(true);
			var t0 = performance.now();
			renderTable();
			window.pwRenderMs = Math.round(performance.now() - t0);
			return true;
		});
	}

	function setConn(ok, msg) {
		var c = $('conn');
		c.className = 'conn ' + (ok ? 'ok' : 'bad');
		c.textContent = ok ? 'live' : msg;
		if (!ok)
			banner('Cannot read the API (' + msg + '); retrying.');
		else if (!$('banner').dataset.sticky)
			banner(null);
	}

	/* --- the selected process -------------------------------------------- */

	function select(pid) {
		st.selected = pid;
		$('detail').hidden = false;
		document.body.classList.add('has-detail');
		st.rows.forEach(function (row, p) {
			row.tr.classList.toggle('selected', p === pid);
		});
		clear($('d-stats'));
		clear($('d-threads'));
		if (prof.lastPid !== pid) {	/* another process's profile */
			prof.zoom = null;
			prof.drawn = null;
			prof.lastPid = pid;
		}
		renderProfile();
		loadDetail();
	}

	function unselect() {
		st.selected = null;
		$('detail').hidden = true;
		document.body.classList.remove('has-detail');
		st.rows.forEach(function (row) {
			row.tr.classList.remove('selected');
		});
	}

	function samplesPath(p, range) {
		var path = '/api/v1/processes/' + p.pid + '/samples';
		var span = WINDOWS[st.window];
		if (range)	/* the daemon picks the tier */
			return path + '?since=' + isoParam(range[0]) + '&until=' +
			    isoParam(range[1]) + '&resolution=auto';
		var last = p.sample && p.sample.ts ? Date.parse(p.sample.ts) :
		    Date.now();
		if (span && isFinite(last))
			path += '?since=' + encodeURIComponent(
			    new Date(last - span).toISOString());
		return path;
	}

	function chartOptions(labels, extra) {
		var o = {
			labels: labels,
			axisLabelFontSize: 11,
			axisLabelWidth: 56,
			strokeWidth: 1.5,
			gridLineColor: '#e5e7eb',
			axisLineColor: '#9ca3af',
			includeZero: true,
			connectSeparatedPoints: false,
			stackedGraphNaNFill: 'none',	/* a gap stays a gap */
			drawPoints: false,
			highlightCircleSize: 3,
			interactionModel: {},	/* no zoom: the window buttons do */
		};
		Object.keys(extra || {}).forEach(function (k) {
			o[k] = extra[k];
		});
		return o;
	}

	/*
	 * The charts of the detail panel: each a list of metrics (stacked
	 * for CPU), labelled and formatted from the catalogue.
	 */
	var CHART_SPECS = {
		cpu: { metrics: ['cpu_user_percent', 'cpu_system_percent'],
		    digits: 1, opts: { stackedGraph: true, fillGraph: true,
		    fillAlpha: 0.35, colors: ['#2563eb', '#f59e0b'] } },
		rss: { metrics: ['rss_bytes'], opts: { fillGraph: true,
		    fillAlpha: 0.2, colors: ['#7c3aed'] } },
		fds: { metrics: ['open_fds'], digits: 0,
		    opts: { colors: ['#059669'], stepPlot: true } },
		threads: { metrics: ['threads'], digits: 0,
		    opts: { colors: ['#db2777'], stepPlot: true } },
	};
	var CHARTS = {};

	/* CHARTS from CHART_SPECS, once the catalogue is known. */
	function makeCharts() {
		Object.keys(CHART_SPECS).forEach(function (k) {
			var c = CHART_SPECS[k], first = c.metrics[0], opts = {};
			Object.keys(c.opts).forEach(function (o) {
				opts[o] = c.opts[o];
			});
			if (/^bytes/.test(metricDef(first).unit))
				opts.labelsKMG2 = true;
			CHARTS[k] = {
				labels: ['time'].concat(c.metrics.map(metricLabel)),
				fmt: function (v) {
					return fmtMetric(first, v, c.digits);
				},
				opts: opts,
				row: function (d, s) {
					return [d].concat(c.metrics.map(function (m) {
						return metricOf(s, m);
					}));
				},
			};
		});
	}

	/*
	 * Dygraph's own legend plugin writes style attributes through
	 * innerHTML, which the CSP blocks (and reports); the page draws its
	 * legend itself, with DOM calls.
	 */
	function dropLegendPlugin() {
		var D = window.Dygraph;
		if (D.Plugins && D.Plugins.Legend && Array.isArray(D.PLUGINS))
			D.PLUGINS = D.PLUGINS.filter(function (p) {
				return p !== D.Plugins.Legend;
			});
	}

	function renderLegend(k, g, row) {
		var node = $('legend-' + k), labels = g.getLabels();
		var colors = g.getColors(), i, v, span, sw;

		clear(node);
		if (row === null || row === undefined)
			row = g.numRows() - 1;
		if (row < 0 || row >= g.numRows())
			return;
		v = g.getValue(row, 0);
		node.appendChild(el('span', 'lg-time', isNum(v) ?
		    new Date(v).toLocaleTimeString() : ''));
		for (i = 1; i < labels.length; i++) {
			span = el('span', 'lg-series');
			sw = el('span', 'swatch', '\u25a0');
			sw.style.color = colors[i - 1];	/* CSSOM: CSP allows */
			span.appendChild(sw);
			span.appendChild(document.createTextNode(' ' + labels[i] +
			    ' ' + CHARTS[k].fmt(g.getValue(row, i))));
			node.appendChild(span);
		}
	}

	/*
	 * Chart rows from an answer of .../samples: a null row just after
	 * each gap's start, so that Dygraph breaks the line there (rows are
	 * in time order; roll-up points carry each metric's mean under its
	 * key, as raw samples do).
	 */
	function chartRows(c, samples, gaps) {
		var data = [], cuts = [], i = 0;
		(gaps || []).forEach(function (g) {
			var t = g && Date.parse(g.from);
			if (isFinite(t))
				cuts.push(t + 1);
		});
		cuts.sort(function (a, b) { return a - b; });
		samples.forEach(function (s) {
			var d = new Date(s.ts);
			if (isNaN(d))
				return;
			while (i < cuts.length && cuts[i] < d.getTime())
				data.push(c.row(new Date(cuts[i++]), {}));
			data.push(c.row(d, s));
		});
		return data;
	}

	/* What the charts show: the resolution and gaps of a range. */
	function showChartInfo(ans, path, range) {
		var gaps = Array.isArray(ans.gaps) ? ans.gaps.length : 0;
		var n = Array.isArray(ans.samples) ? ans.samples.length : 0;
		window.pwChartInfo = { path: path, range: range,
		    resolution: ans.resolution || null, source: ans.source || null,
		    gaps: gaps, points: n };
		$('d-res').textContent = ans.resolution ? 'resolution ' +
		    ans.resolution + (ans.source ? ' from ' + ans.source : '') +
		    ' · ' + n + ' point' + (n === 1 ? '' : 's') +
		    (gaps ? ' · ' + gaps + ' gap' + (gaps === 1 ? '' : 's') : '') :
		    '';
	}

	function drawCharts(samples, gaps, range) {
		if (typeof window.Dygraph !== 'function') {
			var m = $('charts-missing');
			m.textContent = 'Charts are unavailable: the chart ' +
			    'library (/static/dygraphs/dygraph.min.js) did not ' +
			    'load. Install Debian\'s libjs-dygraphs package, or ' +
			    'point "dygraphs_dir" in the daemon\'s config at ' +
			    'its files.';
			m.hidden = false;
			return;
		}
		Object.keys(CHARTS).forEach(function (k) {
			var c = CHARTS[k], data = chartRows(c, samples, gaps);
			if (data.length === 0)
				data.push(c.row(new Date(range ? range[1] :
				    Date.now()), {}));
			if (!charts[k]) {
				dropLegendPlugin();
				charts[k] = new window.Dygraph($('chart-' + k), data,
				    chartOptions(c.labels, Object.assign({
					highlightCallback: function (e, x, pts, row) {
						c.hl = true;
						renderLegend(k, charts[k], row);
					},
					unhighlightCallback: function () {
						c.hl = false;
						renderLegend(k, charts[k], null);
					},
					drawCallback: function (g) {
						if (!c.hl)
							renderLegend(k, g, null);
					},
					dateWindow: range || null,
				    }, c.opts)));
			} else
				charts[k].updateOptions({ file: data,
				    dateWindow: range || null });
		});
	}

	function renderMeta(p) {
		$('d-name').textContent = p.name || '';
		$('d-pid').textContent = String(p.pid);
		$('d-gone').hidden = p.alive !== false;
		setDl($('d-meta'), [
			['command', p.cmdline || '–'],
			['target', p.target || '–'],
			['user', (p.user || isNum(p.uid)) ? (p.user || '?') +
			    ' (uid ' + p.uid + ')' : '–'],
			['parent', isNum(p.ppid) ? String(p.ppid) : '–'],
			['started', p.start_time ?
			    new Date(p.start_time).toLocaleString() : '–'],
			['samples', isNum(p.samples_stored) ? p.samples_stored +
			    ' of ' + (p.capacity || '?') + ' in memory' : '–'],
		]);
	}

	/*
	 * Windowed statistics (/api/v1/processes/{pid}/stats): a row per
	 * metric, the figures that are sent, and the trend where there is one.
	 */
	var STAT_COLS = ['avg', 'min', 'max', 'p50', 'p95', 'p99', 'stddev'];
	var STAT_SKIP = { vms_bytes: 1, swap_bytes: 1, major_faults_rate: 1,
	    minor_faults_rate: 1, ctx_switches_voluntary_rate: 1 };

	function fmtStat(metric, v) {
		return fmtMetric(metric, v);
	}

	function fmtTrend(metric, t) {
		if (!t || typeof t !== 'object')
			return '';
		var dir = t.direction || '';
		if (!isNum(t.slope_per_min) || dir === 'flat')
			return dir;
		return dir + ' ' + (t.slope_per_min >= 0 ? '+' : '') +
		    fmtStat(metric, t.slope_per_min) + '/min';
	}

	function renderStats(data) {
		var node = $('d-stats'), metrics, cols, t, tr, tb, names;

		clear(node);
		metrics = data && data.metrics && typeof data.metrics === 'object' ?
		    data.metrics : null;
		names = metrics ? Object.keys(metrics).filter(function (m) {
			return !STAT_SKIP[m] && metrics[m] &&
			    typeof metrics[m] === 'object';
		}) : [];
		if (names.length === 0) {
			$('stats-window').textContent = '';
			notAvailable(node);
			return;
		}
		$('stats-window').textContent = (isNum(data.count) ?
		    '(' + data.count + ' samples' : '(') +
		    (isNum(data.span_s) ? ' over ' + fmtDur(data.span_s) : '') +
		    (data.source === 'history' && data.resolution ? ', ' +
		    data.resolution + ' from the history' : '') + ')';
		cols = STAT_COLS.filter(function (c) {
			return names.some(function (m) {
				return isNum(metrics[m][c]);
			});
		});
		t = el('table', 'stats');
		tr = el('tr');
		tr.appendChild(el('th', null, 'metric'));
		cols.forEach(function (c) { tr.appendChild(el('th', 'num', c)); });
		tr.appendChild(el('th', null, 'trend'));
		t.appendChild(el('thead')).appendChild(tr);
		tb = el('tbody');
		names.forEach(function (m) {
			var v = metrics[m];
			tr = el('tr');
			var name = el('td', null, m);
			if (metricDef(m).help)
				name.title = metricDef(m).help;
			tr.appendChild(name);
			cols.forEach(function (c) {
				tr.appendChild(el('td', 'num', fmtStat(m, v[c])));
			});
			tr.appendChild(el('td', 'trend', fmtTrend(m, v.trend)));
			tb.appendChild(tr);
		});
		t.appendChild(tb);
		node.appendChild(t);
	}

	/*
	 * Per-thread breakdown (/api/v1/processes/{pid}/threads): the summary
	 * sentence and the busiest threads.
	 */
	var THREAD_METRICS = ['cpu_percent', 'cpu_user_percent',
	    'cpu_system_percent'];

	/* [key, head, metric or null] of each column a thread may have. */
	function threadCols() {
		return [['tid', 'TID', null], ['name', 'name', null]].concat(
		    THREAD_METRICS.map(function (m) {
			return [metricKey(m), metricLabel(m), m];
		    }), [['share', 'share', null]]);
	}

	function renderThreads(data) {
		var node = $('d-threads'), list, cols, t, tr, tb;

		clear(node);
		list = data && Array.isArray(data.threads) ? data.threads : null;
		if (!list || list.length === 0 || typeof list[0] !== 'object') {
			notAvailable(node, list ? 'no threads reported' : undefined);
			return;
		}
		if (data.summary)
			node.appendChild(el('p', 'note', data.summary));
		cols = threadCols().filter(function (c) {
			return c[0] !== null && c[0] in list[0];
		});
		list = list.slice().sort(function (a, b) {
			return (metricOf(b, 'cpu_percent') || 0) -
			    (metricOf(a, 'cpu_percent') || 0);
		});
		t = el('table', 'threads');
		tr = el('tr');
		cols.forEach(function (c) {
			tr.appendChild(el('th', c[0] === 'name' ? null : 'num', c[1]));
		});
		t.appendChild(el('thead')).appendChild(tr);
		tb = el('tbody');
		list.slice(0, 20).forEach(function (th) {
			tr = el('tr');
			cols.forEach(function (c) {
				var v = th[c[0]], txt;
				if (c[0] === 'share')
					txt = isNum(v) ? (100 * v).toFixed(0) + ' %' : '–';
				else if (c[0] === 'tid')
					txt = String(v);
				else if (c[2] && isNum(v))
					txt = fmtMetric(c[2], v, 1);
				else
					txt = isNum(v) ? fmtNum(v, 1) : v === null ||
					    v === undefined ? '–' : String(v);
				tr.appendChild(el('td', c[0] === 'name' ? 'name' :
				    'num', txt));
			});
			tb.appendChild(tr);
		});
		t.appendChild(tb);
		node.appendChild(t);
		if (list.length > 20)
			node.appendChild(el('p', 'note', (list.length - 20) +
			    ' quieter threads not shown'));
	}

	function loadDetail() {
		var pid = st.selected, p = st.procs.get(pid), win, path, key;
		var range = rangeSpan(), samples = null, now = Date.now(), seq;

		if (pid === null)
			return Promise.resolve();
		if (!p)
			p = { pid: pid };
		renderMeta(p);
		win = st.window === 'all' ? '' : '?window=' + st.window;
		path = samplesPath(p, range);
		/* A range's samples: again when it or the pid changed, or moved. */
		key = range ? pid + ' ' + st.range + ' ' + st.custom : null;
		if (!range || key !== st.chartKey || (st.range !== 'custom' &&
		    now - st.chartAt >= RANGE_REFETCH_MS)) {
			samples = fetchJSON(path);
			seq = ++st.chartSeq;
			if (range) {
				st.chartKey = key;
				st.chartAt = now;
			}
		}
		/*
		 * A range's statistics (from the tiers) go with its samples;
		 * a window ends now at the latest.
		 */
		var end = range ? Math.min(range[1], now) : 0;
		var stats = '/api/v1/processes/' + pid + '/stats' + (range ?
		    '?window=' + Math.max(1, Math.round((end - range[0]) /
		    1000)) + 's&until=' + isoParam(end) : win);
		return Promise.all([
			samples,
			!range ? optJSON('stats', stats) : samples ?
			    fetchJSON(stats) : null,
			optJSON('threads', '/api/v1/processes/' + pid +
			    '/threads' + win),
		]).then(function (r) {
			if (st.selected !== pid)
				return;
			/* An older request (another range) answering late. */
			if (r[0] && seq !== st.chartSeq)
				r[0] = null;
			if (r[0] && r[0].ok && r[0].data &&
			    Array.isArray(r[0].data.samples)) {
				$('charts-err').hidden = true;
				showChartInfo(r[0].data, path, range);
				drawCharts(r[0].data.samples, r[0].data.gaps, range);
			} else if (r[0] && r[0].status === 404)
				$('d-gone').hidden = false;
			else if (r[0]) {
				/* A range the daemon cannot answer says why. */
				$('charts-err').textContent = 'The charts cannot ' +
				    'show this range: ' + (r[0].data &&
				    r[0].data.error ? r[0].data.error : 'HTTP ' +
				    r[0].status);
				$('charts-err').hidden = false;
			}
			if (r[1] && r[1].ok)
				renderStats(r[1].data);
			else if (r[1])
				notAvailable($('d-stats'), r[1].data &&
				    r[1].data.error ? 'not available: ' +
				    r[1].data.error : undefined);
			if (r[2].ok)
				renderThreads(r[2].data);
			else
				notAvailable($('d-threads'));
		});
	}

	/* --- on-demand profiles and the flame graph -------------------------- */

	/*
	 * "Profile N s" POSTs /api/v1/processes/{pid}/profile, polls
	 * /api/v1/profiles/{id} until it is done, then reads the folded
	 * stacks (/api/v1/profiles/{id}/folded, "thread;main;work;hot 37")
	 * and draws them as a flame graph: an SVG made with DOM calls, one
	 * <g class="frame"> (rect, title, text) per frame, the root at the
	 * bottom, each frame as wide as its share of the samples.  Function
	 * names go in with textContent and setAttribute only.  The duration
	 * is 5 s, or ?profile_s=N (1 to 60) in the page's address.
	 */
	var PROF_HZ = 49;
	var PROF_POLL_MS = 500;
	var FLAME_ROW = 18;
	var FLAME_CHAR = 6.6;	/* px per character of the 11px label font */

	var prof = {
		seconds: profileSeconds(),
		running: null,		/* { pid, id, started, seconds } */
		byPid: new Map(),	/* pid -> { state, msg, data, tree } */
		zoom: null,		/* the node the graph is zoomed to */
		drawn: null,		/* what the flame graph shows now */
	};
	/* The last profile result, for the browser test. */
	window.pwProfile = null;

	function profileSeconds() {
		var v = parseInt(new URLSearchParams(window.location.search)
		    .get('profile_s'), 10);
		return isFinite(v) && v >= 1 && v <= 60 ? v : 5;
	}

	/* A request whose JSON answer, error or not, is wanted. */
	function fetchJSON(path, opts) {
		return fetch(path, Object.assign({ cache: 'no-store' },
		    opts || {})).then(function (r) {
			return r.json().then(function (d) { return d; },
			    function () { return null; }).then(function (d) {
				return { ok: r.ok, status: r.status, data: d };
			});
		}, function () {
			return { ok: false, status: 0, data: null };
		});
	}

	function profSet(pid, s) {
		prof.byPid.set(pid, s);
		if (st.selected === pid)
			prof.zoom = null;
		renderProfile();
	}

	function profError(pid, status, data, what) {
		var msg, err = data && typeof data.error === 'string' ?
		    data.error : '';

		if (status === 401)
			msg = 'Profiling needs the API token: this daemon has an ' +
			    'api_token configured, and the dashboard does not send ' +
			    'one. Start the profile with curl -H \'Authorization: ' +
			    'Bearer <api_token>\' -XPOST -d \'{"seconds":' +
			    prof.seconds + '}\' ' + window.location.origin +
			    '/api/v1/processes/' + pid + '/profile, then read ' +
			    'the "url" it answers, and that url + /folded for ' +
			    'flamegraph.pl.';
		else if (status === 0)
			msg = what + ': the daemon is unreachable.';
		else
			msg = what + ' (HTTP ' + status + ')' + (err ? ': ' + err :
			    '.');
		profSet(pid, { state: 'error', msg: msg });
	}

	function startProfile(pid) {
		if (prof.running)
			return;
		prof.running = { pid: pid, id: null, started: Date.now(),
		    seconds: prof.seconds };
		profSet(pid, { state: 'running' });
		fetchJSON('/api/v1/processes/' + pid + '/profile', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json',
			    'Accept': 'application/json' },
			body: JSON.stringify({ seconds: prof.seconds,
			    hz: PROF_HZ }),
		}).then(function (r) {
			if (r.status !== 202 || !r.data || !isNum(r.data.id)) {
				prof.running = null;
				profError(pid, r.status, r.data,
				    'Cannot profile pid ' + pid);
				return;
			}
			prof.running.id = r.data.id;
			pollProfile(pid, r.data.id,
			    Date.now() + (prof.seconds + 30) * 1000);
		});
	}

	function pollProfile(pid, id, deadline) {
		setTimeout(function () {
			fetchJSON('/api/v1/profiles/' + id).then(function (r) {
				var d = r.data;
				if (r.ok && d && d.status === 'running' &&
				    Date.now() < deadline) {
					renderProfile();
					pollProfile(pid, id, deadline);
					return;
				}
				if (!r.ok || !d || d.status !== 'done') {
					prof.running = null;
					if (r.ok && d && d.status === 'failed')
						profSet(pid, { state: 'error',
						    msg: 'The profile failed: ' +
						    (d.error || 'no reason given') });
					else if (r.ok)
						profSet(pid, { state: 'error', msg:
						    'The profile did not finish in time.' });
					else
						profError(pid, r.status, d,
						    'Cannot read profile ' + id);
					return;
				}
				return getText('/api/v1/profiles/' + id + '/folded')
				    .then(function (text) {
					prof.running = null;
					if (text === null) {
						profSet(pid, { state: 'error', msg:
						    'Cannot read the stacks of profile ' +
						    id + '.' });
						return;
					}
					var res = { state: 'done', data: d,
					    tree: parseFolded(text) };
					window.pwProfile = { pid: pid, id: id,
					    summary: d.summary, folded: text };
					profSet(pid, res);
				});
			});
		}, PROF_POLL_MS);
	}

	/* Folded stacks to a tree: { name, value, self, depth, kids, parent }. */
	function parseFolded(text) {
		var root = { name: 'all', value: 0, self: 0, depth: 0,
		    kids: new Map(), parent: null }, maxDepth = 0;

		text.split('\n').forEach(function (line) {
			var sp = line.lastIndexOf(' '), n, node;
			if (sp <= 0)
				return;
			n = Number(line.slice(sp + 1));
			if (!isFinite(n) || n <= 0)
				return;
			node = root;
			root.value += n;
			line.slice(0, sp).split(';').forEach(function (f) {
				var k = node.kids.get(f);
				if (!k) {
					k = { name: f, value: 0, self: 0,
					    depth: node.depth + 1, kids: new Map(),
					    parent: node };
					node.kids.set(f, k);
				}
				k.value += n;
				node = k;
			});
			node.self += n;
			if (node.depth > maxDepth)
				maxDepth = node.depth;
		});
		root.maxDepth = maxDepth;
		return root;
	}

	/* Warm colours, the same for the same name. */
	function frameColor(node) {
		var h = 0, i, s = node.name;
		if (node.depth === 0)
			return '#d1d5db';
		if (node.depth === 1)
			return '#bfdbfe';	/* the thread */
		for (i = 0; i < s.length; i++)
			h = (h * 31 + s.charCodeAt(i)) >>> 0;
		return 'hsl(' + (8 + h % 42) + ', ' + (72 + h % 18) + '%, ' +
		    (58 + (h >>> 8) % 12) + '%)';
	}

	function frameTitle(node, total) {
		var pct = total > 0 ? 100 * node.value / total : 0;
		var what = node.depth === 0 ? 'all stacks' : node.depth === 1 ?
		    'thread ' + node.name : node.name;
		return what + ' \u2014 ' + node.value + ' sample' +
		    (node.value === 1 ? '' : 's') + ' (' +
		    (pct >= 10 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)) +
		    ' %)' + (node.depth > 1 && node.self > 0 &&
		    node.self !== node.value ? ', ' + node.self + ' self' : '');
	}

	function drawFlame(tree) {
		var box = $('prof-flame'), W = box.clientWidth || 800;
		var rows = tree.maxDepth + 1, H = rows * FLAME_ROW;
		var zoom = prof.zoom || tree, total = tree.value, nodes = [];
		var svg = document.createElementNS(SVGNS, 'svg'), n;

		clear(box);
		if (total <= 0) {
			box.appendChild(el('p', 'na', 'no samples'));
			return;
		}
		svg.setAttribute('class', 'flame-svg');
		svg.setAttribute('width', String(W));
		svg.setAttribute('height', String(H));
		svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
		svg.setAttribute('role', 'img');
		svg.setAttribute('aria-label', 'flame graph');

		function frame(node, x, w, cls) {
			var g = document.createElementNS(SVGNS, 'g');
			var r = document.createElementNS(SVGNS, 'rect');
			var t = document.createElementNS(SVGNS, 'title');
			var y = H - (node.depth + 1) * FLAME_ROW, chars, label;

			g.setAttribute('class', 'frame' + (cls ? ' ' + cls : ''));
			g.setAttribute('data-name', node.name);
			g.setAttribute('data-idx', String(nodes.length));
			if (node.kids.size === 0)
				g.setAttribute('data-leaf', '1');
			nodes.push(node);
			t.textContent = frameTitle(node, total);
			g.appendChild(t);
			r.setAttribute('x', x.toFixed(2));
			r.setAttribute('y', String(y));
			r.setAttribute('width', Math.max(w - 0.5, 0.5).toFixed(2));
			r.setAttribute('height', String(FLAME_ROW - 1));
			r.setAttribute('rx', '2');
			r.setAttribute('fill', frameColor(node));
			g.appendChild(r);
			chars = Math.floor((w - 6) / FLAME_CHAR);
			if (chars >= 3) {
				label = node.depth === 0 ? (zoom === tree ? 'all' :
				    'all (click to zoom out)') : node.name;
				if (label.length > chars)
					label = label.slice(0, chars - 1) + '\u2026';
				var tx = document.createElementNS(SVGNS, 'text');
				tx.setAttribute('x', (x + 3).toFixed(2));
				tx.setAttribute('y', String(y + FLAME_ROW - 5));
				tx.textContent = label;
				g.appendChild(tx);
			}
			svg.appendChild(g);
		}

		function subtree(node, x, w) {
			var kids, cx = x;
			frame(node, x, w, node === tree ? 'root' :
			    node === zoom ? 'focus' : '');
			kids = Array.from(node.kids.values()).sort(function (a, b) {
				return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
			});
			kids.forEach(function (k) {
				var kw = w * k.value / node.value;
				if (kw >= 0.5)
					subtree(k, cx, kw);
				cx += kw;
			});
		}

		/* The zoomed-to frame's callers span the width, dimmed. */
		for (n = zoom.parent; n; n = n.parent)
			frame(n, 0, W, n === tree ? 'anc root' : 'anc');
		subtree(zoom, 0, W);

		svg.addEventListener('mouseover', function (e) {
			var g = e.target.closest && e.target.closest('g.frame');
			if (g)
				$('prof-hover').textContent = frameTitle(
				    nodes[Number(g.getAttribute('data-idx'))], total);
		});
		svg.addEventListener('mouseleave', function () {
			$('prof-hover').textContent = '';
		});
		svg.addEventListener('click', function (e) {
			var g = e.target.closest && e.target.closest('g.frame');
			var node;
			if (!g)
				return;
			node = nodes[Number(g.getAttribute('data-idx'))];
			prof.zoom = node === tree || node === zoom ?
			    (node === zoom && node.parent ? node.parent : null) :
			    node;
			drawFlame(tree);
		});
		box.appendChild(svg);
		prof.drawn = { tree: tree, zoom: prof.zoom, width: W };
	}

	function renderTopSelf(summary) {
		var node = $('prof-top'), list, t, tr, tb;

		clear(node);
		list = summary && Array.isArray(summary.top_self) ?
		    summary.top_self : [];
		if (list.length === 0) {
			notAvailable(node, 'no functions');
			return;
		}
		t = el('table', 'top-self');
		tr = el('tr');
		tr.appendChild(el('th', null, 'function'));
		tr.appendChild(el('th', 'num', 'self samples'));
		tr.appendChild(el('th', 'num', '%'));
		tr.appendChild(el('th', 'bar-h'));
		t.appendChild(el('thead')).appendChild(tr);
		tb = el('tbody');
		list.slice(0, 10).forEach(function (f) {
			var bar = el('div', 'bar'), pct = isNum(f.percent) ?
			    f.percent : 0;
			tr = el('tr');
			tr.appendChild(el('td', 'fn', f.function || '?'));
			tr.appendChild(el('td', 'num', isNum(f.samples) ?
			    String(f.samples) : '–'));
			tr.appendChild(el('td', 'num', fmtNum(f.percent, 1)));
			bar.style.width = Math.max(0, Math.min(100, pct)) + '%';
			var cell = el('td', 'bar-c');
			cell.appendChild(bar);
			tr.appendChild(cell);
			tb.appendChild(tr);
		});
		t.appendChild(tb);
		node.appendChild(t);
	}

	function profInfo(d) {
		var s = d.summary || {}, ov = s.overhead || {}, parts = [];
		parts.push((isNum(s.samples) ? s.samples : '?') + ' samples at ' +
		    d.hz + ' Hz over ' + (isNum(s.duration_s) ?
		    s.duration_s.toFixed(1) : d.seconds) + ' s');
		if (Array.isArray(s.threads))
			parts.push(s.threads.length + ' thread' +
			    (s.threads.length === 1 ? '' : 's'));
		if (isNum(s.samples_lost) && s.samples_lost > 0)
			parts.push(s.samples_lost + ' lost');
		if (isNum(ov.stopped_fraction))
			parts.push('stopped ' + fmtNum(100 * ov.stopped_fraction, 1) +
			    ' % of the time');
		if (s.exited)
			parts.push('the process exited');
		parts.push('at ' + fmtTime(d.started));
		return '(' + parts.join(' · ') + ')';
	}

	/* The profile section of the detail panel, for the selected pid. */
	function renderProfile() {
		var pid = st.selected, r = pid === null ? null :
		    prof.byPid.get(pid), run = prof.running, status = '';
		var btn = $('prof-start'), msg = $('prof-msg');

		btn.textContent = 'Profile ' + prof.seconds + ' s';
		btn.disabled = !!run || pid === null;
		document.querySelectorAll('.bn-profile').forEach(function (b) {
			b.disabled = !!run;
		});
		if (run && run.pid === pid)
			status = 'profiling… ' + Math.min(run.seconds,
			    Math.floor((Date.now() - run.started) / 1000)) +
			    ' of ' + run.seconds + ' s';
		else if (run)
			status = 'a profile of pid ' + run.pid + ' is running';
		$('prof-status').textContent = status;
		if (r && r.state === 'error') {
			msg.textContent = r.msg;
			msg.hidden = false;
		} else
			msg.hidden = true;
		if (!r || r.state !== 'done') {
			$('prof-result').hidden = true;
			$('prof-info').textContent = '';
			prof.drawn = null;
			return;
		}
		$('prof-info').textContent = profInfo(r.data);
		$('prof-result').hidden = false;
		if (!prof.drawn || prof.drawn.tree !== r.tree ||
		    prof.drawn.zoom !== prof.zoom) {
			drawFlame(r.tree);
			renderTopSelf(r.data.summary);
		}
	}

	/* --- side panels ----------------------------------------------------- */

	function alertItem(a) {
		var sev = String(a.severity || 'info');
		var it = el('div', 'item sev-' + sev.replace(/[^a-z]/g, ''));
		var head = el('div', 'head');
		head.appendChild(el('span', 'badge', sev));
		head.appendChild(el('span', 'title', (a.rule || 'alert') +
		    (a.name ? ' · ' + a.name : '') +
		    (isNum(a.pid) ? ' (' + a.pid + ')' : '')));
		head.appendChild(el('span', 'when',
		    fmtTime(a.fired_at || a.started_at)));
		it.appendChild(head);
		var stEl = el('span', 'state ' + String(a.state || '')
		    .replace(/[^a-z]/g, ''), a.state || '');
		var p = el('p');
		p.appendChild(stEl);
		p.appendChild(document.createTextNode(' ' + (a.message ||
		    (isNum(a.value) ? 'value ' + fmtNum(a.value) +
		    (isNum(a.threshold) ? ', threshold ' + fmtNum(a.threshold) :
		    '') : ''))));
		it.appendChild(p);
		if (isNum(a.pid))
			it.addEventListener('click', function () {
				if (st.procs.has(a.pid))
					select(a.pid);
			});
		return it;
	}

	function loadAlerts() {
		return optJSON('alerts', '/api/v1/alerts').then(function (r) {
			if (!st.replay)
				renderAlerts(r, null);
		});
	}

	/* The alerts panel from an answer of /alerts (or /alerts?at=). */
	function renderAlerts(r, at) {
		var node = $('alerts'), list;
		clear(node);
		if (!r.ok || !r.data) {
			$('alert-count').textContent = '';
			notAvailable(node);
			return;
		}
		list = Array.isArray(r.data.alerts) ? r.data.alerts :
		    Array.isArray(r.data) ? r.data : [];
		var rank = { critical: 0, warning: 1, info: 2 };
		list.sort(function (a, b) {
			return (a.state === 'firing' ? 0 : 1) -
			    (b.state === 'firing' ? 0 : 1) ||
			    (rank[a.severity] || 3) - (rank[b.severity] || 3);
		});
		$('alert-count').textContent = '(' + list.length +
		    (at !== null ? ' firing at ' + fmtClock(at) : '') + ')';
		if (list.length === 0)
			node.appendChild(el('p', 'na', 'nothing firing'));
		list.slice(0, 50).forEach(function (a) {
			node.appendChild(alertItem(a));
		});
	}

	/*
	 * Targets as wholes (/api/v1/targets): up or down, processes, CPU and
	 * memory.  A click filters the table to the target's processes.
	 */
	function targetItem(t) {
		var up = t.up === true;
		var it = el('div', 'item target ' + (up ? 'sev-ok' : 'sev-critical'));
		var head = el('div', 'head');
		head.appendChild(el('span', 'badge', up ? 'up' : 'down'));
		head.appendChild(el('span', 'title', String(t.name || '')));
		head.appendChild(el('span', 'when', (isNum(t.processes) ?
		    t.processes : '–') + ' proc'));
		it.appendChild(head);
		/* The group's own CPU counts members gone and children reaped. */
		var own = t.sample && typeof t.sample === 'object';
		var s = own ? t.sample : t, worst = metricOf(s, 'fd_usage', own);
		/* A target's own fields carry the rows' names. */
		it.appendChild(el('p', null, 'CPU ' +
		    fmtMetric('cpu_percent', own ? metricOf(s, 'cpu_percent',
		    true) : t.cpu_percent) + ' % · RSS ' +
		    fmtMetric('rss_bytes', t.rss_bytes) + ' · threads ' +
		    (isNum(t.threads) ? t.threads : '–') + ' · fds ' +
		    (isNum(t.open_fds) ? t.open_fds : '–') +
		    (isNum(worst) ? ' (worst ' + fmtNum(worst * 100) +
		    ' % of its limit)' : '')));
		it.title = (t.selector ? t.selector + ' · ' : '') +
		    'Show only the processes of ' + t.name;
		it.addEventListener('click', function () {
			$('filter').value = String(t.name || '');
			st.filter = $('filter').value.toLowerCase();
			renderTable();
		});
		return it;
	}

	function loadTargets() {
		return optJSON('targets', '/api/v1/targets').then(function (r) {
			if (!st.replay)
				renderTargets(r);
		});
	}

	/*
	 * A target of /api/v1/targets?at= has its group sample only: the
	 * fields targetItem() reads are taken from it.
	 */
	function targetAt(t) {
		var s = t && t.sample && typeof t.sample === 'object' ?
		    t.sample : {}, n = metricOf(s, 'processes', true);
		if (n === null && isNum(s.processes))
			n = s.processes;
		return { name: t.name, sample: s, up: isNum(n) && n > 0,
		    processes: n, rss_bytes: metricOf(s, 'rss_bytes', true),
		    threads: metricOf(s, 'threads', true),
		    open_fds: metricOf(s, 'open_fds', true) };
	}

	function renderTargets(r) {
		var node = $('targets'), list;
		clear(node);
		if (!r.ok || !r.data || !Array.isArray(r.data.targets)) {
			$('target-count').textContent = '';
			notAvailable(node);
			return;
		}
		list = r.data.targets;
		$('target-count').textContent = '(' + list.filter(
		    function (t) { return t.up === true; }).length +
		    ' of ' + list.length + ' up)';
		list.slice(0, 50).forEach(function (t) {
			node.appendChild(targetItem(t));
		});
	}

	/*
	 * The bottlenecks of the last minute, or in replay of the minute up
	 * to the moment (?until=, ranked from the raw samples on disk).
	 */
	function loadBottlenecks(at) {
		var past = isNum(at);
		var path = '/api/v1/bottlenecks?window=1m&limit=10';
		return (past ? fetchJSON(path + '&until=' + isoParam(at)) :
		    optJSON('bottlenecks', path)).then(function (r) {
			var node = $('bottlenecks'), list;
			if (past ? !st.replay || st.at !== at : st.replay)
				return;		/* asked for another moment */
			clear(node);
			$('bn-when').textContent = past ? 'the minute to ' +
			    fmtClock(at) : 'last 1m';
			if (!r.ok || !r.data) {
				notAvailable(node, r.data && r.data.error ?
				    'not available: ' + r.data.error : undefined);
				return;
			}
			list = Array.isArray(r.data.bottlenecks) ?
			    r.data.bottlenecks : Array.isArray(r.data) ? r.data : [];
			if (list.length === 0)
				node.appendChild(el('p', 'na', 'no bottleneck found'));
			list.forEach(function (b) {
				var sev = String(b.severity || 'low');
				var it = el('div', 'item sev-' +
				    sev.replace(/[^a-z]/g, ''));
				var head = el('div', 'head');
				head.appendChild(el('span', 'badge', sev));
				head.appendChild(el('span', 'title', (b.type || '') +
				    ' · ' + (b.name || '') + ' (' + b.pid + ')'));
				if (isNum(b.impact_score))
					head.appendChild(el('span', 'when', 'impact ' +
					    b.impact_score.toFixed(2)));
				it.appendChild(head);
				if (b.description)
					it.appendChild(el('p', null, b.description));
				if (Array.isArray(b.suggestions) &&
				    b.suggestions.length) {
					var ul = el('ul');
					b.suggestions.forEach(function (s) {
						ul.appendChild(el('li', null, s));
					});
					it.appendChild(ul);
				}
				if (isNum(b.pid) && typeof b.profile_url === 'string' &&
				    b.profile_url) {
					var pb = el('button', 'btn bn-profile',
					    'Profile');
					pb.type = 'button';
					pb.title = 'Sample its stacks for ' +
					    prof.seconds + ' s and show a flame graph';
					pb.disabled = !!prof.running;
					pb.addEventListener('click', function (e) {
						e.stopPropagation();
						select(b.pid);
						startProfile(b.pid);
					});
					it.appendChild(pb);
				}
				if (isNum(b.pid))
					it.addEventListener('click', function () {
						if (st.procs.has(b.pid))
							select(b.pid);
					});
				node.appendChild(it);
			});
		});
	}

	/* Daemon figures from /metrics: only unlabelled and quantile lines. */
	var daemonFigures = {};

	function parseMetrics(text) {
		var want = /^(procwatch_(?:sampling_cycle_duration_seconds|samples_total|sample_errors_total|processes_vanished_total|sampling_cycles_total|sampling_seconds_total|sampling_jitter_seconds|processes|targets))(\{[^}]*\})? ([0-9.eE+-]+|NaN)$/;
		var out = {};
		text.split('\n').forEach(function (line) {
			if (line.charCodeAt(0) === 35 /* # */ ||
			    line.indexOf('procwatch_process_') === 0)
				return;
			var m = want.exec(line);
			if (m)
				out[m[1] + (m[2] || '')] = parseFloat(m[3]);
		});
		return out;
	}

	function loadMetrics() {
		return getText('/metrics').then(function (t) {
			if (t)
				daemonFigures = parseMetrics(t);
		});
	}

	function metric(name) {
		return daemonFigures[name];
	}

	function renderHealth(h) {
		var pairs = [], q50, q99, jit;
		if (!h) {
			notAvailable($('health'));
			return;
		}
		pairs.push(['status', h.status || '?']);
		pairs.push(['version', h.version || '?']);
		pairs.push(['uptime', fmtDur(h.uptime_s)]);
		pairs.push(['interval', isNum(h.interval_ms) ?
		    h.interval_ms + ' ms' : '–']);
		pairs.push(['targets', String(h.targets)]);
		pairs.push(['processes', String(h.processes)]);
		pairs.push(['cycles', String(h.cycles)]);
		q50 = metric('procwatch_sampling_cycle_duration_seconds{quantile="0.5"}');
		q99 = metric('procwatch_sampling_cycle_duration_seconds{quantile="0.99"}');
		if (isNum(q50) || isNum(q99))
			pairs.push(['cycle time', 'p50 ' + fmtNum(q50 * 1e3) +
			    ' ms, p99 ' + fmtNum(q99 * 1e3) + ' ms']);
		var secs = metric('procwatch_sampling_seconds_total');
		if (isNum(secs) && isNum(h.uptime_s) && h.uptime_s > 0)
			pairs.push(['sampling cost', fmtNum(100 * secs /
			    h.uptime_s) + ' % of one core']);
		jit = metric('procwatch_sampling_jitter_seconds{quantile="0.99"}');
		if (isNum(jit))
			pairs.push(['start jitter p99', fmtNum(jit * 1e3) + ' ms']);
		var errs = metric('procwatch_sample_errors_total');
		if (isNum(errs))
			pairs.push(['sample errors', String(errs)]);
		setDl($('health'), pairs);
		$('summary').textContent = (h.processes || 0) + ' processes · ' +
		    (h.targets || 0) + ' targets · every ' + h.interval_ms +
		    ' ms · v' + (h.version || '?');
	}

	function loadHealth() {
		return getJSON('/healthz').then(function (r) {
			if (r.ok && r.data && isNum(r.data.interval_ms))
				st.refreshMs = Math.max(MIN_REFRESH_MS,
				    r.data.interval_ms);
			renderHealth(r.ok ? r.data : null);
		});
	}

	/* --- the time range and the replay --------------------------------- */

	var RANGES = { '15m': 900e3, '1h': 3600e3, '6h': 6 * 3600e3,
	    '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
	var REPLAY_STEPS = 600;		/* positions of the slider */
	var RANGE_REFETCH_MS = 10000;	/* a range ending now moves */
	var REPLAY_EVENTS = 100;

	function pad2(n) {
		return (n < 10 ? '0' : '') + n;
	}

	/* ms as a datetime-local input's value, in local time, to the second. */
	function toLocalInput(ms) {
		var d = new Date(ms);
		return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' +
		    pad2(d.getDate()) + 'T' + pad2(d.getHours()) + ':' +
		    pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
	}

	/* A datetime-local value (local time) as ms, or NaN. */
	function fromLocalInput(v) {
		var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?$/
		    .exec(v || '');
		if (!m)
			return NaN;
		return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5],
		    +(m[6] || 0)).getTime();
	}

	function fmtClock(ms) {
		var d = new Date(ms), now = new Date();
		return d.toDateString() === now.toDateString() ?
		    d.toLocaleTimeString() : d.toLocaleString();
	}

	function isoParam(ms) {
		return encodeURIComponent(new Date(ms).toISOString());
	}

	/* [from, to] in ms of the chosen range, or null when live. */
	function rangeSpan() {
		var now = Date.now();
		if (st.range === 'custom')
			return st.custom ? st.custom.slice() : null;
		if (!RANGES[st.range])
			return null;
		return [now - RANGES[st.range], now];
	}

	function showRangeInfo() {
		var span = rangeSpan();
		$('range-info').textContent = span ? fmtClock(span[0]) + ' – ' +
		    fmtClock(span[1]) : 'the charts follow the window buttons';
		$('detail').classList.toggle('ranged', !!span);
	}

	function setRange(name) {
		var now = Date.now();
		if (name !== 'live' && name !== 'custom' && !RANGES[name])
			return;
		if (name === 'live' && st.replay) {
			/* Replay needs a range to move in: leave it first. */
			$('replay-on').checked = false;
			setReplay(false);
		}
		st.range = name;
		document.querySelectorAll('.ranges button').forEach(function (b) {
			b.classList.toggle('on', b.dataset.range === name);
		});
		$('custom-range').hidden = name !== 'custom';
		if (name === 'custom' && !st.custom) {
			st.custom = [now - 3600e3, now];
			$('range-from').value = toLocalInput(st.custom[0]);
			$('range-to').value = toLocalInput(st.custom[1]);
		}
		st.chartKey = null;
		showRangeInfo();
		if (st.replay && st.at !== null)
			setAt(st.at);
		loadDetail();
	}

	function applyCustom() {
		var from = fromLocalInput($('range-from').value);
		var to = fromLocalInput($('range-to').value), err = '';
		if (!isFinite(from) || !isFinite(to))
			err = 'Give both times, to the minute or second.';
		else if (from >= to)
			err = '"from" must be before "to".';
		$('range-err').textContent = err;
		$('range-err').hidden = !err;
		if (err)
			return;
		st.custom = [from, to];
		setRange('custom');
	}

	/* The slider's step: a REPLAY_STEPS-th of the range, a second at least. */
	function replayStep(span) {
		return Math.max(1000, Math.round((span[1] - span[0]) /
		    REPLAY_STEPS / 1000) * 1000);
	}

	function setReplay(on) {
		var span;
		st.replay = on;
		['replay-at', 'replay-back', 'replay-fwd', 'replay-slider']
		    .forEach(function (id) { $(id).disabled = !on; });
		$('replay-events-box').hidden = !on;
		document.body.classList.toggle('replaying', on);
		/* The table's rows belong to one mode: start it afresh. */
		st.procs.clear();
		st.hist.clear();
		renderTable();
		if (!on) {
			st.replaySeq++;		/* answers still coming are stale */
			$('replay-info').textContent = '';
			window.pwReplay = null;
			st.lastBottlenecks = 0;
			refresh();
			return;
		}
		if (st.range === 'live')
			setRange('15m');
		span = rangeSpan();
		setAt(st.at !== null ? st.at : span[1] - 60e3);
	}

	/* Move the replayed moment (clamped to the range) and load it. */
	function setAt(ms) {
		var span = rangeSpan();
		if (!st.replay || !span)
			return;
		if (!isNum(ms))
			ms = span[1];
		ms = Math.min(Math.max(ms, span[0]), span[1]);
		st.at = ms;
		$('replay-at').value = toLocalInput(ms);
		$('replay-slider').value = String(Math.round((ms - span[0]) /
		    (span[1] - span[0]) * REPLAY_STEPS));
		loadReplay();
	}

	function eventItem(e, at) {
		var ts = Date.parse(e.ts), alert = e.kind === 'alert';
		var it = el('div', 'item ev ' + (alert ? (e.type === 'firing' ?
		    'sev-critical' : 'sev-ok') : 'sev-info') +
		    (ts <= at ? ' before' : ' after'));
		var head = el('div', 'head');
		head.appendChild(el('span', 'badge', alert ? e.type || 'alert' :
		    e.type || 'process'));
		head.appendChild(el('span', 'title', (e.name || '') +
		    (isNum(e.pid) ? ' (' + e.pid + ')' : '') +
		    (e.target ? ' · ' + e.target : '')));
		head.appendChild(el('span', 'when', isFinite(ts) ?
		    fmtClock(ts) : String(e.ts || '')));
		it.appendChild(head);
		if (e.detail || isNum(e.value))
			it.appendChild(el('p', null, e.detail ? e.detail :
			    'value ' + fmtNum(e.value)));
		if (isNum(e.pid))
			it.addEventListener('click', function () {
				if (st.procs.has(e.pid))
					select(e.pid);
			});
		return it;
	}

	function renderEvents(r, at, around) {
		var node = $('replay-events'), list;
		clear(node);
		if (!r.ok || !r.data || !Array.isArray(r.data.events)) {
			$('replay-ev-info').textContent = '';
			notAvailable(node, r.data && r.data.error ?
			    'events not available: ' + r.data.error : undefined);
			return;
		}
		list = r.data.events;
		$('replay-ev-info').textContent = '(' + list.length +
		    (r.data.truncated ? '+' : '') + ' within ' +
		    fmtDur(around / 1000) + ' either side)';
		if (list.length === 0)
			node.appendChild(el('p', 'na', 'no events'));
		list.forEach(function (e) {
			node.appendChild(eventItem(e, at));
		});
	}

	/* The table, alerts, targets and events at st.at. */
	function loadReplay() {
		var at = st.at, seq = ++st.replaySeq, q = isoParam(at);
		var span = rangeSpan(), around = Math.max(60e3,
		    Math.round((span[1] - span[0]) / 50));

		$('replay-info').textContent = 'loading…';
		return Promise.all([
			fetchJSON('/api/v1/processes?at=' + q),
			fetchJSON('/api/v1/alerts?at=' + q),
			fetchJSON('/api/v1/targets?at=' + q),
			fetchJSON('/api/v1/events?since=' + isoParam(at - around) +
			    '&until=' + isoParam(at + around) + '&limit=' +
			    REPLAY_EVENTS),
		]).then(function (r) {
			var d = r[0].data, exited = 0;
			if (seq !== st.replaySeq || !st.replay)
				return;
			st.procs.clear();
			st.hist.clear();
			if (!r[0].ok || !d || !Array.isArray(d.processes)) {
				renderTable();
				$('replay-info').textContent = 'Cannot replay ' +
				    fmtClock(at) + ': ' + (d && d.error ? d.error :
				    'HTTP ' + r[0].status);
				window.pwReplay = { at: at, error: true };
			} else {
				d.processes.forEach(function (p) {
					if (p && isNum(p.pid)) {
						st.procs.set(p.pid, p);
						if (p.alive === false)
							exited++;
					}
				});
				renderTable();
				$('replay-info').textContent = st.procs.size +
				    ' processes at ' + fmtClock(at) + ' (' +
				    exited + ' exited since; ' + (d.resolution ||
				    '?') + ' samples from ' + (d.source || '?') +
				    ')';
				window.pwReplay = { at: at, count: st.procs.size,
				    exited: exited, resolution: d.resolution };
			}
			$('conn').className = 'conn replay';
			$('conn').textContent = 'replay at ' + fmtClock(at);
			if (r[1].ok || r[1].status === 404)
				renderAlerts(r[1], at);
			else
				notAvailable($('alerts'), 'alerts at ' + fmtClock(at) +
				    ' not available');
			if (r[2].ok && r[2].data && Array.isArray(r[2].data.targets))
				renderTargets({ ok: true, data: { targets:
				    r[2].data.targets.map(targetAt) } });
			else
				renderTargets(r[2]);
			renderEvents(r[3], at, around);
			loadBottlenecks(at);
			if (st.selected !== null)
				loadDetail();
		});
	}

	function initTime() {
		var slideTimer = null;
		document.querySelectorAll('.ranges button').forEach(function (b) {
			b.addEventListener('click', function () {
				setRange(b.dataset.range);
			});
		});
		$('custom-range').addEventListener('submit', function (e) {
			e.preventDefault();
			applyCustom();
		});
		$('replay-on').addEventListener('change', function (e) {
			setReplay(e.target.checked);
		});
		$('replay-at').addEventListener('change', function (e) {
			var ms = fromLocalInput(e.target.value);
			/* Chromium repeats a change on blur: not a new moment. */
			if (isFinite(ms) && (st.at === null ||
			    Math.floor(st.at / 1000) !== ms / 1000))
				setAt(ms);
		});
		$('replay-slider').addEventListener('input', function (e) {
			var span = rangeSpan(), v = Number(e.target.value);
			if (!span)
				return;
			clearTimeout(slideTimer);	/* one request per pause */
			slideTimer = setTimeout(function () {
				setAt(span[0] + (span[1] - span[0]) * v /
				    REPLAY_STEPS);
			}, 150);
		});
		[['replay-back', -1], ['replay-fwd', 1]].forEach(function (b) {
			$(b[0]).addEventListener('click', function () {
				var span = rangeSpan();
				if (span && st.at !== null)
					setAt(st.at + b[1] * replayStep(span));
			});
		});
		showRangeInfo();
	}

	/* --- the loop -------------------------------------------------------- */

	function refresh() {
		var now = Date.now(), t0 = performance.now(), work = [];

		if (st.busy)
			return Promise.resolve();
		st.busy = true;
		if (now - st.lastMetrics >= METRICS_EVERY_MS) {
			st.lastMetrics = now;
			work.push(loadMetrics());
		}
		if (st.replay)		/* the moment's table stays */
			work.push(loadDetail());
		else {
			work.push(loadProcesses().then(function () {
				return loadDetail();
			}));
			work.push(loadAlerts());
			work.push(loadTargets());
		}
		if (!st.replay &&
		    now - st.lastBottlenecks >= BOTTLENECKS_EVERY_MS) {
			st.lastBottlenecks = now;
			work.push(loadBottlenecks());
		}
		return Promise.all(work).then(function () {
			return loadHealth();
		}).catch(function (e) {
			banner('Dashboard error: ' + (e && e.message ? e.message : e));
		}).then(function () {
			st.busy = false;
			/* How long a whole refresh took, for bench/. */
			window.pwRefreshMs = Math.round(performance.now() - t0);
		});
	}

	/* Start to start, so a slow refresh does not stretch the period. */
	function schedule(started) {
		var wait = st.refreshMs - (Date.now() - (started || Date.now()));
		st.timer = setTimeout(function () {
			var t = Date.now();
			refresh().then(function () { schedule(t); });
		}, Math.max(wait, 50));
	}

	function init() {
		document.querySelectorAll('#proc-table th[data-key]')
		    .forEach(function (th) {
			th.addEventListener('click', function () {
				setSort(th.dataset.key);
			});
		});
		$('filter').addEventListener('input', function (e) {
			st.filter = e.target.value.trim().toLowerCase();
			renderTable();
		});
		document.querySelectorAll('.windows button')
		    .forEach(function (b) {
			b.addEventListener('click', function () {
				st.window = b.dataset.window;
				document.querySelectorAll('.windows button')
				    .forEach(function (x) {
					x.classList.toggle('on', x === b);
				});
				loadDetail();
			});
		});
		$('d-close').addEventListener('click', unselect);
		initTime();
		$('prof-start').addEventListener('click', function () {
			if (st.selected !== null)
				startProfile(st.selected);
		});
		renderProfile();
		var resizeTimer = null;
		window.addEventListener('resize', function () {
			clearTimeout(resizeTimer);
			resizeTimer = setTimeout(function () {
				prof.drawn = null;
				renderProfile();
			}, 150);
		});
		if (typeof window.Dygraph !== 'function') {
			$('banner').dataset.sticky = '1';
			banner('Charts are unavailable: the chart library ' +
			    '(/static/dygraphs/dygraph.min.js) did not load. ' +
			    'Install Debian\'s libjs-dygraphs package, or set ' +
			    '"dygraphs_dir" in the daemon\'s configuration.');
		}
		loadCatalogue().then(function () {
			labelTableHead();
			makeCharts();
			return loadHealth();
		}).then(refresh).then(function () {
			window.pwReady = true;
			schedule();
		});
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', init);
	else
		init();
}());
