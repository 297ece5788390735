/*
 * test_notifier.c: daemon/notifier.c, the delivery of alert notifications.
 *
 * Real HTTP all the way: an MHD server in this process is the receiver
 * that is up, and a socket bound but never listening is one that is down
 * (every connection is refused at once).  The retry schedule and max_age_ms
 * run on a fake clock (notifier_set_clock()); the delivery thread still
 * polls every 200 ms of real time, so a "nothing happens before" check
 * waits a few of those rounds and a "happens" check polls to a deadline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include <procwatch/rules.h>

#include "daemon/config.h"
#include "daemon/notifier.h"

#define DEADLINE_MS	10000
#define QUIET_MS	600		/* three of the thread's poll rounds */
#define MAX_BODIES	16
#define T0		1700000000000LL

/* --- the receiver that is up --------------------------------------------- */

struct server {
	struct MHD_Daemon *d;
	unsigned	 port;
	pthread_mutex_t	 mtx;
	char		*bodies[MAX_BODIES];	/* under mtx */
	size_t		 n;
};

struct conn_body {
	char	*buf;
	size_t	 len;
};

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **ctx)
{
	struct server *s = cls;
	struct conn_body *b = *ctx;
	struct MHD_Response *resp;
	enum MHD_Result rc;
	char *np;

	(void)url;
	(void)method;
	(void)version;
	if (b == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return MHD_NO;
		*ctx = b;
		return MHD_YES;
	}
	if (*size != 0) {
		if ((np = realloc(b->buf, b->len + *size + 1)) == NULL)
			return MHD_NO;
		memcpy(np + b->len, data, *size);
		b->buf = np;
		b->len += *size;
		b->buf[b->len] = '\0';
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&s->mtx);
	if (s->n < MAX_BODIES && b->buf != NULL)
		s->bodies[s->n++] = strdup(b->buf);
	pthread_mutex_unlock(&s->mtx);
	resp = MHD_create_response_from_buffer(2, (void *)"ok",
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct conn_body *b = *ctx;

	(void)cls;
	(void)conn;
	(void)toe;
	if (b != NULL) {
		free(b->buf);
		free(b);
	}
	*ctx = NULL;
}

static void
server_start(struct server *s)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sin;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mtx, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, on_request, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_END);
	assert_non_null(s->d);
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	s->port = info->port;
}

static size_t
server_count(struct server *s)
{
	size_t n;

	pthread_mutex_lock(&s->mtx);
	n = s->n;
	pthread_mutex_unlock(&s->mtx);
	return n;
}

static void
server_stop(struct server *s)
{
	size_t i;

	MHD_stop_daemon(s->d);
	for (i = 0; i < s->n; i++)
		free(s->bodies[i]);
	pthread_mutex_destroy(&s->mtx);
}

/* A port nobody listens on (and nobody else gets while fd is open). */
static unsigned
closed_port(int *fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* --- a config with one receiver, alerts, a fake clock ---------------------- */

struct fixture {
	struct config		 cfg;
	struct config_receiver	 rcv;
	char			 url[64];
	char			 dir[64];
	int			 closed_fd;
	_Atomic int64_t		 now_ms;
	atomic_bool		 ticking;
};

/*
 * Stands still, so the test decides when a retry is due; once `ticking`,
 * each call moves it on by 100 ms, so the flush at notifier_stop() (one
 * second on this clock) ends.
 */
static int64_t
fake_clock(void *arg)
{
	struct fixture *f = arg;

	if (atomic_load(&f->ticking))
		return atomic_fetch_add(&f->now_ms, 100) + 100;
	return atomic_load(&f->now_ms);
}

/* Stop and free a notifier that runs on the fake clock. */
static void
notifier_free_fake(struct notifier *n, struct fixture *f)
{
	atomic_store(&f->ticking, true);
	notifier_free(n);
}

static void
fixture_init(struct fixture *f, unsigned port)
{
	memset(f, 0, sizeof(*f));
	f->closed_fd = -1;
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u/hook", port);
	f->rcv.name = (char *)"hook";
	f->rcv.url = f->url;
	f->rcv.timeout_ms = 2000;
	f->rcv.min_severity = PW_ASEV_INFO;
	f->rcv.send_resolved = true;
	f->rcv.max_age_ms = 3600000;
	f->rcv.backoff_ms = 600000;
	f->rcv.backoff_max_ms = 600000;
	f->rcv.queue_max = 1000;
	f->cfg.listen_host = (char *)"127.0.0.1";
	f->cfg.listen_port = 9717;
	f->cfg.receivers = &f->rcv;
	f->cfg.nreceivers = 1;
	atomic_store(&f->now_ms, T0);
}

/* The receiver is down: its port refuses connections. */
static void
fixture_init_down(struct fixture *f)
{
	int fd;
	unsigned port = closed_port(&fd);

	fixture_init(f, port);
	f->closed_fd = fd;
}

static void
fixture_fini(struct fixture *f)
{
	if (f->closed_fd >= 0)
		close(f->closed_fd);
}

static const struct pw_rule test_rule = {
	.name = (char *)"hot",
	.metric = (char *)"cpu_percent",
	.severity = PW_ASEV_CRITICAL,
};

/* n firing alerts with ids from `id`, malloc'd for notifier_enqueue(). */
static struct pw_alert *
alerts_make(size_t n, uint64_t id)
{
	struct pw_alert *a = calloc(n, sizeof(*a));
	size_t i;

	assert_non_null(a);
	for (i = 0; i < n; i++) {
		a[i].id = id + i;
		a[i].rule = &test_rule;
		a[i].state = PW_ALERT_FIRING;
		a[i].pid = (pid_t)(1000 + id + i);
		snprintf(a[i].name, sizeof(a[i].name), "proc%zu", i);
		snprintf(a[i].target, sizeof(a[i].target), "web");
		a[i].value = 99;
		a[i].threshold = 90;
		a[i].started_ms = T0 - 1000;
		a[i].fired_ms = T0;
		snprintf(a[i].message, sizeof(a[i].message), "alert %zu",
		    (size_t)(id + i));
	}
	return a;
}

static struct api_receiver_stats
stats(struct notifier *n)
{
	struct api_receiver_stats st[1];

	memset(st, 0, sizeof(st));
	assert_int_equal(notifier_stats(n, st, 1), 1);
	return st[0];
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Poll until the receiver's counters are these (~0 = any). */
#define ANY	UINT64_MAX
static bool
wait_stats(struct notifier *n, uint64_t delivered, uint64_t failed,
    uint64_t dropped, uint64_t queued)
{
	struct api_receiver_stats s;
	int waited;

	for (waited = 0; waited < DEADLINE_MS; waited += 10) {
		s = stats(n);
		if ((delivered == ANY || s.delivered == delivered) &&
		    (failed == ANY || s.failed == failed) &&
		    (dropped == ANY || s.dropped == dropped) &&
		    (queued == ANY || s.queued == queued))
			return true;
		nap_ms(10);
	}
	fprintf(stderr, "# stats: delivered %llu failed %llu dropped %llu "
	    "queued %llu\n", (unsigned long long)s.delivered,
	    (unsigned long long)s.failed, (unsigned long long)s.dropped,
	    (unsigned long long)s.queued);
	return false;
}

static struct notifier *
notifier_up(struct fixture *f, bool fake)
{
	struct notifier *n;
	char err[128];

	n = notifier_new(&f->cfg, NULL, err, sizeof(err));
	assert_non_null(n);
	if (fake)
		notifier_set_clock(n, fake_clock, f);
	assert_int_equal(notifier_start(n), 0);
	return n;
}

/* --- tests ------------------------------------------------------------------ */

static void
test_notifier_delivers_each_alert(void **state)
{
	struct fixture f;
	struct server s;
	struct notifier *n;
	cJSON *o;
	size_t i;

	(void)state;
	server_start(&s);
	fixture_init(&f, s.port);
	n = notifier_up(&f, false);
	notifier_enqueue(n, alerts_make(2, 1), 2);
	assert_true(wait_stats(n, 2, 0, 0, 0));
	assert_int_equal(server_count(&s), 2);
	for (i = 0; i < 2; i++) {
		o = cJSON_Parse(s.bodies[i]);
		assert_non_null(o);
		assert_string_equal(cJSON_GetObjectItem(o, "receiver")->
		    valuestring, "hook");
		assert_string_equal(cJSON_GetObjectItem(o, "status")->
		    valuestring, "firing");
		cJSON_Delete(o);
	}
	notifier_free(n);
	server_stop(&s);
	fixture_fini(&f);
}

static void
test_notifier_queue_max_drops_and_counts(void **state)
{
	struct notifier *n;
	struct fixture f;

	(void)state;
	fixture_init_down(&f);
	f.rcv.queue_max = 2;
	n = notifier_up(&f, false);
	notifier_enqueue(n, alerts_make(5, 1), 5);
	/* Two fit, each tried once and waiting for a retry; three dropped. */
	assert_true(wait_stats(n, 0, 2, 3, 2));
	/* One more is dropped too: the queue is still full. */
	notifier_enqueue(n, alerts_make(1, 10), 1);
	assert_true(wait_stats(n, 0, 2, 4, 2));
	notifier_free(n);
	fixture_fini(&f);
}

static void
test_notifier_backoff_grows_and_caps(void **state)
{
	/* backoff_ms 1000, backoff_max_ms 4000: each delay is in [d/2, d]
	 * for d = 1000, 2000, 4000, then 4000 (not 8000, 16000). */
	static const int64_t d[] = { 1000, 2000, 4000, 4000, 4000 };
	struct notifier *n;
	struct fixture f;
	int64_t at = T0;
	size_t k;

	(void)state;
	fixture_init_down(&f);
	f.rcv.backoff_ms = 1000;
	f.rcv.backoff_max_ms = 4000;
	n = notifier_up(&f, true);
	notifier_enqueue(n, alerts_make(1, 1), 1);
	assert_true(wait_stats(n, 0, 1, 0, 1));	/* the first attempt */
	for (k = 0; k < sizeof(d) / sizeof(d[0]); k++) {
		/* Not retried before half the delay ... */
		atomic_store(&f.now_ms, at + d[k] / 2 - 1);
		nap_ms(QUIET_MS);
		assert_int_equal(stats(n).failed, 1 + k);
		/* ... and retried once the whole delay has passed. */
		at += d[k];
		atomic_store(&f.now_ms, at);
		assert_true(wait_stats(n, 0, 2 + k, 0, 1));
	}
	notifier_free_fake(n, &f);
	fixture_fini(&f);
}

static void
test_notifier_max_age_gives_up(void **state)
{
	struct notifier *n;
	struct fixture f;

	(void)state;
	fixture_init_down(&f);
	f.rcv.backoff_ms = 1000;
	f.rcv.backoff_max_ms = 1000;
	f.rcv.max_age_ms = 5000;
	n = notifier_up(&f, true);
	notifier_enqueue(n, alerts_make(1, 1), 1);
	assert_true(wait_stats(n, 0, 1, 0, 1));
	/* A retry younger than max_age_ms keeps the job. */
	atomic_store(&f.now_ms, T0 + 1000);
	assert_true(wait_stats(n, 0, 2, 0, 1));
	/* The first failure at or past max_age_ms drops it. */
	atomic_store(&f.now_ms, T0 + 5000);
	assert_true(wait_stats(n, 0, 3, 1, 0));
	notifier_free_fake(n, &f);
	fixture_fini(&f);
}

/* Lines of the spool file, each checked to be a job for "hook". */
static size_t
spool_lines(const char *dir, char **bodies, size_t max)
{
	char path[128], *line = NULL;
	size_t cap = 0, n = 0;
	cJSON *o, *b;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/notify-spool.jsonl", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (getline(&line, &cap, fp) > 0) {
		o = cJSON_Parse(line);
		assert_non_null(o);
		assert_string_equal(cJSON_GetObjectItem(o, "receiver")->
		    valuestring, "hook");
		b = cJSON_GetObjectItem(o, "body");
		assert_true(cJSON_IsString(b));
		if (n < max)
			bodies[n] = strdup(b->valuestring);
		n++;
		cJSON_Delete(o);
	}
	free(line);
	fclose(fp);
	return n;
}

static void
test_notifier_spool_keeps_and_reloads(void **state)
{
	char *spooled[2] = { NULL, NULL };
	struct notifier *n;
	struct fixture f;
	struct server s;
	size_t i, k;

	(void)state;
	fixture_init_down(&f);
	snprintf(f.dir, sizeof(f.dir), "/tmp/pw-notifier.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	f.cfg.state_dir = f.dir;
	n = notifier_up(&f, false);
	notifier_enqueue(n, alerts_make(2, 1), 2);
	assert_true(wait_stats(n, 0, 2, 0, 2));
	notifier_free(n);		/* stop: the two go to the spool */
	assert_int_equal(spool_lines(f.dir, spooled, 2), 2);

	/* A new notifier (a restart) loads them and delivers them as they
	 * were, to the receiver that is up now. */
	server_start(&s);
	snprintf(f.url, sizeof(f.url), "http://127.0.0.1:%u/hook", s.port);
	n = notifier_new(&f.cfg, NULL, (char[64]){ 0 }, 64);
	assert_non_null(n);
	assert_int_equal(stats(n).queued, 2);	/* loaded, not yet sent */
	assert_int_equal(notifier_start(n), 0);
	assert_true(wait_stats(n, 2, 0, 0, 0));
	assert_int_equal(server_count(&s), 2);
	for (i = 0; i < 2; i++) {
		for (k = 0; k < 2; k++)
			if (strcmp(s.bodies[k], spooled[i]) == 0)
				break;
		assert_true(k < 2);	/* byte for byte */
	}
	notifier_free(n);
	assert_int_equal(spool_lines(f.dir, NULL, 0), 0);

	for (i = 0; i < 2; i++)
		free(spooled[i]);
	server_stop(&s);
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/notify-spool.jsonl", f.dir);
		unlink(path);
		rmdir(f.dir);
	}
	fixture_fini(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notifier_delivers_each_alert),
		cmocka_unit_test(test_notifier_queue_max_drops_and_counts),
		cmocka_unit_test(test_notifier_backoff_grows_and_caps),
		cmocka_unit_test(test_notifier_max_age_gives_up),
		cmocka_unit_test(test_notifier_spool_keeps_and_reloads),
	};
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
