/*
 * notifier_send.c: the notifier's delivery (daemon/notifier_impl.h): the
 * bodies, HTTP requests through libcurl's multi handle, commands run as
 * child processes with the body on stdin, and what a finished attempt
 * does: success removes the job, failure retries after
 * min(backoff_max, backoff * 2^n) ms, half of it random, until the job
 * is older than max_age_ms.  All of it on the notifier's thread.
 */
#include <config.h>	/* autoconf's */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <procwatch/rules.h>

#include "daemon/log.h"
#include "daemon/notifier.h"
#include "daemon/notifier_impl.h"
#include "lib/pwutil.h"

/* --- bodies ----------------------------------------------------------------- */

static bool
add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[API_RFC3339_LEN];

	if (api_fmt_rfc3339(ms, buf, sizeof(buf)) < 0)
		return false;
	return cJSON_AddStringToObject(o, key, buf) != NULL;
}

/*
 * The procwatch format (README.md, "Alert notifications"):
 * {"version": 1, "source": "procwatchd", "host", "receiver", "status":
 * "firing"|"resolved", "alerts": [ALERT]} with ALERT as in /alerts.
 */
char *
nt_body_procwatch(const struct notifier *n, const struct config_receiver *r,
    const struct pw_alert *a)
{
	cJSON *o, *arr, *item;
	char *body = NULL;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddNumberToObject(o, "version", 1) == NULL ||
	    cJSON_AddStringToObject(o, "source", "procwatchd") == NULL ||
	    cJSON_AddStringToObject(o, "host", n->host) == NULL ||
	    cJSON_AddStringToObject(o, "receiver", r->name) == NULL ||
	    cJSON_AddStringToObject(o, "status", a->state ==
	    PW_ALERT_RESOLVED ? "resolved" : "firing") == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "alerts")) == NULL ||
	    (item = api_json_alert(a)) == NULL)
		goto out;
	if (!cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		goto out;
	}
	body = cJSON_PrintUnformatted(o);	/* we own body */
out:
	cJSON_Delete(o);
	return body;
}

/* One alert in Alertmanager's API v2 form (postableAlert). */
static cJSON *
am_alert(const struct notifier *n, const struct pw_alert *a)
{
	cJSON *o, *l, *an;
	char pid[24], url[512];
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	snprintf(pid, sizeof(pid), "%ld", (long)a->pid);
	snprintf(url, sizeof(url), "%s/alerts?state=all&target=%s",
	    n->base_url, a->target);
	ok = (l = cJSON_AddObjectToObject(o, "labels")) != NULL &&
	    cJSON_AddStringToObject(l, "alertname", a->rule->name) != NULL &&
	    cJSON_AddStringToObject(l, "severity",
	    pw_alert_severity_name(a->rule->severity)) != NULL &&
	    cJSON_AddStringToObject(l, "pid", pid) != NULL &&
	    cJSON_AddStringToObject(l, "name", a->name) != NULL &&
	    cJSON_AddStringToObject(l, "target", a->target) != NULL &&
	    cJSON_AddStringToObject(l, "instance", n->host) != NULL &&
	    (an = cJSON_AddObjectToObject(o, "annotations")) != NULL &&
	    cJSON_AddStringToObject(an, "summary", a->message) != NULL &&
	    add_time(o, "startsAt", a->fired_ms != 0 ? a->fired_ms :
	    a->started_ms) &&
	    (a->resolved_ms == 0 || add_time(o, "endsAt", a->resolved_ms)) &&
	    cJSON_AddStringToObject(o, "generatorURL", url) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *
nt_body_alertmanager(const struct notifier *n, const struct pw_alert *a,
    size_t na)
{
	cJSON *arr, *item;
	char *body = NULL;
	size_t i;

	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < na; i++) {
		if ((item = am_alert(n, &a[i])) == NULL)
			goto out;
		if (!cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			goto out;
		}
	}
	body = cJSON_PrintUnformatted(arr);
out:
	cJSON_Delete(arr);
	return body;
}

/* "sha256=<hex HMAC-SHA256 of body keyed with secret>" */
static int
sign(const char *secret, const char *body, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t pos;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)body, strlen(body), md, &mdlen) == NULL)
		return -EINVAL;
	if (outlen < 8 + (size_t)mdlen * 2)
		return -ENOSPC;
	pos = (size_t)snprintf(out, outlen, "sha256=");
	for (i = 0; i < mdlen; i++)
		pos += (size_t)snprintf(out + pos, outlen - pos, "%02x", md[i]);
	return 0;
}

/*
 * Standard Webhooks (standardwebhooks.com): "webhook-id", stable across
 * retries and restarts (a digest of the receiver and the body, which the
 * spool keeps), so a receiver can drop duplicates; "webhook-timestamp",
 * the attempt's time, so it can reject replays; and "webhook-signature",
 * "v1," and the base64 HMAC-SHA256 of "id.timestamp.body".
 */
int
nt_sw_key(const char *secret, unsigned char **key, size_t *len)
{
	size_t n = strlen(secret);
	int got;

	if (strncmp(secret, "whsec_", 6) != 0) {
		if ((*key = malloc(n ? n : 1)) == NULL)
			return -ENOMEM;
		memcpy(*key, secret, n);
		*len = n;
		return 0;
	}
	secret += 6;
	n -= 6;
	if ((*key = malloc(n / 4 * 3 + 1)) == NULL)
		return -ENOMEM;
	got = EVP_DecodeBlock(*key, (const unsigned char *)secret, (int)n);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	got -= (n > 0 && secret[n - 1] == '=') + (n > 1 && secret[n - 2] == '=');
	*len = got > 0 ? (size_t)got : 0;
	return 0;
}

static int
sw_headers(const struct recv_state *rs, const char *body,
    struct curl_slist **h)
{
	const struct config_receiver *r = rs->cfg;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char id[40], line[160], ts[24], *msg;
	struct curl_slist *t;
	size_t len;

	len = strlen(r->name) + 1 + strlen(body);
	if ((msg = malloc(len + 1)) == NULL)
		return -ENOMEM;
	snprintf(msg, len + 1, "%s\n%s", r->name, body);
	if (EVP_Digest(msg, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		free(msg);
		return -EINVAL;
	}
	free(msg);
	memcpy(id, "msg_", 4);
	for (i = 0; i < 16; i++)
		snprintf(id + 4 + 2 * i, 3, "%02x", md[i]);
	snprintf(ts, sizeof(ts), "%lld", (long long)(pw_wall_ms() / 1000));
	len = strlen(id) + strlen(ts) + strlen(body) + 2;
	if ((msg = malloc(len + 1)) == NULL)
		return -ENOMEM;
	snprintf(msg, len + 1, "%s.%s.%s", id, ts, body);
	if (HMAC(EVP_sha256(), rs->sw_key, (int)rs->sw_keylen,
	    (const unsigned char *)msg, len, md, &mdlen) == NULL) {
		free(msg);
		return -EINVAL;
	}
	free(msg);
	i = (unsigned)snprintf(line, sizeof(line), "webhook-signature: v1,");
	EVP_EncodeBlock((unsigned char *)line + i, md, (int)mdlen);
	if ((t = curl_slist_append(*h, line)) == NULL)
		return -ENOMEM;
	*h = t;
	snprintf(line, sizeof(line), "webhook-id: %s", id);
	if ((t = curl_slist_append(*h, line)) == NULL)
		return -ENOMEM;
	*h = t;
	snprintf(line, sizeof(line), "webhook-timestamp: %s", ts);
	if ((t = curl_slist_append(*h, line)) == NULL)
		return -ENOMEM;
	*h = t;
	return 0;
}

/* --- sending --------------------------------------------------------------- */

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

static int
start_http(struct notifier *n, struct job *j)
{
	const struct config_receiver *r = n->rs[j->recv].cfg;
	struct curl_slist *h = NULL, *t;
	char sig[160], line[200];
	size_t i;
	CURL *e;

	if ((e = curl_easy_init()) == NULL)
		return -ENOMEM;
	if ((t = curl_slist_append(h, "Content-Type: application/json")) ==
	    NULL)
		goto out_oom;
	h = t;
	for (i = 0; i < r->nheaders; i++) {
		if ((t = curl_slist_append(h, r->headers[i])) == NULL)
			goto out_oom;
		h = t;
	}
	if (r->secret != NULL) {
		if (sign(r->secret, j->body, sig, sizeof(sig)) < 0)
			goto out_oom;
		snprintf(line, sizeof(line), "X-Procwatch-Signature: %s", sig);
		if ((t = curl_slist_append(h, line)) == NULL)
			goto out_oom;
		h = t;
		if (sw_headers(&n->rs[j->recv], j->body, &h) < 0)
			goto out_oom;
	}
	if (curl_easy_setopt(e, CURLOPT_URL, n->rs[j->recv].url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE,
	    (long)strlen(j->body)) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    (long)r->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, j) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT,
	    "procwatchd/" PACKAGE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK)
		goto out_oom;
	if (curl_multi_add_handle(n->multi, e) != CURLM_OK)
		goto out_oom;
	j->easy = e;
	j->hdrs = h;
	j->in_flight = true;
	return 0;
out_oom:
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return -ENOMEM;
}

/* Run the command with the body on stdin (no shell). */
static int
start_exec(struct notifier *n, struct job *j, int64_t now)
{
	const struct config_receiver *r = n->rs[j->recv].cfg;
	size_t len = strlen(j->body), off = 0;
	int fds[2], devnull;
	ssize_t w;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fds[0], 0) < 0)
			_exit(127);
		if ((devnull = open("/dev/null", O_WRONLY)) >= 0)
			dup2(devnull, 1);	/* stderr stays: the log */
		execv(r->argv[0], r->argv);
		_exit(127);
	}
	close(fds[0]);
	/* Bodies are small: write what the pipe takes without blocking. */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	while (off < len && (w = write(fds[1], j->body + off, len - off)) > 0)
		off += (size_t)w;
	close(fds[1]);
	j->child = pid;
	j->deadline_ms = now + r->timeout_ms;
	j->in_flight = true;
	return 0;
}

/* A finished attempt: success removes the job, failure reschedules it. */
static bool
finish(struct notifier *n, size_t at, bool ok, const char *what,
    int64_t now)
{
	struct job *j = n->jobs[at];
	struct recv_state *rs = &n->rs[j->recv];
	uint64_t d;
	unsigned shift;

	j->in_flight = false;
	pthread_mutex_lock(&n->mtx);
	if (ok)
		rs->delivered++;
	else
		rs->failed++;
	pthread_mutex_unlock(&n->mtx);
	if (ok) {
		if (j->am_state)
			nt_am_delivered(rs, j->am_gen);
		nt_job_remove(n, at);
		return true;
	}
	if (j->am_state && rs->am_dirty) {
		/* A newer state covers this one: send that instead. */
		j->attempts = 0;
		j->next_ms = 0;
		return false;
	}
	j->attempts++;
	if (now - j->created_ms >= (int64_t)rs->cfg->max_age_ms) {
		nt_job_remove(n, at);
		nt_note_drop(n, (size_t)(rs - n->rs), "still failing after "
		    "max_age_ms");
		return true;
	}
	shift = j->attempts - 1 < 20 ? j->attempts - 1 : 20;
	d = (uint64_t)rs->cfg->backoff_ms << shift;
	if (d > rs->cfg->backoff_max_ms)
		d = rs->cfg->backoff_max_ms;
	d = d / 2 + (uint64_t)rand_r(&n->seed) % (d / 2 + 1);
	j->next_ms = now + (int64_t)d;
	/* Rate-limited: a dead receiver must not flood the log. */
	if (now - rs->last_log_ms >= LOG_EVERY_MS) {
		if (rs->cfg->nurls > 1)		/* which Alertmanager */
			log_warnx("notify %s urls[%zu]: delivery failed (%s), "
			    "retry %u in %" PRIu64 " ms", rs->cfg->name,
			    rs->urlno, what, j->attempts, d);
		else
			log_warnx("notify %s: delivery failed (%s), retry %u "
			    "in %" PRIu64 " ms", rs->cfg->name, what,
			    j->attempts, d);
		rs->last_log_ms = now;
	}
	n->dirty = true;
	return false;
}

void
nt_reap_http(struct notifier *n, int64_t now)
{
	char what[96];
	struct job *j;
	CURLMsg *msg;
	CURLcode res;
	long code = 0;
	size_t at;
	int left;

	while ((msg = curl_multi_info_read(n->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		j = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&j);
		code = 0;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
		    &code);
		res = msg->data.result;	/* msg dies with the handle */
		if (res != CURLE_OK)
			snprintf(what, sizeof(what), "%s",
			    curl_easy_strerror(res));
		else
			snprintf(what, sizeof(what), "HTTP %ld", code);
		curl_multi_remove_handle(n->multi, msg->easy_handle);
		curl_easy_cleanup(msg->easy_handle);
		for (at = 0; at < n->njobs && n->jobs[at] != j; at++)
			;
		if (at == n->njobs)
			continue;
		curl_slist_free_all(j->hdrs);
		j->hdrs = NULL;
		j->easy = NULL;
		finish(n, at, res == CURLE_OK && code >= 200 && code < 300,
		    what, now);
	}
}

void
nt_reap_exec(struct notifier *n, int64_t now)
{
	char what[64];
	struct job *j;
	size_t at;
	pid_t r;
	int st;

	for (at = 0; at < n->njobs; at++) {
		j = n->jobs[at];
		if (j->child <= 0)
			continue;
		if ((r = waitpid(j->child, &st, WNOHANG)) == 0) {
			if (now < j->deadline_ms)
				continue;
			kill(j->child, SIGKILL);
			waitpid(j->child, &st, 0);
			j->child = -1;
			if (!finish(n, at, false, "timed out, killed", now))
				continue;
			at--;
			continue;
		}
		j->child = -1;
		if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			snprintf(what, sizeof(what), "command exited %d",
			    r > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			if (!finish(n, at, false, what, now))
				continue;
		} else
			finish(n, at, true, "", now);
		at--;			/* the slot holds another job now */
	}
}

/* Is a job of the same receiver queued before jobs[at]? */
static bool
older_pending(const struct notifier *n, size_t at)
{
	const struct job *j = n->jobs[at];
	size_t i;

	for (i = 0; i < n->njobs; i++)
		if (i != at && n->jobs[i]->recv == j->recv &&
		    (n->jobs[i]->created_ms < j->created_ms ||
		    (n->jobs[i]->created_ms == j->created_ms && i < at)))
			return true;
	return false;
}

void
nt_start_due(struct notifier *n, int64_t now, bool flushing)
{
	struct job *j;
	size_t at;
	int rc;

	for (at = 0; at < n->njobs; at++) {
		j = n->jobs[at];
		/* At shutdown, first attempts go at once; retries wait. */
		if (j->in_flight || (j->next_ms > now &&
		    !(flushing && j->attempts == 0)))
			continue;
		/* Alertmanager: one request at a time, oldest first. */
		if (n->rs[j->recv].cfg->format == RECV_ALERTMANAGER &&
		    (nt_recv_in_flight(n, j->recv) || older_pending(n, at)))
			continue;
		if (n->rs[j->recv].cfg->format == RECV_EXEC)
			rc = start_exec(n, j, now);
		else
			rc = start_http(n, j);
		if (rc < 0) {
			if (!finish(n, at, false, "cannot start", now))
				continue;
			at--;
		}
	}
}
