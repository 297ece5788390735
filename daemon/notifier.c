/*
 * notifier.c: notification delivery.
 *
 * DESIGN: the sampler evaluates the rules after each cycle (engine code,
 * pw_monitor_set_alerts()) and pushes the transitions into a bounded
 * queue (procwatch/alertq.h) whose eventfd wakes this thread in
 * curl_multi_poll(): nothing on the sampling path waits for the network
 * or runs code of ours.  Transitions of a reload come through
 * notifier_enqueue() and a bounded inbox instead.  The delivery
 * thread turns each transition into one job per interested receiver (the
 * body is rendered once, when the job is made, and kept as is: a job
 * loaded from the spool needs nothing else), runs HTTP jobs through one
 * curl multi handle and exec jobs as child processes, and retries failures
 * after min(backoff_max, backoff * 2^n) ms, half of it random ("equal
 * jitter"), until the job is older than the receiver's max_age_ms.  Each
 * receiver holds at most queue_max jobs; a job that does not fit, or that
 * ages out, is dropped, counted and logged (at most once per 10 s per
 * receiver).  Delivery is at least once: a request that timed out may
 * have reached the receiver.
 *
 * The spool ($state_dir/notify-spool.jsonl) holds one pending job per
 * line; it is rewritten (write, fsync, rename) whenever the set of jobs
 * changes and at shutdown, and read at start.
 *
 * Alertmanager receivers are sent state, not events: each request holds
 * every alert now firing plus the resolved ones not yet delivered, posted
 * when something changes and again every resend_ms, as Alertmanager
 * expects of a client.  Independent retries of events could deliver an
 * old "firing" after its "resolved" and revive the alert; so a receiver
 * has one request in flight at a time, a change rewrites the pending
 * request instead of queueing another, and a failed request that a newer
 * one covers is dropped rather than retried.
 *
 * This file holds the state, the inbox and queue, Alertmanager's state,
 * the spool and the thread; notifier_send.c renders the bodies and runs
 * the HTTP requests and commands (daemon/notifier_impl.h).
 *
 * Lock order: the notifier's mutex is a leaf; it is never held while
 * calling into the alert engine, the store, libcurl or cJSON.
 */
#include <config.h>	/* autoconf's */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include <procwatch/alertq.h>
#include <procwatch/monitor.h>
#include <procwatch/rules.h>
#include <procwatch/store.h>

#include "daemon/log.h"
#include "daemon/notifier.h"
#include "daemon/notifier_impl.h"
#include "lib/pwutil.h"

static int64_t
wall_clock(void *arg)
{
	(void)arg;
	return pw_wall_ms();
}

/* --- jobs ------------------------------------------------------------------ */

void
nt_note_drop(struct notifier *n, size_t ri, const char *why)
{
	struct recv_state *rs = &n->rs[ri];
	int64_t now = n->clock_ms(n->clock_arg);

	pthread_mutex_lock(&n->mtx);
	rs->dropped++;
	pthread_mutex_unlock(&n->mtx);
	rs->unlogged_drops++;
	if (now - rs->last_drop_ms >= LOG_EVERY_MS) {
		log_warnx("notify %s: dropped %" PRIu64 " notification(s): %s",
		    rs->cfg->name, rs->unlogged_drops, why);
		rs->unlogged_drops = 0;
		rs->last_drop_ms = now;
	}
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->body);
	free(j);
}

/*
 * Queue `body` (ownership moves to the queue, even on failure).  Returns
 * the job, or NULL when it was dropped.
 */
static struct job *
job_add(struct notifier *n, size_t ri, char *body, int64_t created_ms,
    unsigned attempts)
{
	struct recv_state *rs = &n->rs[ri];
	struct job *j, **np;
	size_t ncap;

	if (body == NULL) {
		nt_note_drop(n, ri, "out of memory");
		return NULL;
	}
	if (rs->queued >= rs->cfg->queue_max) {
		free(body);
		nt_note_drop(n, ri, "queue full");
		return NULL;
	}
	if (n->njobs == n->capjobs) {
		ncap = n->capjobs ? n->capjobs * 2 : 16;
		if ((np = realloc(n->jobs, ncap * sizeof(*np))) == NULL) {
			free(body);
			nt_note_drop(n, ri, "out of memory");
			return NULL;
		}
		n->jobs = np;
		n->capjobs = ncap;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		free(body);
		nt_note_drop(n, ri, "out of memory");
		return NULL;
	}
	j->recv = ri;
	j->body = body;
	j->created_ms = created_ms;
	j->next_ms = 0;
	j->attempts = attempts;
	j->child = -1;
	n->jobs[n->njobs++] = j;
	pthread_mutex_lock(&n->mtx);
	rs->queued++;
	pthread_mutex_unlock(&n->mtx);
	n->dirty = true;
	return j;
}

void
nt_job_remove(struct notifier *n, size_t at)
{
	struct recv_state *rs = &n->rs[n->jobs[at]->recv];

	job_free(n->jobs[at]);
	n->jobs[at] = n->jobs[--n->njobs];
	pthread_mutex_lock(&n->mtx);
	rs->queued--;
	pthread_mutex_unlock(&n->mtx);
	n->dirty = true;
}

/* --- alertmanager re-sends ------------------------------------------------- */

/* Note a transition in the receiver's state; am_flush() sends it. */
static void
am_track(struct notifier *n, size_t ri, const struct pw_alert *a)
{
	struct recv_state *rs = &n->rs[ri];
	struct am_resolved *nr;
	struct pw_alert *np;
	size_t i, ncap;

	rs->am_dirty = true;
	for (i = 0; i < rs->nfiring; i++)
		if (rs->firing[i].id == a->id)
			break;
	if (a->state == PW_ALERT_RESOLVED) {
		if (i < rs->nfiring)
			rs->firing[i] = rs->firing[--rs->nfiring];
		if (!rs->cfg->send_resolved)
			return;
		if (rs->nresolved == rs->capresolved) {
			ncap = rs->capresolved ? rs->capresolved * 2 : 8;
			if (ncap > INBOX_MAX || (nr = realloc(rs->resolved,
			    ncap * sizeof(*nr))) == NULL) {
				nt_note_drop(n, ri, "too many resolved alerts "
				    "undelivered");
				return;
			}
			rs->resolved = nr;
			rs->capresolved = ncap;
		}
		rs->resolved[rs->nresolved].a = *a;
		rs->resolved[rs->nresolved++].gen = ++rs->gen;
		return;
	}
	if (i < rs->nfiring)
		return;
	if (rs->nfiring == rs->capfiring) {
		ncap = rs->capfiring ? rs->capfiring * 2 : 8;
		if (ncap > INBOX_MAX ||
		    (np = realloc(rs->firing, ncap * sizeof(*np))) == NULL) {
			nt_note_drop(n, ri, "too many alerts firing");
			return;
		}
		rs->firing = np;
		rs->capfiring = ncap;
	}
	rs->firing[rs->nfiring++] = *a;
}

/* Resolved alerts up to `gen` reached the receiver: forget them. */
void
nt_am_delivered(struct recv_state *rs, uint64_t gen)
{
	size_t i, j;

	for (i = j = 0; i < rs->nresolved; i++)
		if (rs->resolved[i].gen > gen)
			rs->resolved[j++] = rs->resolved[i];
	rs->nresolved = j;
}

bool
nt_recv_in_flight(const struct notifier *n, size_t ri)
{
	size_t i;

	for (i = 0; i < n->njobs; i++)
		if (n->jobs[i]->recv == ri && n->jobs[i]->in_flight)
			return true;
	return false;
}

/* The receiver's state as one body: firing, then resolved, alerts. */
static char *
am_state_body(const struct notifier *n, const struct recv_state *rs)
{
	struct pw_alert *all;
	char *body;
	size_t i, k = 0;

	if ((all = calloc(rs->nfiring + rs->nresolved + 1,
	    sizeof(*all))) == NULL)
		return NULL;
	for (i = 0; i < rs->nfiring; i++)
		all[k++] = rs->firing[i];
	for (i = 0; i < rs->nresolved; i++)
		all[k++] = rs->resolved[i].a;
	body = nt_body_alertmanager(n, all, k);
	free(all);
	return body;
}

/*
 * Post an Alertmanager receiver's state when it changed or its re-send is
 * due: rewrite the pending request if there is one, else queue one; wait
 * while one is in flight (the next loop comes within POLL_MS).
 */
static void
am_flush(struct notifier *n, int64_t now)
{
	struct recv_state *rs;
	struct job *j = NULL;
	char *body;
	size_t i, k;

	for (i = 0; i < n->nrs; i++) {
		rs = &n->rs[i];
		if (rs->cfg->format != RECV_ALERTMANAGER)
			continue;
		if (rs->resend_ms == 0)
			rs->resend_ms = now + rs->cfg->resend_ms;
		if (!rs->am_dirty && (now < rs->resend_ms ||
		    rs->nfiring + rs->nresolved == 0))
			continue;
		if (nt_recv_in_flight(n, i))
			continue;
		rs->am_dirty = false;
		rs->resend_ms = now + rs->cfg->resend_ms;
		if (rs->nfiring + rs->nresolved == 0)
			continue;
		for (k = 0, j = NULL; k < n->njobs && j == NULL; k++)
			if (n->jobs[k]->recv == i && n->jobs[k]->am_state)
				j = n->jobs[k];
		if ((body = am_state_body(n, rs)) == NULL) {
			nt_note_drop(n, i, "out of memory");
			continue;
		}
		if (j != NULL) {
			free(j->body);		/* superseded before it went */
			j->body = body;
			j->created_ms = now;
			n->dirty = true;
		} else if ((j = job_add(n, i, body, now, 0)) == NULL)
			continue;
		j->am_state = true;
		j->am_gen = rs->gen;
	}
}

/*
 * Append what the sampler queued to the inbox's transitions *in (taken,
 * ours).  The queue's are newer: they go after.  Out of memory: they wait
 * in the queue for the next turn.
 */
static void
take_queue(struct notifier *n, struct pw_alert **in, size_t *nin,
    uint64_t *lost)
{
	struct pw_alert *q, *np;
	uint64_t qlost = 0;
	size_t nq;

	if (n->queue == NULL ||
	    pw_alertq_take(n->queue, &q, &nq, &qlost) < 0)
		return;
	*lost += qlost;
	if (nq == 0)
		return;
	if (*nin == 0) {
		free(*in);
		*in = q;
		*nin = nq;
		return;
	}
	if ((np = realloc(*in, (*nin + nq) * sizeof(*np))) == NULL) {
		*lost += nq;		/* counted as "inbox full" */
		free(q);
		return;
	}
	memcpy(np + *nin, q, nq * sizeof(*q));
	free(q);
	*in = np;
	*nin += nq;
}

/* Turn the transitions of the inbox and the queue into jobs. */
static void
take_inbox(struct notifier *n, int64_t now)
{
	struct pw_alert *in;
	const struct config_receiver *r;
	size_t nin, i, k;
	uint64_t lost;
	char *body;

	pthread_mutex_lock(&n->mtx);
	in = n->inbox;
	nin = n->ninbox;
	lost = n->inbox_dropped;
	n->inbox = NULL;
	n->ninbox = 0;
	n->inbox_dropped = 0;
	pthread_mutex_unlock(&n->mtx);
	take_queue(n, &in, &nin, &lost);
	if (lost > 0)
		for (k = 0; k < n->nrs; k++)
			nt_note_drop(n, k, "inbox full");
	for (i = 0; i < nin; i++) {
		const struct pw_alert *a = &in[i];

		log_info("alert %s %s: %s[%ld] target %s: %s", a->rule->name,
		    a->state == PW_ALERT_RESOLVED ? "resolved" : "firing",
		    a->name, (long)a->pid, a->target, a->message);
		for (k = 0; k < n->nrs; k++) {
			r = n->rs[k].cfg;
			if (a->rule->severity < r->min_severity)
				continue;
			if (r->format == RECV_ALERTMANAGER) {
				am_track(n, k, a);	/* am_flush() sends */
				continue;
			}
			if (a->state == PW_ALERT_RESOLVED && !r->send_resolved)
				continue;
			body = nt_body_procwatch(n, r, a);
			job_add(n, k, body, now, 0);
		}
	}
	free(in);
}

/* --- spool ----------------------------------------------------------------- */

static void
spool_write(struct notifier *n)
{
	char tmp[PATH_MAX];
	cJSON *o;
	char *line;
	size_t i;
	FILE *f;
	int fd;

	if (n->spool_path == NULL || !n->dirty)
		return;
	n->dirty = false;
	snprintf(tmp, sizeof(tmp), "%s.tmp", n->spool_path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("notify spool %s", tmp);
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < n->njobs; i++) {
		struct job *j = n->jobs[i];

		if ((o = cJSON_CreateObject()) == NULL ||
		    cJSON_AddStringToObject(o, "receiver",
		    n->rs[j->recv].cfg->name) == NULL ||
		    (n->rs[j->recv].url != NULL &&
		    cJSON_AddStringToObject(o, "url", n->rs[j->recv].url) ==
		    NULL) ||
		    cJSON_AddNumberToObject(o, "created_ms",
		    (double)j->created_ms) == NULL ||
		    cJSON_AddNumberToObject(o, "attempts",
		    (double)j->attempts) == NULL ||
		    cJSON_AddStringToObject(o, "body", j->body) == NULL ||
		    (line = cJSON_PrintUnformatted(o)) == NULL) {
			cJSON_Delete(o);
			n->dirty = true;	/* try again later */
			continue;
		}
		cJSON_Delete(o);
		fprintf(f, "%s\n", line);
		cJSON_free(line);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		log_warn("notify spool %s", tmp);
		fclose(f);
		return;
	}
	fclose(f);
	if (rename(tmp, n->spool_path) < 0)
		log_warn("notify spool rename to %s", n->spool_path);
}

/*
 * The destination of a spooled job: by receiver name, and by URL among
 * an Alertmanager cluster's; a URL no longer configured (the receiver's
 * was changed) goes to the receiver's first.  n->nrs if none.
 */
static size_t
spool_recv(const struct notifier *n, const cJSON *rcv, const cJSON *url)
{
	size_t k, first = n->nrs;

	if (!cJSON_IsString(rcv))
		return n->nrs;
	for (k = 0; k < n->nrs; k++) {
		if (strcmp(n->rs[k].cfg->name, rcv->valuestring) != 0)
			continue;
		if (first == n->nrs)
			first = k;
		if (cJSON_IsString(url) && n->rs[k].url != NULL &&
		    strcmp(n->rs[k].url, url->valuestring) == 0)
			return k;
	}
	return first;
}

static void
spool_load(struct notifier *n)
{
	const cJSON *rcv, *cr, *at, *body, *url;
	char *line = NULL;
	size_t cap = 0, k, loaded = 0, lost = 0;
	ssize_t len;
	cJSON *o;
	FILE *f;

	if ((f = fopen(n->spool_path, "re")) == NULL) {
		if (errno != ENOENT)
			log_warn("notify spool %s", n->spool_path);
		return;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (len > SPOOL_LINE_MAX ||
		    (o = cJSON_ParseWithLength(line, (size_t)len)) == NULL) {
			lost++;
			continue;
		}
		rcv = cJSON_GetObjectItemCaseSensitive(o, "receiver");
		cr = cJSON_GetObjectItemCaseSensitive(o, "created_ms");
		at = cJSON_GetObjectItemCaseSensitive(o, "attempts");
		body = cJSON_GetObjectItemCaseSensitive(o, "body");
		url = cJSON_GetObjectItemCaseSensitive(o, "url");
		k = spool_recv(n, rcv, url);
		if (!cJSON_IsString(rcv) || k == n->nrs ||
		    !cJSON_IsNumber(cr) || !cJSON_IsString(body)) {
			lost++;
			cJSON_Delete(o);
			continue;
		}
		job_add(n, k, strdup(body->valuestring), (int64_t)cr->valuedouble,
		    cJSON_IsNumber(at) ? (unsigned)at->valuedouble : 0);
		loaded++;
		cJSON_Delete(o);
	}
	free(line);
	fclose(f);
	if (loaded > 0 || lost > 0)
		log_info("notify spool %s: %zu pending notification(s) "
		    "loaded, %zu unusable", n->spool_path, loaded, lost);
}

/* --- thread ---------------------------------------------------------------- */

static bool
any_due_or_flying(const struct notifier *n)
{
	return n->njobs > 0;
}

static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	int64_t now, stop_at = 0, next;
	bool stopping = false;
	size_t i;
	int running, timeout;

	for (;;) {
		now = n->clock_ms(n->clock_arg);
		pthread_mutex_lock(&n->mtx);
		if (n->stop && !stopping) {
			stopping = true;
			stop_at = now + FLUSH_MS;
		}
		pthread_mutex_unlock(&n->mtx);
		take_inbox(n, now);
		if (!stopping)
			am_flush(n, now);
		nt_start_due(n, now, stopping);
		curl_multi_perform(n->multi, &running);
		nt_reap_http(n, now);
		nt_reap_exec(n, now);
		spool_write(n);
		if (stopping && (!any_due_or_flying(n) || now >= stop_at))
			break;
		timeout = POLL_MS;
		for (i = 0; i < n->njobs; i++)
			if (!n->jobs[i]->in_flight) {
				next = n->jobs[i]->next_ms - now;
				if (next < timeout)
					timeout = next < 0 ? 0 : (int)next;
			}
		if (stopping)
			timeout = 20;
		if (n->queue != NULL) {
			struct curl_waitfd wfd = {
				.fd = pw_alertq_fd(n->queue),
				.events = CURL_WAIT_POLLIN,
			};

			curl_multi_poll(n->multi, &wfd, 1, timeout, NULL);
		} else
			curl_multi_poll(n->multi, NULL, 0, timeout, NULL);
	}
	/* What is still in flight goes back to the spool as undelivered. */
	for (i = 0; i < n->njobs; i++) {
		struct job *j = n->jobs[i];

		if (j->easy != NULL) {
			curl_multi_remove_handle(n->multi, j->easy);
			curl_easy_cleanup(j->easy);
			curl_slist_free_all(j->hdrs);
			j->easy = NULL;
			j->hdrs = NULL;
		}
		if (j->child > 0) {
			kill(j->child, SIGKILL);
			waitpid(j->child, NULL, 0);
			j->child = -1;
		}
		j->in_flight = false;
	}
	n->dirty = true;
	spool_write(n);
	for (i = 0; i < n->nrs; i++)
		if (n->rs[i].unlogged_drops > 0)
			log_warnx("notify %s: dropped %" PRIu64 " more "
			    "notification(s)", n->rs[i].cfg->name,
			    n->rs[i].unlogged_drops);
	if (n->njobs > 0)
		log_warnx("notify: %zu notification(s) not delivered at "
		    "shutdown%s", n->njobs, n->spool_path != NULL ?
		    ", kept in the spool" : " and lost (no spool)");
	return NULL;
}

/* --- public ---------------------------------------------------------------- */

static char *
spool_setup(const char *dir)
{
	char *path;
	size_t len;

	if (dir == NULL)
		return NULL;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		log_warn("state_dir %s: running without a notification spool",
		    dir);
		return NULL;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		log_warn("state_dir %s: running without a notification spool",
		    dir);
		return NULL;
	}
	len = strlen(dir) + sizeof(SPOOL_NAME) + 2;
	if ((path = malloc(len)) != NULL)
		snprintf(path, len, "%s/%s", dir, SPOOL_NAME);
	return path;
}

struct notifier *
notifier_new(const struct config *cfg, struct pw_alerts *alerts, char *err,
    size_t errlen)
{
	struct notifier *n;
	size_t i, j, k;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		goto out_oom;
	n->cfg = cfg;
	n->alerts = alerts;
	n->clock_ms = wall_clock;
	n->seed = (unsigned)pw_wall_ms() ^ (unsigned)getpid();
	if (gethostname(n->host, sizeof(n->host) - 1) < 0)
		snprintf(n->host, sizeof(n->host), "localhost");
	snprintf(n->base_url, sizeof(n->base_url), "http://%s:%u",
	    cfg->listen_host, (unsigned)cfg->listen_port);
	if (pthread_mutex_init(&n->mtx, NULL) != 0)
		goto out_free;
	for (i = 0; i < cfg->nreceivers; i++)
		n->nrs += cfg->receivers[i].nurls > 1 ?
		    cfg->receivers[i].nurls : 1;
	if (n->nrs > 0 && (n->rs = calloc(n->nrs, sizeof(*n->rs))) == NULL)
		goto out_mtx;
	for (i = 0, k = 0; i < cfg->nreceivers; i++) {
		j = 0;
		do {
			n->rs[k].cfg = &cfg->receivers[i];
			n->rs[k].urlno = j;
			n->rs[k++].url = cfg->receivers[i].nurls > 0 ?
			    cfg->receivers[i].urls[j] : cfg->receivers[i].url;
		} while (++j < cfg->receivers[i].nurls);
	}
	for (k = 0; k < n->nrs; k++)
		if (n->rs[k].cfg->secret != NULL &&
		    nt_sw_key(n->rs[k].cfg->secret, &n->rs[k].sw_key,
		    &n->rs[k].sw_keylen) < 0) {
			snprintf(err, errlen, "notify: out of memory");
			goto out_rs;
		}
	if ((n->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "notify: curl_multi_init failed");
		goto out_rs;
	}
	if (n->nrs > 0 && (n->spool_path = spool_setup(cfg->state_dir)) !=
	    NULL)
		spool_load(n);
	return n;
out_rs:
	for (k = 0; k < n->nrs; k++)
		free(n->rs[k].sw_key);
	free(n->rs);
out_mtx:
	pthread_mutex_destroy(&n->mtx);
out_free:
	free(n);
	return NULL;
out_oom:
	snprintf(err, errlen, "notify: out of memory");
	return NULL;
}

void
notifier_set_clock(struct notifier *n, notifier_clock_fn *fn, void *arg)
{
	n->clock_ms = fn != NULL ? fn : wall_clock;
	n->clock_arg = arg;
}

void
notifier_set_base_url(struct notifier *n, const char *url)
{
	if (url != NULL)
		snprintf(n->base_url, sizeof(n->base_url), "%s", url);
}

int
notifier_start(struct notifier *n)
{
	int rc;

	if ((rc = pthread_create(&n->thread, NULL, notifier_main, n)) != 0)
		return -rc;
	n->running = true;
	return 0;
}

void
notifier_stop(struct notifier *n)
{
	if (n == NULL || !n->running)
		return;
	pthread_mutex_lock(&n->mtx);
	n->stop = true;
	pthread_mutex_unlock(&n->mtx);
	curl_multi_wakeup(n->multi);
	pthread_join(n->thread, NULL);
	n->running = false;
}

void
notifier_free(struct notifier *n)
{
	size_t i;

	if (n == NULL)
		return;
	notifier_stop(n);
	for (i = 0; i < n->njobs; i++)
		job_free(n->jobs[i]);
	free(n->jobs);
	for (i = 0; i < n->nrs; i++) {
		free(n->rs[i].sw_key);
		free(n->rs[i].firing);
		free(n->rs[i].resolved);
	}
	free(n->rs);
	free(n->inbox);
	free(n->spool_path);
	curl_multi_cleanup(n->multi);
	pthread_mutex_destroy(&n->mtx);
	free(n);
}

void
notifier_set_queue(struct notifier *n, struct pw_alertq *q)
{
	n->queue = q;
}

void
notifier_enqueue(struct notifier *n, struct pw_alert *t, size_t nt)
{
	struct pw_alert *np;
	size_t take;

	if (nt == 0 || n->nrs == 0) {
		free(t);
		return;
	}
	pthread_mutex_lock(&n->mtx);
	take = nt;
	if (n->ninbox + take > INBOX_MAX)
		take = INBOX_MAX - n->ninbox;
	if (n->inbox == NULL && take == nt) {
		n->inbox = t;			/* hand the array over */
		n->ninbox = nt;
		t = NULL;
	} else if (take > 0 && (np = realloc(n->inbox, (n->ninbox + take) *
	    sizeof(*np))) != NULL) {
		memcpy(np + n->ninbox, t, take * sizeof(*t));
		n->inbox = np;
		n->ninbox += take;
	} else
		take = 0;
	n->inbox_dropped += nt - take;
	pthread_mutex_unlock(&n->mtx);
	free(t);
	curl_multi_wakeup(n->multi);
}

/*
 * An Alertmanager's URL as a label value: without user:password@ (a
 * secret) and with what a label must escape percent-encoded.
 */
static void
label_url(char *out, size_t len, const struct recv_state *rs)
{
	const char *u = rs->url, *host, *at;
	size_t o = 0;

	out[0] = '\0';
	if (rs->cfg->format != RECV_ALERTMANAGER || u == NULL || len < 4)
		return;
	host = strstr(u, "://");
	host = host != NULL ? host + 3 : u;
	at = strchr(host, '@');
	if (at != NULL && at < host + strcspn(host, "/?#")) {
		o = (size_t)(host - u) < len - 1 ? (size_t)(host - u) : len - 1;
		memcpy(out, u, o);
		u = at + 1;
	}
	for (; *u != '\0' && o + 4 < len; u++) {
		if (*u == '"' || *u == '\\')
			o += (size_t)snprintf(out + o, len - o, "%%%02X",
			    (unsigned char)*u);
		else
			out[o++] = *u;
	}
	out[o] = '\0';
}

size_t
notifier_stats(void *arg, struct api_receiver_stats *out, size_t max)
{
	struct notifier *n = arg;
	size_t i;

	pthread_mutex_lock(&n->mtx);
	for (i = 0; i < n->nrs && i < max; i++) {
		snprintf(out[i].name, sizeof(out[i].name), "%s",
		    n->rs[i].cfg->name);
		label_url(out[i].url, sizeof(out[i].url), &n->rs[i]);
		out[i].delivered = n->rs[i].delivered;
		out[i].failed = n->rs[i].failed;
		out[i].dropped = n->rs[i].dropped;
		out[i].queued = n->rs[i].queued;
	}
	pthread_mutex_unlock(&n->mtx);
	return i;
}
