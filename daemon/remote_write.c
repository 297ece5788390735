/*
 * daemon/remote_write.c: the push senders (remote_write.h): Prometheus
 * remote write and OTLP/HTTP share this machinery (queue or history
 * cursor, retries, catch-up, counters); only the encoding and the URLs
 * differ (rw_encode.c, otlp_encode.c).
 *
 * DESIGN: one thread per destination, each with a blocking libcurl easy
 * handle (a sender waits for its own answer anyway: the next request must
 * not overtake this one, or the receiver sees a series out of order).
 * A cycle is encoded (rw_encode.c) into requests of max_samples_per_send
 * samples; each request is retried with exponential backoff and jitter
 * until it is taken (2xx) or refused (4xx but 429: counted as dropped,
 * logged once in a while with the receiver's reason, never retried:
 * "out of order" or "too old" will not get better).  Only then does the
 * sender move to the next cycle and save its position.
 *
 * Threads: the sampler calls rw_cycle(); each sender its loop; HTTP
 * threads rw_stats().  Each remote's mutex guards its queue, its stop
 * flag and its counters.
 */
#include <config.h>	/* autoconf's */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <procwatch/monitor.h>

#include "daemon/log.h"
#include "daemon/otlp_encode.h"
#include "daemon/remote_write.h"
#include "daemon/rw_encode.h"
#include "lib/history.h"
#include "lib/pwutil.h"

#define POLL_MS		200		/* a sender's wait for a new cycle */
#define LOG_EVERY_MS	30000		/* a failing sender's log lines */
#define ERRBODY_MAX	256		/* of a refusal, for the log */

/* A queued cycle (memory-only), shared by the senders. */
struct qcycle {
	struct pw_hist_cycle	*c;
	atomic_int		 refs;
};

struct remote {
	const struct config_remote *cfg;
	struct remote_writer	*w;
	pthread_t		 thread;
	bool			 running;
	char			**ext;		/* sorted name, value pairs */
	size_t			 next;
	char			*pos_path;	/* NULL: no position saved */
	char			*url_metrics;	/* otlp: ENDPOINT/v1/metrics */
	char			*url_logs;	/* otlp: ENDPOINT/v1/logs */
	int64_t			 ev_since;	/* otlp, with a history: the
						   events sent are before it */

	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	bool			 stop;		/* under mu */
	struct qcycle		**q;		/* under mu: a ring */
	size_t			 qhead, qlen, qcap;
	/* under mu, for rw_stats() */
	uint64_t		 sent, failed, dropped;
	int64_t			 sending_ts;	/* the cycle going out; 0 */
	int64_t			 interval_ms;	/* of the last cycle */

	/* the sender's own */
	CURL			*easy;
	struct curl_slist	*hdrs;
	int64_t			 last_log_ms;
	unsigned		 seed;
	char			 errbody[ERRBODY_MAX];
	size_t			 errlen;
};

struct remote_writer {
	const struct config	*cfg;
	struct pw_history	*history;
	struct rw_select	 sel;
	struct remote		*r;
	size_t			 nr;
	char			 host[256];
};

static void
qcycle_put(struct qcycle *q)
{
	if (q != NULL && atomic_fetch_sub(&q->refs, 1) == 1) {
		pw_hist_cycle_free(q->c);
		free(q);
	}
}

static bool	stopping(struct remote *);

/* How the config and the log name the destination's kind. */
static const char *
proto_name(const struct remote *r)
{
	return r->cfg->protocol == PUSH_OTLP ? "otlp" : "remote_write";
}

/* --- configuration ---------------------------------------------------------- */

static int
ext_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The external labels, sorted by name, with instance (the host name)
 * unless the config names one.
 */
static int
ext_build(struct remote *r, const char *host)
{
	const struct config_remote *c = r->cfg;
	size_t n = c->next_labels, i;
	bool has_instance = false;
	char *(*pairs)[2];

	for (i = 0; i < n; i++)
		has_instance |= strcmp(c->ext_labels[2 * i], "instance") == 0;
	if ((pairs = calloc(n + 1, sizeof(*pairs))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		pairs[i][0] = c->ext_labels[2 * i];
		pairs[i][1] = c->ext_labels[2 * i + 1];
	}
	if (!has_instance) {
		pairs[n][0] = (char *)"instance";
		pairs[n++][1] = (char *)host;
	}
	qsort(pairs, n, sizeof(*pairs), ext_cmp);
	if ((r->ext = calloc(2 * n + 1, sizeof(char *))) == NULL) {
		free(pairs);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		r->ext[2 * i] = pairs[i][0];
		r->ext[2 * i + 1] = pairs[i][1];
	}
	r->next = n;
	free(pairs);
	return 0;
}

static size_t
keep_errbody(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct remote *r = arg;
	size_t n = size * nmemb, k;

	k = n < sizeof(r->errbody) - 1 - r->errlen ? n :
	    sizeof(r->errbody) - 1 - r->errlen;
	memcpy(r->errbody + r->errlen, ptr, k);
	r->errlen += k;
	r->errbody[r->errlen] = '\0';
	return n;
}

/* libcurl's progress callback: a stopping sender gives up its request. */
static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return stopping(arg) ? 1 : 0;
}

static int
easy_setup(struct remote *r)
{
	const struct config_remote *c = r->cfg;
	struct curl_slist *t;
	char line[512];
	size_t i;
	static const char *const fixed[] = {
		"Content-Type: application/x-protobuf",
		"Content-Encoding: snappy",
		"X-Prometheus-Remote-Write-Version: 0.1.0",
	};
	/* OTLP/HTTP: protobuf, not compressed. */
	size_t nfixed = c->protocol == PUSH_OTLP ? 1 : NELEM(fixed);

	if ((r->easy = curl_easy_init()) == NULL)
		return -ENOMEM;
	for (i = 0; i < nfixed; i++) {
		if ((t = curl_slist_append(r->hdrs, fixed[i])) == NULL)
			return -ENOMEM;
		r->hdrs = t;
	}
	for (i = 0; i < c->nheaders; i++) {
		if ((t = curl_slist_append(r->hdrs, c->headers[i])) == NULL)
			return -ENOMEM;
		r->hdrs = t;
	}
	if (c->bearer_token != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s",
		    c->bearer_token);
		t = curl_slist_append(r->hdrs, line);
		explicit_bzero(line, sizeof(line));
		if (t == NULL)
			return -ENOMEM;
		r->hdrs = t;
	}
	if (curl_easy_setopt(r->easy, CURLOPT_URL, c->url) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs) !=
	    CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS,
	    (long)c->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_USERAGENT,
	    "procwatchd/" PACKAGE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, keep_errbody) !=
	    CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_XFERINFOFUNCTION, on_progress) !=
	    CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_XFERINFODATA, r) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	    curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK)
		return -ENOMEM;
	if (c->basic_user != NULL &&
	    (curl_easy_setopt(r->easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC) !=
	    CURLE_OK || curl_easy_setopt(r->easy, CURLOPT_USERNAME,
	    c->basic_user) != CURLE_OK || curl_easy_setopt(r->easy,
	    CURLOPT_PASSWORD, c->basic_password) != CURLE_OK))
		return -ENOMEM;
	if (c->tls_ca_file != NULL && curl_easy_setopt(r->easy,
	    CURLOPT_CAINFO, c->tls_ca_file) != CURLE_OK)
		return -ENOMEM;
	return 0;
}

/* --- the position, with a history ----------------------------------------- */

static int64_t
pos_load(const struct remote *r)
{
	char buf[32];
	ssize_t n;
	int fd;

	if (r->pos_path == NULL ||
	    (fd = open(r->pos_path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

static void
pos_save(const struct remote *r, int64_t pos)
{
	char tmp[PATH_MAX], buf[32];
	int fd, n;

	if (r->pos_path == NULL || pos <= 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->pos_path);
	n = snprintf(buf, sizeof(buf), "%" PRId64 "\n", pos);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return;
	if (write(fd, buf, (size_t)n) != n || close(fd) != 0 ||
	    rename(tmp, r->pos_path) != 0)
		unlink(tmp);
}

/* --- sending ---------------------------------------------------------------- */

static bool
stopping(struct remote *r)
{
	bool s;

	pthread_mutex_lock(&r->mu);
	s = r->stop;
	pthread_mutex_unlock(&r->mu);
	return s;
}

/* Sleep up to ms, or less if told to stop.  Returns true if stopping. */
static bool
nap(struct remote *r, int64_t ms)
{
	struct timespec ts;
	bool s;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->mu);
	if (!r->stop)
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	s = r->stop;
	pthread_mutex_unlock(&r->mu);
	return s;
}

/* Rate-limited: a dead receiver must not flood the log. */
static void
note_failure(struct remote *r, const char *what)
{
	int64_t now = pw_wall_ms();

	if (now - r->last_log_ms < LOG_EVERY_MS)
		return;
	r->last_log_ms = now;
	log_warnx("%s %s: %s", proto_name(r), r->cfg->name, what);
}

/*
 * Send one request (to url; NULL: the one set) until it is taken or
 * refused, or the sender stops: nonzero stops the encoding.
 */
static int
send_req(struct remote *r, const char *url, const void *body, size_t len,
    size_t nsamples)
{
	unsigned attempt = 0, shift;
	uint64_t d;
	char what[ERRBODY_MAX + 64];
	long status = 0;
	CURLcode cc;

	for (;;) {
		if (stopping(r))
			return 1;
		r->errlen = 0;
		r->errbody[0] = '\0';
		if ((url != NULL && curl_easy_setopt(r->easy, CURLOPT_URL,
		    url) != CURLE_OK) ||
		    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, body) !=
		    CURLE_OK || curl_easy_setopt(r->easy,
		    CURLOPT_POSTFIELDSIZE, (long)len) != CURLE_OK)
			return -ENOMEM;
		cc = curl_easy_perform(r->easy);
		status = 0;
		if (cc == CURLE_OK)
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
			    &status);
		if (cc == CURLE_OK && status >= 200 && status <= 299) {
			pthread_mutex_lock(&r->mu);
			r->sent += nsamples;
			pthread_mutex_unlock(&r->mu);
			return 0;
		}
		if (cc == CURLE_OK && status >= 400 && status <= 499 &&
		    status != 429) {
			/* Refused for good: say why, and go on. */
			pthread_mutex_lock(&r->mu);
			r->dropped += nsamples;
			pthread_mutex_unlock(&r->mu);
			snprintf(what, sizeof(what), "the receiver refused "
			    "%zu sample(s) (HTTP %ld): %.*s", nsamples, status,
			    (int)strcspn(r->errbody, "\r\n"), r->errbody);
			note_failure(r, what);
			return 0;
		}
		pthread_mutex_lock(&r->mu);
		r->failed++;
		pthread_mutex_unlock(&r->mu);
		if (cc != CURLE_OK)
			snprintf(what, sizeof(what), "%s; retrying",
			    curl_easy_strerror(cc));
		else
			snprintf(what, sizeof(what), "HTTP %ld; retrying",
			    status);
		note_failure(r, what);
		shift = attempt < 20 ? attempt : 20;
		attempt++;
		d = (uint64_t)r->cfg->backoff_ms << shift;
		if (d > r->cfg->backoff_max_ms)
			d = r->cfg->backoff_max_ms;
		d = d / 2 + (uint64_t)rand_r(&r->seed) % (d / 2 + 1);
		if (nap(r, (int64_t)d))
			return 1;
	}
}

/* The emitter of rw_encode_cycle(). */
static int
send_body(void *arg, const void *body, size_t len, size_t nsamples)
{
	return send_req(arg, NULL, body, len, nsamples);
}

/* The emitter of the otlp_encode_*() functions. */
static int
send_otlp(void *arg, enum otlp_signal sig, const void *body, size_t len,
    size_t npoints)
{
	struct remote *r = arg;

	return send_req(r, sig == OTLP_LOGS ? r->url_logs : r->url_metrics,
	    body, len, npoints);
}

/*
 * OTLP's logs, with a history: the process events before until_ms, two
 * intervals behind the cycle going out, whose events are on disk by then
 * (a cycle's events are written after its values).
 */
static int
send_history_events(struct remote *r, int64_t until_ms)
{
	struct pw_hist_event *ev = NULL;
	size_t n = 0;
	int rc;

	if (until_ms <= r->ev_since)
		return 0;
	if ((rc = pw_history_events(r->w->history, r->ev_since, until_ms,
	    1u << PW_HIST_EV_PROCESS, &ev, &n)) < 0)
		return rc;
	rc = otlp_encode_events(ev, n, r->w->host, r->cfg->max_samples,
	    send_otlp, r);
	free(ev);
	if (rc == 0)
		r->ev_since = until_ms;
	return rc;
}

/* How far behind the cycle going out its events are sent. */
static int64_t
events_lag_ms(const struct remote *r, const struct pw_hist_cycle *c)
{
	int64_t iv = pw_hist_cycle_interval(c);

	return 2 * (iv > 0 ? iv : (int64_t)r->w->cfg->mon.interval_ms);
}

/* One cycle out; false when stopping. */
static bool
send_cycle(struct remote *r, const struct pw_hist_cycle *c)
{
	size_t i, n;
	int rc;

	if (r->cfg->protocol != PUSH_OTLP) {
		rc = rw_encode_cycle(c, &r->w->sel, (const char *const *)r->ext,
		    r->next, r->cfg->max_samples, send_body, r, NULL);
	} else {
		rc = otlp_encode_metrics(c, &r->w->sel, r->w->host,
		    r->cfg->max_samples, send_otlp, r);
		if (rc == 0 && r->w->history != NULL)
			rc = send_history_events(r, pw_hist_cycle_ts(c) -
			    events_lag_ms(r, c));
		else if (rc == 0) {
			/* Memory-only: the cycle carries its exits. */
			n = pw_hist_cycle_nevents(c);
			for (i = 0; i < n && rc == 0; i++)
				rc = otlp_encode_events(pw_hist_cycle_event(c,
				    i), 1, r->w->host, 1, send_otlp, r);
		}
	}
	if (rc < 0)
		note_failure(r, "out of memory encoding a cycle");
	return rc <= 0;
}

/* The next queued cycle (memory-only), or NULL after POLL_MS. */
static struct qcycle *
queue_take(struct remote *r)
{
	struct qcycle *q = NULL;

	pthread_mutex_lock(&r->mu);
	if (r->qlen == 0 && !r->stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	}
	if (r->qlen > 0 && !r->stop) {
		q = r->q[r->qhead];
		r->q[r->qhead] = NULL;
		r->qhead = (r->qhead + 1) % r->qcap;
		r->qlen--;
	}
	pthread_mutex_unlock(&r->mu);
	return q;
}

/* Catching up: at most catchup_cycles_per_s.  True if stopping. */
static bool
pace(struct remote *r, int64_t ts_ms, int64_t interval_ms)
{
	if (pw_wall_ms() - ts_ms <= 2 * (interval_ms > 0 ? interval_ms : 1000))
		return false;			/* current */
	return nap(r, 1000 / (int64_t)r->cfg->catchup_per_s);
}

/* The cycle going out now (0: none), for rw_stats(). */
static void
note_sending(struct remote *r, int64_t ts_ms, int64_t interval_ms)
{
	pthread_mutex_lock(&r->mu);
	r->sending_ts = ts_ms;
	if (interval_ms > 0)
		r->interval_ms = interval_ms;
	pthread_mutex_unlock(&r->mu);
}

static void *
sender_history(struct remote *r)
{
	const struct pw_hist_cycle *c;
	struct pw_hist_cursor *cur = NULL;
	int64_t pos, ts;
	int rc;

	/* A new destination starts now, not with the whole history. */
	if ((pos = pos_load(r)) <= 0)
		pos = pw_wall_ms() - 2000;
	/* The events were sent up to two intervals before pos. */
	r->ev_since = pos - 2 * (int64_t)r->w->cfg->mon.interval_ms;
	while (!stopping(r) &&
	    (rc = pw_hist_cursor_new(r->w->history, pos, &cur)) < 0) {
		note_failure(r, "cannot read the history; retrying");
		if (nap(r, 1000))
			return NULL;
	}
	while (cur != NULL && !stopping(r)) {
		if ((rc = pw_hist_cursor_next(cur, &c)) <= 0) {
			if (rc < 0)
				note_failure(r, "reading the history failed");
			note_sending(r, 0, 0);		/* current */
			if (nap(r, POLL_MS))
				break;
			continue;
		}
		ts = pw_hist_cycle_ts(c);
		note_sending(r, ts, pw_hist_cycle_interval(c));
		if (!send_cycle(r, c))
			break;
		/*
		 * The oldest unsent is now the next cycle, an interval on
		 * (none yet if that is still to come): not 0, or a scrape
		 * between two cycles of a backlog would read it as current.
		 */
		note_sending(r, ts + pw_hist_cycle_interval(c),
		    pw_hist_cycle_interval(c));
		/*
		 * After every cycle taken (a rename, no fsync: tens of us at
		 * the default pace of at most 20 a second): a kill -9 then
		 * sends again at most the cycle in flight, which a receiver
		 * that has it refuses as out of order (every 5 s, it was a
		 * few hundred samples refused in remote_write.sh).
		 */
		pos = ts;
		pos_save(r, pos);
		if (pace(r, ts, pw_hist_cycle_interval(c)))
			break;
	}
	pos_save(r, pos);
	pw_hist_cursor_free(cur);
	return NULL;
}

static void *
sender_memory(struct remote *r)
{
	struct qcycle *q;
	int64_t ts;

	while (!stopping(r)) {
		if ((q = queue_take(r)) == NULL)
			continue;
		ts = pw_hist_cycle_ts(q->c);
		note_sending(r, ts, pw_hist_cycle_interval(q->c));
		if (!send_cycle(r, q->c)) {
			qcycle_put(q);
			break;
		}
		note_sending(r, 0, 0);
		qcycle_put(q);
	}
	return NULL;
}

static void *
sender(void *arg)
{
	struct remote *r = arg;

	pthread_setname_np(pthread_self(), r->cfg->protocol == PUSH_OTLP ?
	    "pw-otlp" : "pw-rwrite");
	return r->w->history != NULL ? sender_history(r) : sender_memory(r);
}

/* --- the sampler's side ---------------------------------------------------- */

void
rw_cycle(struct remote_writer *w, struct pw_monitor *m, int64_t now_ms)
{
	struct qcycle *q;
	struct remote *r;
	size_t i, at;

	if (w == NULL || w->nr == 0)
		return;
	if (w->history != NULL) {	/* the senders poll their cursors */
		for (i = 0; i < w->nr; i++)
			pthread_cond_signal(&w->r[i].cv);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->c = pw_hist_cycle_new(now_ms,
	    (int64_t)w->cfg->mon.interval_ms)) == NULL ||
	    pw_hist_cycle_from_store(q->c, pw_monitor_store(m)) < 0) {
		if (q != NULL)
			pw_hist_cycle_free(q->c);
		free(q);
		for (i = 0; i < w->nr; i++) {
			pthread_mutex_lock(&w->r[i].mu);
			w->r[i].dropped++;
			pthread_mutex_unlock(&w->r[i].mu);
		}
		return;
	}
	atomic_store(&q->refs, (int)w->nr);
	for (i = 0; i < w->nr; i++) {
		r = &w->r[i];
		pthread_mutex_lock(&r->mu);
		if (r->qlen == r->qcap) {	/* full: the oldest goes */
			qcycle_put(r->q[r->qhead]);
			r->q[r->qhead] = NULL;
			r->qhead = (r->qhead + 1) % r->qcap;
			r->qlen--;
			r->dropped++;
		}
		at = (r->qhead + r->qlen) % r->qcap;
		r->q[at] = q;
		r->qlen++;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
}

static char *
url_join(const char *base, const char *path)
{
	size_t len = strlen(base) + strlen(path) + 1;
	char *u;

	if ((u = malloc(len)) != NULL)
		snprintf(u, len, "%s%s", base, path);
	return u;
}

/* --- life ------------------------------------------------------------------- */

struct remote_writer *
rw_new(const struct config *cfg, struct pw_history *history, char *err,
    size_t errlen)
{
	struct remote_writer *w;
	struct remote *r;
	const struct config_remote *rc;
	size_t i, len;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto oom;
	w->cfg = cfg;
	w->history = history;
	w->sel.mode = (int)cfg->process_metrics;
	w->sel.top = cfg->process_metrics_top;
	if (gethostname(w->host, sizeof(w->host) - 1) < 0)
		snprintf(w->host, sizeof(w->host), "localhost");
	if (cfg->nremotes + cfg->notlp > 0 && (w->r = calloc(cfg->nremotes +
	    cfg->notlp, sizeof(*w->r))) == NULL)
		goto oom;
	for (i = 0; i < cfg->nremotes + cfg->notlp; i++) {
		r = &w->r[i];
		rc = i < cfg->nremotes ? &cfg->remotes[i] :
		    &cfg->otlp[i - cfg->nremotes];
		r->cfg = rc;
		r->w = w;
		r->seed = (unsigned)pw_wall_ms() ^ (unsigned)i;
		pthread_mutex_init(&r->mu, NULL);
		pthread_cond_init(&r->cv, NULL);
		w->nr++;
		r->qcap = r->cfg->queue_cycles;
		if ((r->q = calloc(r->qcap, sizeof(*r->q))) == NULL ||
		    ext_build(r, w->host) < 0 || easy_setup(r) < 0)
			goto oom;
		if (rc->protocol == PUSH_OTLP &&
		    ((r->url_metrics = url_join(rc->url, "/v1/metrics")) ==
		    NULL || (r->url_logs = url_join(rc->url, "/v1/logs")) ==
		    NULL))
			goto oom;
		if (history != NULL && cfg->state_dir != NULL) {
			len = strlen(cfg->state_dir) + strlen(r->cfg->name) +
			    32;
			if ((r->pos_path = malloc(len)) == NULL)
				goto oom;
			snprintf(r->pos_path, len, "%s/%s-%s.pos",
			    cfg->state_dir, proto_name(r), r->cfg->name);
			/* A name is a path component: no '/' in it. */
			for (char *p = r->pos_path + strlen(cfg->state_dir) + 1;
			    *p != '\0'; p++)
				if (*p == '/')
					*p = '_';
		}
	}
	return w;
oom:
	snprintf(err, errlen, "remote_write/otlp: out of memory");
	rw_free(w);
	return NULL;
}

int
rw_start(struct remote_writer *w)
{
	size_t i;
	int rc;

	for (i = 0; i < w->nr; i++) {
		if ((rc = pthread_create(&w->r[i].thread, NULL, sender,
		    &w->r[i])) != 0)
			return -rc;
		w->r[i].running = true;
	}
	return 0;
}

void
rw_free(struct remote_writer *w)
{
	struct remote *r;
	size_t i, k;

	if (w == NULL)
		return;
	for (i = 0; i < w->nr; i++) {
		r = &w->r[i];
		pthread_mutex_lock(&r->mu);
		r->stop = true;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	for (i = 0; i < w->nr; i++) {
		r = &w->r[i];
		if (r->running)
			pthread_join(r->thread, NULL);
		for (k = 0; r->q != NULL && k < r->qcap; k++)
			qcycle_put(r->q[k]);
		free(r->q);
		free(r->ext);
		free(r->pos_path);
		free(r->url_metrics);
		free(r->url_logs);
		curl_slist_free_all(r->hdrs);
		if (r->easy != NULL)
			curl_easy_cleanup(r->easy);
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
	}
	free(w->r);
	free(w);
}

size_t
rw_stats(void *arg, struct api_rw_stats *out, size_t max)
{
	struct remote_writer *w = arg;
	struct remote *r;
	int64_t now = pw_wall_ms(), oldest, iv;
	size_t i;

	for (i = 0; w != NULL && i < w->nr && i < max; i++) {
		r = &w->r[i];
		snprintf(out[i].name, sizeof(out[i].name), "%s", r->cfg->name);
		out[i].protocol = r->cfg->protocol == PUSH_OTLP ? "otlp" :
		    "prometheus";
		pthread_mutex_lock(&r->mu);
		out[i].sent = r->sent;
		out[i].failed = r->failed;
		out[i].dropped = r->dropped;
		/*
		 * The oldest unsent cycle is the one going out, else the
		 * queue's head; with a history, the cycles since the one
		 * going out are on disk, one an interval.
		 */
		oldest = r->sending_ts;
		if (oldest == 0 && w->history == NULL && r->qlen > 0)
			oldest = pw_hist_cycle_ts(r->q[r->qhead]->c);
		iv = r->interval_ms > 0 ? r->interval_ms :
		    (int64_t)w->cfg->mon.interval_ms;
		out[i].lag_s = oldest > 0 && now > oldest ?
		    (double)(now - oldest) / 1000.0 : 0;
		if (w->history == NULL)
			out[i].pending = r->qlen + (r->sending_ts != 0);
		else
			out[i].pending = oldest > 0 && now > oldest && iv > 0 ?
			    (uint64_t)((now - oldest) / iv) + 1 : 0;
		pthread_mutex_unlock(&r->mu);
	}
	return i;
}
