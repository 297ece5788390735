// dashboard.test.mjs: the procwatchd dashboard in a real headless browser.
//
// Debian's chromium (/usr/bin/chromium), driven by playwright-core; no
// browser is downloaded.  tests/e2e/browser.sh starts the daemon and the
// target processes and passes them in the environment:
//
//   PW_URL           the daemon's base URL, "http://127.0.0.1:PORT"
//   PW_PIDS          pids the table must list, comma-separated
//   PW_SPIN_PID      a spinning process: clicked, its charts checked
//   PW_HOSTILE_PID   a process whose name and command line are HTML
//   PW_HOSTILE_COMM, PW_HOSTILE_CMD   what they must show as, literally
//   PW_ALERT_RULE    a rule that fires for the spinner (required in
//                    "full" mode: unset is a failure, not a skip)
//   PW_VICTIM_PID    a process killed before the test (its target stays,
//                    down); it was alive at PW_ALIVE_MS and 2 s after
//   PW_T0_MS         a moment before it started and before a restart of
//                    the daemon (a gap in the spinner's history on disk)
//   PW_HOT_FN        the function the spinner spends its time in, the
//                    widest leaf of its flame graph (default "main")
//   PW_PROFILE_S     seconds the "Profile" button samples for (default 1,
//                    passed to the page as ?profile_s=)
//   PW_SCREENSHOT    where to save a screenshot (and, beside it,
//                    NAME-profile.png: the profile section close up)
//   PW_PROFILE       a fresh directory for the browser profile
//   PW_MODE          "full" (default), "nodygraphs" (the chart library
//                    is missing: the page must say so), or "load" (only
//                    time the first complete render of PW_EXPECT_ROWS rows)
//
// Prints "ok - ..." / "not ok - ..." lines; exits 1 if any check failed.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = process.env;
const base = env.PW_URL;
const mode = env.PW_MODE || 'full';
const timeout = Number(env.PW_TIMEOUT_MS || 20000);
let passed = 0, failed = 0;

function ok(cond, what, detail) {
	if (cond) {
		passed++;
		console.log(`ok - ${what}`);
	} else {
		failed++;
		console.log(`not ok - ${what}${detail ? `: ${detail}` : ''}`);
	}
	return cond;
}

async function waitTrue(page, what, fn, arg) {
	try {
		await page.waitForFunction(fn, arg, { timeout, polling: 100 });
		return ok(true, what);
	} catch (e) {
		return ok(false, what, e.message.split('\n')[0]);
	}
}

// A 404 from an API the dashboard treats as optional is not an error of
// the page (Chromium logs every failed fetch to the console).
const optional = /\/api\/v1\/(alerts|bottlenecks|processes\/\d+\/(stats|threads))/;
// Answers the test fakes on purpose (a 401 and a 409 for a profile).
let faked = null;

async function main() {
	if (!base)
		throw new Error('PW_URL is not set');
	const profile = env.PW_PROFILE ||
	    mkdtempSync(join(tmpdir(), 'pw-chromium-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: env.PW_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		    '--disable-quic', '--no-first-run',
		    '--disable-background-networking',
		    '--disable-component-update', '--disable-sync'],
		viewport: { width: 1440, height: 1000 },
	});
	const page = ctx.pages()[0] || await ctx.newPage();
	const errors = [], dialogs = [], ignored = [];
	page.on('console', (m) => {
		if (m.type() !== 'error')
			return;
		const where = m.location() && m.location().url || '';
		if (/status of 404/.test(m.text()) && optional.test(where))
			ignored.push(where);
		else if (faked && faked.test(m.text() + ' ' + where))
			ignored.push(where);
		else
			errors.push(`${m.text()} (${where})`);
	});
	page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
	page.on('dialog', (d) => {
		dialogs.push(`${d.type()}: ${d.message()}`);
		d.dismiss().catch(() => {});
	});

	try {
		if (mode === 'load')
			await loadTime(page);
		else if (mode === 'nodygraphs')
			await noDygraphs(page, errors);
		else
			await full(page, errors, dialogs, ignored);
	} finally {
		await ctx.close();
		if (!env.PW_PROFILE)
			rmSync(profile, { recursive: true, force: true });
	}
}

async function full(page, errors, dialogs, ignored) {
	const pids = (env.PW_PIDS || '').split(',').filter(Boolean).map(Number);
	const spin = Number(env.PW_SPIN_PID);
	const hostile = Number(env.PW_HOSTILE_PID);

	const profS = Number(env.PW_PROFILE_S || 1);
	const resp = await page.goto(base + `/?profile_s=${profS}`,
	    { waitUntil: 'load' });
	ok(resp && resp.status() === 200, 'GET / answers 200');
	ok(await page.evaluate(() => typeof window.Dygraph === 'function'),
	    'Dygraph loaded from /static/dygraphs/');
	await waitTrue(page, 'the table lists every spawned pid',
	    (want) => window.pwReady && want.every((p) =>
	    document.querySelector(`#proc-body tr[data-pid="${p}"]`)), pids);

	// The hostile process: its name and command line are text.
	const h = await page.evaluate((pid) => {
		const tr = document.querySelector(`#proc-body tr[data-pid="${pid}"]`);
		return tr && {
			name: tr.querySelector('td.name').textContent,
			cmd: tr.querySelector('td.cmd').textContent,
		};
	}, hostile);
	ok(h && h.name === env.PW_HOSTILE_COMM,
	    'a hostile process name shows as literal text',
	    JSON.stringify(h && h.name));
	ok(h && h.cmd.includes(env.PW_HOSTILE_CMD),
	    'a hostile command line shows as literal text',
	    JSON.stringify(h && h.cmd));
	const injected = () => document.querySelectorAll(
	    'img, [onerror], [onload], script:not([src])').length;
	ok(await page.evaluate(injected) === 0,
	    'no element was made from process data');

	// Sorting: PID ascending, then CPU descending.
	await page.click('#proc-table th[data-key="pid"]');
	const order = await page.evaluate(() => [...document.querySelectorAll(
	    '#proc-body tr')].map((tr) => Number(tr.dataset.pid)));
	ok(order.length > 1 && order.every((p, i) => i === 0 || order[i - 1] < p),
	    'clicking PID sorts the table by pid');
	await page.click('#proc-table th[data-key="cpu"]');
	await waitTrue(page, 'clicking CPU % sorts the table by CPU, highest first',
	    () => {
		const v = [...document.querySelectorAll('#proc-body td.cpu')]
		    .map((td) => parseFloat(td.textContent) || -1);
		return v.length > 1 && v.every((x, i) => i === 0 || v[i - 1] >= x);
	    });
	await waitTrue(page, 'the spinner row has a CPU sparkline',
	    (p) => {
		const pl = document.querySelector(
		    `#proc-body tr[data-pid="${p}"] polyline`);
		return pl && pl.getAttribute('points').split(' ').length >= 3;
	    }, spin);

	// Clicking a row draws charts that hold the process's samples.
	await page.click(`#proc-body tr[data-pid="${spin}"]`);
	await waitTrue(page, 'clicking a row opens its detail panel',
	    (p) => !document.getElementById('detail').hidden &&
	    document.getElementById('d-pid').textContent === String(p), spin);
	await waitTrue(page, 'the four charts hold data points',
	    () => ['cpu', 'rss', 'fds', 'threads'].every((k) =>
	    window.pwCharts[k] && window.pwCharts[k].numRows() >= 3));
	const cpu = await page.evaluate(() => {
		const g = window.pwCharts.cpu, out = [];
		for (let i = 0; i < g.numRows(); i++)
			out.push((g.getValue(i, 1) || 0) + (g.getValue(i, 2) || 0));
		return out;
	});
	// A busy machine may give the spinner little CPU: a few % will do.
	ok(Math.max(...cpu) > 5, 'the CPU chart shows the spinner busy',
	    `max ${Math.max(...cpu)}`);
	const rss = await page.evaluate(() => window.pwCharts.rss.getValue(
	    window.pwCharts.rss.numRows() - 1, 1));
	ok(rss > 0, 'the RSS chart holds byte values', String(rss));

	for (const w of ['1m', 'all', '5m']) {
		await page.click(`.windows button[data-window="${w}"]`);
		await waitTrue(page, `window ${w} redraws the charts`,
		    (ww) => document.querySelector('.windows button.on')
		    .dataset.window === ww && window.pwCharts.cpu.numRows() >= 1, w);
	}
	await waitTrue(page, 'stats and threads panels answer or say not available',
	    () => ['d-stats', 'd-threads'].every((id) =>
	    document.getElementById(id).childElementCount > 0));

	// The hostile process's detail panel.
	await page.click(`#proc-body tr[data-pid="${hostile}"]`);
	await waitTrue(page, 'the hostile detail panel shows its name as text',
	    (c) => document.getElementById('d-name').textContent === c,
	    env.PW_HOSTILE_COMM);
	ok((await page.textContent('#d-meta')).includes(env.PW_HOSTILE_CMD),
	    'the hostile detail panel shows its command line as text');
	ok(await page.evaluate(injected) === 0,
	    'still no element made from process data');

	// Alerts: the rule browser.sh configured must fire and show.
	ok(!!env.PW_ALERT_RULE, 'PW_ALERT_RULE names the rule that fires ' +
	    'for the spinner');
	await waitTrue(page, 'a firing alert shows in the alerts panel',
	    (rule) => !!rule && [...document.querySelectorAll('#alerts .item')]
	    .some((it) => it.textContent.includes(rule) &&
	    it.textContent.includes('firing')), env.PW_ALERT_RULE || '');
	ok(await page.evaluate(() => document.querySelector(
	    '#alerts .item.sev-critical') !== null),
	    'a critical alert has the critical colour');
	// Targets as wholes; a click filters the table to one of them.
	// Five targets, the killed victim's down.
	await waitTrue(page, 'the targets panel lists every target, up or down',
	    () => document.querySelectorAll('#targets .item.target').length === 5
	    && document.getElementById('target-count').textContent ===
	    '(4 of 5 up)');
	await page.evaluate(() => [...document.querySelectorAll(
	    '#targets .item.target')].find((it) => it.querySelector('.title')
	    .textContent === 'spin').click());
	await waitTrue(page, 'clicking a target shows only its processes',
	    (p) => document.getElementById('filter').value === 'spin' &&
	    [...document.querySelectorAll('#proc-body tr')].every((tr) =>
	    tr.dataset.pid === String(p)), spin);
	await page.fill('#filter', '');
	await page.dispatchEvent('#filter', 'input');
	await waitTrue(page, 'the health panel shows the interval and cycles',
	    () => /interval/.test(document.getElementById('health').textContent)
	    && /cycles/.test(document.getElementById('health').textContent));

	// A screenshot with the spinner selected.
	await page.click(`#proc-body tr[data-pid="${spin}"]`);
	await page.waitForFunction((p) => document.getElementById('d-pid')
	    .textContent === String(p) && window.pwCharts.cpu.numRows() >= 3,
	    spin, { timeout });
	await profileTest(page, spin, profS);
	await page.waitForTimeout(500);
	if (env.PW_SCREENSHOT)
		await shot(page, env.PW_SCREENSHOT);
	await timeTest(page, spin);

	const opt = ignored.filter((u) => optional.test(u));
	if (opt.length)
		console.log(`# ${opt.length} 404s from optional endpoints ` +
		    `not counted, e.g. ${opt[0]}`);
	if (ignored.length > opt.length)
		console.log(`# ${ignored.length - opt.length} faked profile ` +
		    'refusals not counted');
	ok(dialogs.length === 0, 'no dialog was opened', dialogs.join('; '));
	ok(errors.length === 0, 'no console errors, CSP violations or page errors',
	    errors.slice(0, 5).join(' | '));
}

// A full-page screenshot and, unless `only`, the profile section close up.
async function shot(page, path, only) {
	await page.screenshot({ path, fullPage: true });
	console.log(`# screenshot: ${path}`);
	if (only)
		return;
	const close = path.replace(/(\.png)?$/, '-profile.png');
	if (await page.locator('#prof-flame svg').count()) {
		await page.locator('#d-profile').screenshot({ path: close });
		console.log(`# screenshot: ${close}`);
	}
}

// ms as a datetime-local input holds it, in the browser's time zone:
// Chromium drops seconds of 0 (":00"), and playwright's fill wants the
// value as the input will hold it.
function localInput(page, ms) {
	return page.evaluate((t) => {
		const d = new Date(t), p = (n) => String(n).padStart(2, '0');
		return `${d.getFullYear()}-${p(d.getMonth() + 1)}-` +
		    `${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}` +
		    (d.getSeconds() ? `:${p(d.getSeconds())}` : '');
	}, ms);
}

// The time panel, with the spinner selected: a preset range and a custom
// one drive the charts (resolution=auto, the gap of the restart drawn as a
// break); the replay at a moment the victim was alive lists it, marked
// exited, with the events around it; stepping, the slider, and back.
async function timeTest(page, spin) {
	const victim = Number(env.PW_VICTIM_PID);
	const aliveMs = Number(env.PW_ALIVE_MS), t0 = Number(env.PW_T0_MS);
	if (!ok(victim > 0 && aliveMs > 0 && t0 > 0,
	    'PW_VICTIM_PID, PW_ALIVE_MS and PW_T0_MS are set'))
		return;
	const requests = [];
	const onReq = (r) => requests.push(r.url());
	page.on('request', onReq);

	// 15 minutes at 250 ms are 3,600 raw points, over auto's 1,000: the
	// minute tier.
	await page.click('.ranges button[data-range="15m"]');
	await waitTrue(page, 'range 15m: the charts show the resolution the ' +
	    'daemon chose, 1m', (p) => {
		const i = window.pwChartInfo;
		return !!(i && i.range && i.resolution === '1m' &&
		    i.path.includes(`/processes/${p}/samples?`) &&
		    document.getElementById('d-res').textContent
		    .includes(`resolution ${i.resolution}`) &&
		    window.pwCharts.cpu.numRows() >= 1);
	    }, spin);
	ok(requests.some((u) => new RegExp(`/processes/${spin}/samples\\?` +
	    'since=[^&]+&until=[^&]+&resolution=auto$').test(u)),
	    'the charts asked for since, until and resolution=auto');
	const span = await page.evaluate(() => {
		const r = window.pwCharts.cpu.xAxisRange();
		return r[1] - r[0];
	});
	ok(Math.abs(span - 900e3) < 2000, 'the charts span the 15 minutes',
	    String(span));
	ok(await page.isHidden('.windows'),
	    'the live window buttons step aside for a range');

	// From before the restart to now: raw samples, with the restart's gap.
	await page.click('.ranges button[data-range="custom"]');
	await page.fill('#range-from', await localInput(page, t0 - 1000));
	await page.fill('#range-to', await localInput(page, Date.now() + 2000));
	await page.click('#range-apply');
	await waitTrue(page, 'a custom range: raw samples, the gap reported',
	    () => {
		const i = window.pwChartInfo;
		return !!(i && i.range && i.resolution === 'raw' &&
		    i.gaps >= 1 && i.points >= 10 && /resolution raw.*gap/
		    .test(document.getElementById('d-res').textContent));
	    });
	const rss = await page.evaluate(() => {
		const g = window.pwCharts.rss;
		let gaps = 0, vals = 0;
		for (let i = 0; i < g.numRows(); i++)
			if (g.getValue(i, 1) === null)
				gaps++;
			else
				vals++;
		return { gaps, vals };
	});
	ok(rss.gaps >= 1 && rss.vals >= 10,
	    'the RSS chart is broken at the gap, not joined', JSON.stringify(rss));
	await waitTrue(page, 'the statistics are the range\'s, from the history',
	    () => /from the history/.test(
	    document.getElementById('stats-window').textContent) &&
	    document.querySelector('#d-stats table') !== null);
	ok(requests.some((u) => new RegExp(`/processes/${spin}/stats\\?` +
	    'window=\\d+s&until=').test(u)),
	    'the statistics asked for the range\'s window and until');

	// Replay at a moment the victim was alive.
	const at = Math.floor(aliveMs / 1000) * 1000;
	await page.check('#replay-on');
	await page.fill('#replay-at', await localInput(page, at));
	await page.dispatchEvent('#replay-at', 'change');
	await page.locator('#replay-at').blur();
	await waitTrue(page, 'replay: the killed process is listed, marked ' +
	    'exited', ([v, a]) => {
		const r = window.pwReplay;
		const tr = document.querySelector(`#proc-body tr[data-pid="${v}"]`);
		return !!(r && r.at === a && tr && tr.classList.contains('gone') &&
		    tr.lastElementChild.textContent === 'exited');
	    }, [victim, at]);
	ok(requests.some((u) => u.includes('/api/v1/processes?at=' +
	    encodeURIComponent(new Date(at).toISOString()))),
	    'the table came from /api/v1/processes?at=');
	ok(await page.evaluate((p) => {
		const tr = document.querySelector(`#proc-body tr[data-pid="${p}"]`);
		return !!tr && !tr.classList.contains('gone');
	}, spin), 'the spinner is listed then, not marked exited');
	await waitTrue(page, 'the events around it hold the victim\'s exit',
	    (v) => [...document.querySelectorAll('#replay-events .item')]
	    .some((it) => it.textContent.includes(`(${v})`) &&
	    it.querySelector('.badge').textContent === 'exit'), victim);
	ok(/firing at/.test(await page.textContent('#alert-count')) &&
	    requests.some((u) => u.includes('/api/v1/alerts?at=')),
	    'the alerts panel shows what was firing then');
	await waitTrue(page, 'the bottlenecks panel ranks the minute up to it',
	    (a) => document.getElementById('bn-when').textContent ===
	    'the minute to ' + new Date(a).toLocaleTimeString() &&
	    document.getElementById('bottlenecks').childElementCount > 0 &&
	    !/not available/.test(
	    document.getElementById('bottlenecks').textContent), at);
	ok(requests.some((u) => u.includes('/api/v1/bottlenecks?window=1m&' +
	    'limit=10&until=' + encodeURIComponent(new Date(at).toISOString()))),
	    'the past bottlenecks came from ?until= the moment');
	await page.waitForTimeout(1500);
	ok(await page.evaluate(([v, a]) => window.pwReplay.at === a &&
	    !!document.querySelector(`#proc-body tr[data-pid="${v}"]`),
	    [victim, at]), 'the live refresh leaves the replayed table alone');

	await page.click('#replay-fwd');
	await waitTrue(page, 'step forward moves the moment by the step',
	    (a) => window.pwReplay && window.pwReplay.at === a + 1000, at);
	await waitTrue(page, 'the moment\'s input follows the step',
	    (v) => document.getElementById('replay-at').value === v,
	    await localInput(page, at + 1000));
	await page.click('#replay-back');
	await waitTrue(page, 'step back returns to it',
	    (a) => window.pwReplay && window.pwReplay.at === a &&
	    !!document.querySelector('#proc-body tr.gone'), at);
	await page.$eval('#replay-slider', (s) => {
		s.value = s.max;
		s.dispatchEvent(new Event('input', { bubbles: true }));
	});
	await waitTrue(page, 'the slider\'s end is the range\'s end',
	    (a) => window.pwReplay && window.pwReplay.at > a + 5000 &&
	    window.pwReplay.count > 0, at);
	if (env.PW_SCREENSHOT)
		await shot(page, env.PW_SCREENSHOT.replace(/(\.png)?$/,
		    '-replay.png'), true);

	await page.uncheck('#replay-on');
	await waitTrue(page, 'leaving replay: the live table, without the victim',
	    (v) => window.pwReplay === null &&
	    document.getElementById('conn').textContent === 'live' &&
	    document.querySelectorAll('#proc-body tr').length > 0 &&
	    !document.querySelector(`#proc-body tr[data-pid="${v}"]`), victim);
	await page.click('.ranges button[data-range="live"]');
	await waitTrue(page, 'live: the window buttons are back',
	    () => !!document.querySelector('.windows').offsetParent);
	page.off('request', onReq);
}

// The spinner's "Profile" button: refusals the daemon may give (faked
// here: this daemon has no token), then a real profile and its flame graph.
async function profileTest(page, spin, profS) {
	const hot = env.PW_HOT_FN || 'main';
	const btn = '#prof-start';
	const label = (await page.textContent(btn)).trim();
	ok(label === `Profile ${profS} s`,
	    'the profile button names its duration from ?profile_s=', label);

	const route = '**/api/v1/processes/*/profile';
	faked = /status of (401|409).*\/profile/;
	for (const [status, error, want] of [
	    [401, 'unauthorized: this request needs Authorization: Bearer ' +
	     '<api_token>', /needs the API token.*curl -H 'Authorization: Bearer/],
	    [409, 'a profile is already running: one at a time',
	     /HTTP 409\): a profile is already running: one at a time/]]) {
		await page.route(route, (r) => r.fulfill({ status,
		    contentType: 'application/json',
		    body: JSON.stringify({ error }) }));
		await page.click(btn);
		await waitTrue(page, `a ${status} answer to Profile is explained`,
		    (re) => !document.getElementById('prof-msg').hidden &&
		    new RegExp(re).test(
		    document.getElementById('prof-msg').textContent) &&
		    !document.getElementById('prof-start').disabled, want.source);
		await page.unroute(route);
	}

	const t0 = Date.now();
	await page.click(btn);
	ok(await page.evaluate(() => document.getElementById('prof-start')
	    .disabled), 'the profile button is disabled while profiling');
	if (!await waitTrue(page, 'Profile draws a flame graph with frames',
	    () => document.querySelectorAll('#prof-flame g.frame rect')
	    .length >= 1 && document.getElementById('prof-msg').hidden))
		return;
	console.log(`# profile of ${profS} s shown after ${Date.now() - t0} ms`);
	const leaf = await page.evaluate(() => {
		let best = null, bw = -1;
		for (const g of document.querySelectorAll(
		    '#prof-flame g.frame[data-leaf]')) {
			const w = Number(g.querySelector('rect').getAttribute('width'));
			if (w > bw) {
				bw = w;
				best = g;
			}
		}
		return best && { idx: best.getAttribute('data-idx'), width: bw,
		    title: best.querySelector('title').textContent,
		    label: (best.querySelector('text') || {}).textContent || '',
		    svgWidth: Number(best.ownerSVGElement.getAttribute('width')) };
	});
	ok(leaf && leaf.title.startsWith(`${hot} \u2014 `) &&
	    /\d+ samples? \([\d.]+ %\)/.test(leaf.title),
	    `the widest leaf frame is ${hot}, titled "name \u2014 N samples (P %)"`,
	    JSON.stringify(leaf));
	ok(leaf && leaf.label === hot, 'the widest leaf frame is labelled',
	    leaf && leaf.label);
	ok(leaf && leaf.width > leaf.svgWidth / 2,
	    'the spinner\'s hot frame spans most of the graph',
	    leaf && `${leaf.width} of ${leaf.svgWidth}`);
	await waitTrue(page, 'the top functions list the hot function',
	    (f) => [...document.querySelectorAll('#prof-top td.fn')]
	    .some((td) => td.textContent === f), hot);
	ok(/\d+ samples at \d+ Hz/.test(await page.textContent('#prof-info')),
	    'the profile summary line shows samples and rate');

	// Zoom in on the hot frame, out again from the root.
	const sel = `#prof-flame g.frame[data-idx="${leaf.idx}"]`;
	await page.click(sel);
	await waitTrue(page, 'clicking a frame zooms to it',
	    () => document.querySelector('#prof-flame g.frame.focus') !== null);
	await page.click('#prof-flame g.frame.root');
	await waitTrue(page, 'clicking the root zooms out',
	    () => !document.querySelector('#prof-flame g.frame.focus') &&
	    !document.querySelector('#prof-flame g.frame.anc'));
	// Hover the hot frame, so the screenshot shows its details line.
	const sel2 = '#prof-flame g.frame[data-leaf] rect';
	const widest = await page.evaluate((s) => {
		let bi = 0, bw = -1;
		document.querySelectorAll(s).forEach((r, i) => {
			const w = Number(r.getAttribute('width'));
			if (w > bw) { bw = w; bi = i; }
		});
		return bi;
	}, sel2);
	await page.locator(sel2).nth(widest).hover();
	await waitTrue(page, 'hovering a frame shows its samples',
	    (f) => document.getElementById('prof-hover').textContent
	    .startsWith(f + ' \u2014 '), hot);
	faked = null;
}

async function noDygraphs(page, errors) {
	const resp = await page.goto(base + '/', { waitUntil: 'load' });
	const refused = /status of 400/;
	ok(resp && resp.status() === 200, 'GET / answers 200 without Dygraph');
	await waitTrue(page, 'the page says the chart library is missing',
	    () => !document.getElementById('banner').hidden &&
	    /libjs-dygraphs/.test(document.getElementById('banner').textContent));
	await waitTrue(page, 'the table still fills without charts',
	    () => window.pwReady &&
	    document.querySelectorAll('#proc-body tr').length > 0);
	// This daemon keeps no history on disk: replay says why it cannot.
	await page.check('#replay-on');
	await waitTrue(page, 'replay without a history on disk says why',
	    () => /^Cannot replay .+: .*(memory|disk|history)/i.test(
	    document.getElementById('replay-info').textContent) &&
	    document.querySelectorAll('#proc-body tr').length === 0);
	await page.uncheck('#replay-on');
	await waitTrue(page, 'and the live table comes back',
	    () => document.querySelectorAll('#proc-body tr').length > 0);
	const other = errors.filter((e) => !/dygraph/.test(e) &&
	    !/status of 404/.test(e) && !refused.test(e));
	ok(other.length === 0, 'no errors but the missing library',
	    other.join(' | '));
}

async function loadTime(page) {
	const rows = Number(env.PW_EXPECT_ROWS || 1);
	const t0 = Date.now();
	await page.goto(base + '/', { waitUntil: 'load' });
	const tLoad = Date.now() - t0;
	await page.waitForFunction((n) => window.pwReady &&
	    document.querySelectorAll('#proc-body tr').length >= n, rows,
	    { timeout: 120000, polling: 50 });
	const tReady = Date.now() - t0;
	const nav = await page.evaluate(() => {
		const n = performance.getEntriesByType('navigation')[0];
		return n ? Math.round(n.domContentLoadedEventEnd) : null;
	});
	// One more refresh, timed inside the page.
	const tick = await page.evaluate(async () => {
		const t = performance.now();
		const r = await fetch('/api/v1/processes', { cache: 'no-store' });
		const d = await r.json();
		return { ms: Math.round(performance.now() - t),
		    n: d.processes.length };
	});
	console.log(`# dashboard load: ${tReady} ms until ${rows}+ rows shown ` +
	    `(load event ${tLoad} ms, DOMContentLoaded ${nav} ms); ` +
	    `/api/v1/processes fetch+parse ${tick.ms} ms for ${tick.n} processes`);
	// A steady-state refresh (table, alerts, health), as the page timed it.
	await page.waitForTimeout(3000);
	const refresh = await page.evaluate(() => [window.pwRefreshMs,
	    window.pwRenderMs]);
	console.log(`# dashboard refresh: ${refresh[0]} ms per refresh of ` +
	    `${rows}+ rows, ${refresh[1]} ms of it updating the table`);
	if (env.PW_SCREENSHOT)
		await page.screenshot({ path: env.PW_SCREENSHOT });
	ok(true, `dashboard rendered ${rows} rows`);
}

main().then(() => {
	console.log(`# browser: ${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}, (e) => {
	console.log(`not ok - browser test crashed: ${e.stack || e}`);
	process.exit(1);
});
