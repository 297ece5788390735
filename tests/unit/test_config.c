/*
 * test_config.c: daemon/config.c, the JSON config of procwatchd.
 *
 * Every error test checks both the return code and that the one-line
 * message names the file and the field at fault.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

#define EXAMPLE		PW_FIXTURES "/../../etc/procwatchd.json"
#define CFGDIR		PW_FIXTURES "/config"

/* Parse `json` as "x.json"; return the code, keep the message. */
static int
parse(const char *json, struct config **out, char *err, size_t errlen)
{
	return config_parse(json, strlen(json), "x.json", out, err, errlen);
}

/*
 * Expect `json` to be rejected with -EINVAL and a message that starts
 * with "x.json: " and contains `want`.
 */
static void
expect_error(const char *json, const char *want)
{
	struct config *c = (struct config *)0x1;	/* must stay untouched */
	char err[512] = "";
	int rc;

	rc = parse(json, &c, err, sizeof(err));
	if (rc != -EINVAL || strstr(err, want) == NULL ||
	    strncmp(err, "x.json: ", 8) != 0)
		print_error("json: %s\nwant: %s\ngot:  %d \"%s\"\n", json,
		    want, rc, err);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, want));
	assert_int_equal(strncmp(err, "x.json: ", 8), 0);
	assert_null(strchr(err, '\n'));
	assert_ptr_equal(c, (struct config *)0x1);
}

static struct config *
parse_ok(const char *json)
{
	struct config *c = NULL;
	char err[512] = "";
	int rc;

	rc = parse(json, &c, err, sizeof(err));
	if (rc != 0)
		print_error("json: %s\nerr: %s\n", json, err);
	assert_int_equal(rc, 0);
	assert_non_null(c);
	return c;
}

static void
test_config_defaults(void **state)
{
	struct config *c = NULL;

	(void)state;
	assert_int_equal(config_defaults(&c), 0);
	assert_null(c->path);
	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 9717);
	assert_int_equal(c->max_connections, 256);
	assert_int_equal(c->conn_timeout_s, 10);
	assert_int_equal(c->header_timeout_s, 5);
	assert_false(c->debug);
	assert_int_equal(c->mon.interval_ms, 1000);
	assert_int_equal(c->mon.history, 1000);
	assert_int_equal(c->mon.retention_ms, PW_DEFAULT_RETENTION_MS);
	assert_int_equal(c->mon.limits_every_ms, PW_DEFAULT_LIMITS_MS);
	assert_true(c->mon.use_libproc2);
	assert_null(c->mon.proc_root);
	assert_int_equal(c->ntargets, 1);
	assert_string_equal(c->targets[0].name, "all");
	assert_int_equal(c->targets[0].sel, PW_SEL_ALL);
	assert_ptr_equal(c->mon.targets, c->targets);
	assert_int_equal(c->mon.ntargets, 1);
	config_free(c);
}

static void
test_config_empty_object_is_defaults(void **state)
{
	struct config *c = parse_ok("{}");

	(void)state;
	assert_string_equal(c->path, "x.json");
	assert_int_equal(c->listen_port, 9717);
	assert_int_equal(c->mon.interval_ms, 1000);
	assert_int_equal(c->ntargets, 1);
	assert_int_equal(c->targets[0].sel, PW_SEL_ALL);
	assert_string_equal(c->targets[0].name, "all");
	config_free(c);
}

static void
test_config_full_good(void **state)
{
	static const char json[] =
	    "{\n"
	    "  \"listen\": \"[::1]:0\",\n"
	    "  \"interval_ms\": 250,\n"
	    "  \"history\": 500,\n"
	    "  \"retention_ms\": 0,\n"
	    "  \"limits_every_ms\": 5000,\n"
	    "  \"keep_open\": false,\n"
	    "  \"proc_root\": \"/tmp/fakeproc\",\n"
	    "  \"use_libproc2\": false,\n"
	    "  \"max_connections\": 100000,\n"
	    "  \"conn_timeout_s\": 3600,\n"
	    "  \"header_timeout_s\": 3600,\n"
	    "  \"log_level\": \"debug\",\n"
	    "  \"targets\": [\n"
	    "    { \"name\": \"everything\", \"all\": true },\n"
	    "    { \"name\": \"init\", \"pid\": 1, \"children\": true },\n"
	    "    { \"name\": \"sshd\", \"pidfile\": \"/run/sshd.pid\" },\n"
	    "    { \"name\": \"cron\", \"comm\": \"cron\","
	    " \"children\": false },\n"
	    "    { \"name\": \"py\", \"cmdline\": \"^/usr/bin/python3 .*\" },\n"
	    "    { \"name\": \"root-procs\", \"user\": \"root\" },\n"
	    "    { \"name\": \"uid1000\", \"user\": 1000 }\n"
	    "  ]\n"
	    "}\n";
	struct config *c = parse_ok(json);

	(void)state;
	assert_string_equal(c->listen_host, "::1");
	assert_int_equal(c->listen_port, 0);
	assert_int_equal(c->mon.interval_ms, 250);
	assert_int_equal(c->mon.history, 500);
	assert_int_equal(c->mon.retention_ms, 0);
	assert_int_equal(c->mon.limits_every_ms, 5000);
	assert_false(c->mon.keep_open);
	assert_string_equal(c->mon.proc_root, "/tmp/fakeproc");
	assert_ptr_equal(c->mon.proc_root, c->proc_root);
	assert_false(c->mon.use_libproc2);
	assert_int_equal(c->max_connections, 100000);
	assert_int_equal(c->conn_timeout_s, 3600);
	assert_int_equal(c->header_timeout_s, 3600);
	assert_true(c->debug);

	assert_int_equal(c->ntargets, 7);
	assert_ptr_equal(c->mon.targets, c->targets);
	assert_int_equal(c->mon.ntargets, 7);
	assert_string_equal(c->targets[0].name, "everything");
	assert_int_equal(c->targets[0].sel, PW_SEL_ALL);
	assert_string_equal(c->targets[1].name, "init");
	assert_int_equal(c->targets[1].sel, PW_SEL_PID);
	assert_int_equal(c->targets[1].pid, 1);
	assert_true(c->targets[1].children);
	assert_int_equal(c->targets[2].sel, PW_SEL_PIDFILE);
	assert_string_equal(c->targets[2].pidfile, "/run/sshd.pid");
	assert_false(c->targets[2].children);
	assert_int_equal(c->targets[3].sel, PW_SEL_NAME);
	assert_string_equal(c->targets[3].comm, "cron");
	assert_int_equal(c->targets[4].sel, PW_SEL_CMDLINE);
	assert_string_equal(c->targets[4].pattern, "^/usr/bin/python3 .*");
	assert_true(c->targets[4].has_re);
	assert_int_equal(c->targets[5].sel, PW_SEL_USER);
	assert_int_equal(c->targets[5].uid, 0);
	assert_int_equal(c->targets[6].sel, PW_SEL_USER);
	assert_int_equal(c->targets[6].uid, 1000);
	config_free(c);
}

static void
test_config_targets_all_string(void **state)
{
	struct config *c = parse_ok("{\"targets\": \"all\"}");

	(void)state;
	assert_int_equal(c->ntargets, 1);
	assert_string_equal(c->targets[0].name, "all");
	assert_int_equal(c->targets[0].sel, PW_SEL_ALL);
	config_free(c);
}

static void
test_config_invalid_json_names_line(void **state)
{
	(void)state;
	expect_error("{\n  \"interval_ms\": 100,\n  \"history\": ,\n}\n",
	    "invalid JSON near line 3");
	expect_error("{\"interval_ms\": 100", "invalid JSON near line 1");
}

static void
test_config_comments_are_not_json(void **state)
{
	(void)state;
	expect_error("{\n// the interval\n\"interval_ms\": 100}",
	    "invalid JSON near line 2");
}

static void
test_config_trailing_data_rejected(void **state)
{
	(void)state;
	expect_error("{}\n\n{}", "invalid JSON near line 3, column 1");
}

static void
test_config_empty_text_rejected(void **state)
{
	(void)state;
	expect_error("", "empty");
	expect_error("  \n\t", "empty");
}

static void
test_config_top_level_must_be_object(void **state)
{
	(void)state;
	expect_error("[1, 2]", "expected a JSON object");
	expect_error("\"all\"", "expected a JSON object");
}

static void
test_config_text_need_not_be_nul_terminated(void **state)
{
	static const char buf[] = "{\"history\": 7}garbage";
	struct config *c = NULL;
	char err[256];

	(void)state;
	assert_int_equal(config_parse(buf, 14, NULL, &c, err, sizeof(err)),
	    0);
	assert_int_equal(c->mon.history, 7);
	assert_null(c->path);
	config_free(c);
}

static void
test_config_unknown_key(void **state)
{
	(void)state;
	expect_error("{\"intervall_ms\": 100}", "unknown key \"intervall_ms\"");
	expect_error("{\"targets\": [{\"comm\": \"a\", \"child\": true}]}",
	    "targets[0]: unknown key \"child\"");
	/* "name_match" is deliberately not an alias of "comm". */
	expect_error("{\"targets\": [{\"name_match\": \"a\"}]}",
	    "targets[0]: unknown key \"name_match\"");
}

static void
test_config_duplicate_key(void **state)
{
	(void)state;
	expect_error("{\"history\": 10, \"history\": 20}",
	    "history: key given more than once");
	expect_error("{\"targets\": [{\"comm\": \"a\", \"comm\": \"b\"}]}",
	    "targets[0].comm: key given more than once");
}

static void
test_config_wrong_type_each_key(void **state)
{
	static const struct {
		const char	*json;
		const char	*want;
	} cases[] = {
		{ "{\"listen\": 9717}", "listen: expected a string" },
		{ "{\"interval_ms\": \"1000\"}",
		    "interval_ms: expected an integer, got a string" },
		{ "{\"history\": true}", "history: expected an integer" },
		{ "{\"retention_ms\": null}", "retention_ms: expected an "
		    "integer, got null" },
		{ "{\"limits_every_ms\": [1]}", "limits_every_ms: expected" },
		{ "{\"keep_open\": 1}", "keep_open: expected a boolean" },
		{ "{\"proc_root\": false}", "proc_root: expected a string" },
		{ "{\"use_libproc2\": \"yes\"}", "use_libproc2: expected a "
		    "boolean" },
		{ "{\"max_connections\": {}}", "max_connections: expected" },
		{ "{\"conn_timeout_s\": \"10\"}", "conn_timeout_s: expected" },
		{ "{\"header_timeout_s\": true}",
		    "header_timeout_s: expected" },
		{ "{\"log_level\": 7}", "log_level: expected a string" },
		{ "{\"targets\": {\"comm\": \"a\"}}", "targets: expected a "
		    "string or an array, got an object" },
		{ "{\"targets\": [\"sshd\"]}", "targets[0]: expected an "
		    "object, got a string" },
		{ "{\"targets\": [{\"name\": 1, \"comm\": \"a\"}]}",
		    "targets[0].name: expected a string" },
		{ "{\"targets\": [{\"all\": \"true\"}]}",
		    "targets[0].all: expected a boolean" },
		{ "{\"targets\": [{\"pid\": true}]}",
		    "targets[0].pid: expected an integer or a string" },
		{ "{\"targets\": [{\"pidfile\": 1}]}",
		    "targets[0].pidfile: expected a string" },
		{ "{\"targets\": [{\"comm\": [\"a\"]}]}",
		    "targets[0].comm: expected a string" },
		{ "{\"targets\": [{\"cmdline\": null}]}",
		    "targets[0].cmdline: expected a string" },
		{ "{\"targets\": [{\"user\": false}]}",
		    "targets[0].user: expected an integer or a string" },
		{ "{\"targets\": [{\"comm\": \"a\", \"children\": 1}]}",
		    "targets[0].children: expected a boolean" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].json, cases[i].want);
}

static void
test_config_out_of_range_ints(void **state)
{
	static const struct {
		const char	*json;
		const char	*want;
	} cases[] = {
		{ "{\"interval_ms\": 9}", "interval_ms: must be an integer "
		    "between 10 and 3600000" },
		{ "{\"interval_ms\": 3600001}", "interval_ms: must be" },
		{ "{\"interval_ms\": 100.5}", "interval_ms: must be" },
		{ "{\"interval_ms\": 1e400}", "interval_ms: must be" },
		{ "{\"history\": 1}", "history: must be an integer between 2 "
		    "and 1000000" },
		{ "{\"history\": 1000001}", "history: must be" },
		{ "{\"retention_ms\": -1}", "retention_ms: must be" },
		{ "{\"retention_ms\": 86400001}", "retention_ms: must be" },
		{ "{\"limits_every_ms\": 999}", "limits_every_ms: must be" },
		{ "{\"limits_every_ms\": 86400001}",
		    "limits_every_ms: must be" },
		{ "{\"max_connections\": 0}", "max_connections: must be" },
		{ "{\"max_connections\": 100001}", "max_connections: must be" },
		{ "{\"conn_timeout_s\": 0}", "conn_timeout_s: must be" },
		{ "{\"conn_timeout_s\": 3601}", "conn_timeout_s: must be" },
		{ "{\"header_timeout_s\": 0}", "header_timeout_s: must be" },
		{ "{\"header_timeout_s\": 3601}",
		    "header_timeout_s: must be" },
		{ "{\"targets\": [{\"pid\": 0}]}", "targets[0].pid: must be" },
		{ "{\"targets\": [{\"pid\": -5}]}", "targets[0].pid: must be" },
		{ "{\"targets\": [{\"pid\": 1.5}]}", "targets[0].pid: must be" },
		{ "{\"targets\": [{\"user\": -1}]}",
		    "targets[0].user: must be" },
		{ "{\"targets\": [{\"user\": 4294967295}]}",
		    "targets[0].user: must be" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].json, cases[i].want);
}

static void
test_config_range_edges_accepted(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("{\"interval_ms\": 10, \"history\": 2, "
	    "\"retention_ms\": 86400000, \"limits_every_ms\": 1000, "
	    "\"max_connections\": 1, \"conn_timeout_s\": 1}");
	assert_int_equal(c->mon.interval_ms, 10);
	assert_int_equal(c->mon.history, 2);
	assert_int_equal(c->mon.retention_ms, 86400000);
	assert_int_equal(c->mon.limits_every_ms, 1000);
	assert_int_equal(c->max_connections, 1);
	assert_int_equal(c->conn_timeout_s, 1);
	config_free(c);
	c = parse_ok("{\"interval_ms\": 3600000, \"history\": 1e6}");
	assert_int_equal(c->mon.interval_ms, 3600000);
	assert_int_equal(c->mon.history, 1000000);
	config_free(c);
}

static void
test_config_bad_regex(void **state)
{
	(void)state;
	expect_error("{\"targets\": [{\"comm\": \"a\"}, "
	    "{\"cmdline\": \"^(python\"}]}", "targets[1].cmdline: bad regex: ");
	expect_error("{\"targets\": [{\"cmdline\": \"\"}]}",
	    "targets[0].cmdline: must not be empty");
}

static void
test_config_bad_regex_not_prefixed_twice(void **state)
{
	struct config *c = NULL;
	char err[512];

	(void)state;
	assert_int_equal(parse("{\"targets\": [{\"cmdline\": \"a(\"}]}", &c,
	    err, sizeof(err)), -EINVAL);
	assert_null(strstr(err, "bad regex: bad regex"));
}

static void
test_config_bad_listen(void **state)
{
	static const char *const bad[] = {
		"1.2.3.4", "example.com:80", "1.2.3.4:65536", "::1:80",
		"[::1]80", "[::1:80", "1.2.3.256:80", ":80", "1.2.3.4:",
		"1.2.3.4:-1", "1.2.3.4:+80", "1.2.3.4:80x", "[]:80",
		"[127.0.0.1]:80", "localhost:123456", "",
	};
	char json[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"listen\": \"%s\"}", bad[i]);
		expect_error(json, "listen: ");
	}
}

static void
test_config_listen_forms(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("{\"listen\": \"localhost:8080\"}");
	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 8080);
	config_free(c);
	c = parse_ok("{\"listen\": \"0.0.0.0:0\", \"public_read\": true}");
	assert_string_equal(c->listen_host, "0.0.0.0");
	assert_int_equal(c->listen_port, 0);
	config_free(c);
	c = parse_ok("{\"listen\": \"[::]:65535\", \"public_read\": true}");
	assert_string_equal(c->listen_host, "::");
	assert_int_equal(c->listen_port, 65535);
	config_free(c);
}

static void
test_config_zero_selectors(void **state)
{
	(void)state;
	expect_error("{\"targets\": [{\"comm\": \"a\"}, {\"name\": \"x\"}]}",
	    "targets[1]: no selector");
	expect_error("{\"targets\": [{\"children\": true}]}",
	    "targets[0]: no selector");
}

static void
test_config_two_selectors(void **state)
{
	(void)state;
	expect_error("{\"targets\": [{\"comm\": \"a\", \"pid\": 1}]}",
	    "targets[0]: more than one selector (\"comm\" and \"pid\")");
	expect_error("{\"targets\": [{\"all\": true}, "
	    "{\"user\": \"root\", \"cmdline\": \"x\"}]}",
	    "targets[1]: more than one selector");
}

static void
test_config_empty_targets(void **state)
{
	(void)state;
	expect_error("{\"targets\": []}", "targets: must not be empty; use "
	    "\"all\"");
	expect_error("{\"targets\": \"some\"}", "targets: must be \"all\"");
}

static void
test_config_duplicate_target_names(void **state)
{
	(void)state;
	expect_error("{\"targets\": [{\"name\": \"web\", \"comm\": \"nginx\"},"
	    " {\"name\": \"db\", \"comm\": \"postgres\"},"
	    " {\"name\": \"web\", \"comm\": \"apache2\"}]}",
	    "targets[2].name: duplicate target name \"web\" (also targets[0])");
}

static void
test_config_bad_target_values(void **state)
{
	static const struct {
		const char	*json;
		const char	*want;
	} cases[] = {
		{ "{\"targets\": [{\"name\": \"a b\", \"comm\": \"a\"}]}",
		    "targets[0].name: must be 1 to 64 characters" },
		{ "{\"targets\": [{\"name\": \"\", \"comm\": \"a\"}]}",
		    "targets[0].name: must be" },
		{ "{\"targets\": [{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"comm\": \"a\"}]}",
		    "targets[0].name: must be" },
		{ "{\"targets\": [{\"comm\": \"0123456789abcdef\"}]}",
		    "targets[0].comm: must be 1 to 15 characters" },
		{ "{\"targets\": [{\"comm\": \"\"}]}",
		    "targets[0].comm: must be" },
		{ "{\"targets\": [{\"pidfile\": \"run/x.pid\"}]}",
		    "targets[0].pidfile: must be an absolute path" },
		{ "{\"targets\": [{\"all\": false}]}",
		    "targets[0].all: must be true" },
		{ "{\"targets\": [{\"pid\": \"me\"}]}",
		    "targets[0].pid: must be a positive integer or \"self\"" },
		{ "{\"targets\": [{\"user\": \"\"}]}",
		    "targets[0].user: must be" },
		{ "{\"log_level\": \"trace\"}",
		    "log_level: must be \"info\" or \"debug\"" },
		{ "{\"proc_root\": \"proc\"}",
		    "proc_root: must be an absolute path" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].json, cases[i].want);
}

static void
test_config_cgroup_and_unit_targets(void **state)
{
	struct config *c = parse_ok("{\"targets\": ["
	    "{\"name\": \"web\", \"cgroup\": \"/system.slice/nginx.service/\"},"
	    "{\"name\": \"ng\", \"unit\": \"nginx\", \"children\": true},"
	    "{\"unit\": \"getty@tty1\"},"
	    "{\"cgroup\": \"/user.slice/user-1000.slice\"},"
	    "{\"cgroup\": \"/\"},"
	    "{\"unit\": \"system-getty.slice\"}]}");
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_int_equal(c->ntargets, 6);
	assert_int_equal(c->targets[0].sel, PW_SEL_CGROUP);
	assert_string_equal(c->targets[0].cgroup, "/system.slice/nginx.service");
	assert_int_equal(c->targets[1].sel, PW_SEL_UNIT);
	assert_string_equal(c->targets[1].unit, "nginx.service");
	assert_true(c->targets[1].children);
	/* Derived names: the unit as written, a cgroup's last component. */
	assert_string_equal(c->targets[2].name, "getty_tty1");
	assert_string_equal(c->targets[2].unit, "getty@tty1.service");
	assert_string_equal(c->targets[3].name, "user-1000.slice");
	assert_string_equal(c->targets[4].name, "cgroup");
	assert_string_equal(c->targets[5].unit, "system-getty.slice");
	assert_non_null(fp = open_memstream(&buf, &len));
	config_describe(c, fp);
	fclose(fp);
	assert_non_null(strstr(buf,
	    "  web: cgroup /system.slice/nginx.service and below\n"));
	assert_non_null(strstr(buf,
	    "  ng: systemd unit nginx.service, with children\n"));
	free(buf);
	config_free(c);
}

static void
test_config_bad_cgroup_and_unit(void **state)
{
	static const struct {
		const char	*json;
		const char	*want;
	} cases[] = {
		{ "{\"targets\": [{\"cgroup\": \"system.slice\"}]}",
		    "targets[0].cgroup: invalid cgroup path \"system.slice\": "
		    "must be an absolute cgroup path" },
		{ "{\"targets\": [{\"cgroup\": \"\"}]}",
		    "targets[0].cgroup: invalid cgroup path \"\": must be" },
		{ "{\"targets\": [{\"comm\": \"a\"}, "
		    "{\"cgroup\": \"/system.slice/../user.slice\"}]}",
		    "targets[1].cgroup: invalid cgroup path "
		    "\"/system.slice/../user.slice\": has a \".\" or \"..\" "
		    "component" },
		{ "{\"targets\": [{\"cgroup\": \"/a//b\"}]}",
		    "targets[0].cgroup: invalid cgroup path \"/a//b\": has an "
		    "empty component" },
		{ "{\"targets\": [{\"cgroup\": \"/a\\nb\"}]}",
		    "targets[0].cgroup: invalid cgroup path" },
		{ "{\"targets\": [{\"cgroup\": "
		    "\"/sys/fs/cgroup/system.slice/nginx.service\"}]}",
		    "targets[0].cgroup: invalid cgroup path "
		    "\"/sys/fs/cgroup/system.slice/nginx.service\": is a file "
		    "system path" },
		{ "{\"targets\": [{\"cgroup\": 7}]}",
		    "targets[0].cgroup: expected a string" },
		{ "{\"targets\": [{\"unit\": \"\"}]}",
		    "targets[0].unit: invalid unit name \"\": must not be empty" },
		{ "{\"targets\": [{\"unit\": \"multi-user.target\"}]}",
		    "targets[0].unit: invalid unit name \"multi-user.target\": "
		    "that unit type has no cgroup" },
		{ "{\"targets\": [{\"unit\": \"nginx.sevice\"}]}",
		    "targets[0].unit: invalid unit name \"nginx.sevice\": "
		    "unknown unit type suffix" },
		{ "{\"targets\": [{\"unit\": \"nginx service\"}]}",
		    "targets[0].unit: invalid unit name \"nginx service\": may "
		    "hold only" },
		{ "{\"targets\": [{\"unit\": \"-.slice\"}]}",
		    "targets[0].unit: invalid unit name \"-.slice\": -.slice is "
		    "the root cgroup" },
		{ "{\"targets\": [{\"unit\": [\"a\"]}]}",
		    "targets[0].unit: expected a string" },
		{ "{\"targets\": [{\"unit\": \"a\", \"cgroup\": \"/a\"}]}",
		    "targets[0]: more than one selector (\"unit\" and "
		    "\"cgroup\")" },
	};
	char json[600], name[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].json, cases[i].want);
	/* Too long: the message quotes a bounded snippet only. */
	memset(name, 'a', 260);
	name[260] = '\0';
	snprintf(json, sizeof(json), "{\"targets\": [{\"unit\": \"%s\"}]}",
	    name);
	expect_error(json, "targets[0].unit: invalid unit name");
	expect_error(json, "longer than 255 characters");
}

static void
test_config_unknown_user(void **state)
{
	(void)state;
	expect_error("{\"targets\": [{\"comm\": \"a\"}, "
	    "{\"user\": \"pw-no-such-user-xq\"}]}",
	    "targets[1].user: unknown user \"pw-no-such-user-xq\"");
}

static void
test_config_numeric_user_need_not_exist(void **state)
{
	struct config *c = parse_ok("{\"targets\": [{\"user\": \"54321\"}]}");

	(void)state;
	assert_int_equal(c->targets[0].sel, PW_SEL_USER);
	assert_int_equal(c->targets[0].uid, 54321);
	config_free(c);
}

static void
test_config_pid_self(void **state)
{
	struct config *c = parse_ok("{\"targets\": [{\"pid\": \"self\"}]}");

	(void)state;
	assert_int_equal(c->targets[0].sel, PW_SEL_PID);
	assert_int_equal(c->targets[0].pid, getpid());
	assert_string_equal(c->targets[0].name, "self");
	config_free(c);
}

static void
test_config_derived_names_are_unique(void **state)
{
	struct config *c = parse_ok("{\"targets\": ["
	    "{\"comm\": \"sshd\"},"
	    "{\"comm\": \"sshd\", \"children\": true},"
	    "{\"name\": \"sshd-3\", \"pid\": 1},"
	    "{\"comm\": \"sshd\"},"
	    "{\"cmdline\": \"^/usr/bin/python3 .*worker\"},"
	    "{\"cmdline\": \"[$@]+\"},"
	    "{\"pidfile\": \"/run/nginx.pid\"},"
	    "{\"pid\": 42},"
	    "{\"user\": \"root\"},"
	    "{\"all\": true}"
	    "]}");

	(void)state;
	assert_int_equal(c->ntargets, 10);
	assert_string_equal(c->targets[0].name, "sshd");
	assert_string_equal(c->targets[1].name, "sshd-2");
	assert_string_equal(c->targets[2].name, "sshd-3");
	assert_string_equal(c->targets[3].name, "sshd-4");
	assert_string_equal(c->targets[4].name, "usr_bin_python3_._worker");
	assert_string_equal(c->targets[5].name, "cmdline");
	assert_string_equal(c->targets[6].name, "nginx");
	assert_string_equal(c->targets[7].name, "pid-42");
	assert_string_equal(c->targets[8].name, "user-root");
	assert_string_equal(c->targets[9].name, "all");
	config_free(c);
}

static void
test_config_long_derived_name_is_capped(void **state)
{
	char json[512], want[65];
	struct config *c;

	(void)state;
	memset(want, 'a', 64);
	want[64] = '\0';
	snprintf(json, sizeof(json), "{\"targets\": [{\"cmdline\": \"%s%s\"},"
	    "{\"cmdline\": \"%s%s\"}]}", want, "bbbb", want, "cccc");
	c = parse_ok(json);
	assert_string_equal(c->targets[0].name, want);
	assert_int_equal(strlen(c->targets[1].name), 64);
	assert_string_equal(c->targets[1].name + 62, "-2");
	config_free(c);
}

static void
test_config_load_example(void **state)
{
	struct config *c = NULL;
	char err[512] = "";
	int rc;

	(void)state;
	rc = config_load(EXAMPLE, &c, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(c->path, EXAMPLE);
	assert_true(c->ntargets >= 1);
	config_free(c);
}

static void
test_config_load_missing_file(void **state)
{
	struct config *c = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(config_load(CFGDIR "/no-such.json", &c, err,
	    sizeof(err)), -ENOENT);
	assert_null(c);
	assert_non_null(strstr(err, CFGDIR "/no-such.json: "));
	assert_non_null(strstr(err, "No such file"));
}

static void
expect_load_error(const char *path, const char *want)
{
	struct config *c = NULL;
	char err[512] = "";
	int rc;

	rc = config_load(path, &c, err, sizeof(err));
	if (rc != -EINVAL || strstr(err, want) == NULL)
		print_error("%s: got %d \"%s\"\n", path, rc, err);
	assert_int_equal(rc, -EINVAL);
	assert_null(c);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, want));
}

static void
test_config_load_bad_fixtures(void **state)
{
	(void)state;
	expect_load_error(CFGDIR "/bad_regex.json",
	    ": targets[1].cmdline: bad regex: ");
	expect_load_error(CFGDIR "/unknown_key.json",
	    ": unknown key \"intervall_ms\"");
	expect_load_error(CFGDIR "/bad_json.json",
	    ": invalid JSON near line 3");
}

static void
test_config_load_too_big(void **state)
{
	char path[] = "/tmp/pw_test_config_XXXXXX", err[512] = "";
	struct config *c = NULL;
	char *big;
	size_t len = CONFIG_FILE_MAX + 16;
	FILE *fp;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	assert_non_null(big = malloc(len));
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	assert_int_equal(fwrite(big, 1, len, fp), len);
	fclose(fp);
	free(big);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -EFBIG);
	unlink(path);
	assert_null(c);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "too large"));
}

static void
test_config_describe_lists_targets(void **state)
{
	struct config *c = parse_ok("{\"listen\": \"[::1]:9000\", "
	    "\"interval_ms\": 500, \"history\": 60, \"targets\": ["
	    "{\"name\": \"sshd\", \"comm\": \"sshd\", \"children\": true},"
	    "{\"name\": \"py\", \"cmdline\": \"python\"},"
	    "{\"name\": \"me\", \"pid\": 7}]}");
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_non_null(fp = open_memstream(&buf, &len));
	config_describe(c, fp);
	fclose(fp);
	assert_non_null(strstr(buf, "config: x.json\n"));
	assert_non_null(strstr(buf, "listen: [::1]:9000\n"));
	assert_non_null(strstr(buf, "interval: 500 ms\n"));
	assert_non_null(strstr(buf, "history: 60 samples"));
	assert_non_null(strstr(buf, "  sshd: comm \"sshd\", with children\n"));
	assert_non_null(strstr(buf, "  py: cmdline matching \"python\"\n"));
	assert_non_null(strstr(buf, "  me: pid 7\n"));
	free(buf);
	config_free(c);
}

static void
test_config_error_fits_small_buffer(void **state)
{
	struct config *c = NULL;
	char err[16];

	(void)state;
	memset(err, 'z', sizeof(err));
	assert_int_equal(parse("{\"bogus\": 1}", &c, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(parse("{\"bogus\": 1}", &c, NULL, 0), -EINVAL);
	assert_null(c);
}

static void
test_config_free_null(void **state)
{
	(void)state;
	config_free(NULL);
}

static void
test_config_rules_default_to_builtins(void **state)
{
	struct config *c = parse_ok("{}");
	size_t nbuiltin;

	(void)state;
	/* Every built-in is on by default: none is cut off by a cap. */
	for (nbuiltin = 0; pw_rule_builtin_name(nbuiltin) != NULL; nbuiltin++)
		;
	assert_int_equal(nbuiltin, 9);
	assert_int_equal(c->nrules, nbuiltin);
	assert_string_equal(c->rules[0].name, "high_cpu");
	assert_string_equal(c->rules[3].name, "fd_exhaustion");
	assert_string_equal(c->rules[4].name, "process_down");
	assert_string_equal(c->rules[5].name, "too_many_processes");
	assert_int_equal(c->rules[5].for_ms, 0);
	assert_string_equal(c->rules[7].name, "cpu_starved");
	assert_int_equal(c->rules[7].for_ms, 60000);
	assert_string_equal(c->rules[8].name, "io_stalled");
	assert_int_equal(c->rules[8].for_ms, 60000);
	assert_int_equal(c->alert_history, 100);
	assert_string_equal(c->state_dir, "/var/lib/procwatch");
	assert_int_equal(c->nreceivers, 0);
	config_free(c);
	assert_int_equal(config_defaults(&c), 0);
	assert_int_equal(c->nrules, nbuiltin);
	config_free(c);
}

static void
test_config_rules_builtin_switches(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("{\"rules\": {\"builtin\": {\"high_cpu\": false}}}");
	assert_int_equal(c->nrules, 8);
	assert_string_equal(c->rules[0].name, "high_memory");
	config_free(c);
	/* The delay rules switch off like the others. */
	c = parse_ok("{\"rules\": {\"builtin\": {\"cpu_starved\": false, "
	    "\"io_stalled\": false}}}");
	assert_int_equal(c->nrules, 7);
	assert_string_equal(c->rules[5].name, "too_many_processes");
	config_free(c);
	c = parse_ok("{\"rules\": {\"builtin\": {\"process_down\": false}}}");
	assert_int_equal(c->nrules, 8);
	assert_string_equal(c->rules[3].name, "fd_exhaustion");
	assert_string_equal(c->rules[4].name, "too_many_processes");
	config_free(c);
	c = parse_ok("{\"rules\": {\"builtin\": {\"process_down\": true}, "
	    "\"custom\": [{\"name\": \"x\", \"metric\": \"threads\", "
	    "\"op\": \">\", \"threshold\": 100}]}}");
	assert_int_equal(c->nrules, 2);
	assert_string_equal(c->rules[0].name, "process_down");
	assert_string_equal(c->rules[0].metric, "target_processes");
	assert_int_equal(c->rules[0].severity, PW_ASEV_CRITICAL);
	config_free(c);
	c = parse_ok("{\"rules\": {\"builtin\": false}}");
	assert_int_equal(c->nrules, 0);
	config_free(c);
	/* Custom rules replace the built-ins unless they are asked for. */
	c = parse_ok("{\"rules\": [{\"name\": \"x\", \"metric\": \"threads\", "
	    "\"op\": \">\", \"threshold\": 100}]}");
	assert_int_equal(c->nrules, 1);
	config_free(c);
	c = parse_ok("{\"rules\": {\"builtin\": {\"fd_exhaustion\": true}, "
	    "\"custom\": [{\"name\": \"x\", \"metric\": \"threads\", "
	    "\"op\": \">\", \"threshold\": 100}]}}");
	assert_int_equal(c->nrules, 2);
	assert_string_equal(c->rules[0].name, "fd_exhaustion");
	assert_string_equal(c->rules[1].name, "x");
	config_free(c);
}

static void
test_config_rules_custom_full(void **state)
{
	struct config *c;
	const struct pw_rule *r;

	(void)state;
	c = parse_ok("{\"rules\": {\"custom\": [{\"name\": \"hot\", "
	    "\"metric\": \"cpu_percent\", \"op\": \">=\", \"threshold\": 50.5, "
	    "\"clear\": 40, \"for\": \"30s\", \"aggregate\": \"avg\", "
	    "\"window\": \"1m\", \"severity\": \"critical\", "
	    "\"targets\": [\"web\"], \"message\": \"{name} hot: "
	    "{value:.1f}%\"}]}, \"targets\": [{\"name\": \"web\", "
	    "\"comm\": \"nginx\"}]}");
	assert_int_equal(c->nrules, 1);
	r = &c->rules[0];
	assert_string_equal(r->name, "hot");
	assert_int_equal(r->op, PW_OP_GE);
	assert_true(r->threshold == 50.5);
	assert_true(r->has_clear && r->clear == 40);
	assert_int_equal(r->for_ms, 30000);
	assert_int_equal(r->agg, PW_AGG_AVG);
	assert_int_equal(r->window_ms, 60000);
	assert_int_equal(r->severity, PW_ASEV_CRITICAL);
	assert_int_equal(r->ntargets, 1);
	assert_string_equal(r->targets[0], "web");
	assert_string_equal(r->message, "{name} hot: {value:.1f}%");
	config_free(c);
	c = parse_ok("{\"rules\": [{\"name\": \"a\", \"metric\": \"fd_usage\", "
	    "\"op\": \"<\", \"threshold\": 0.1, \"for\": 500, "
	    "\"targets\": [\"all\"]}], \"alert_history\": 5, "
	    "\"state_dir\": \"/tmp/pw\"}");
	assert_int_equal(c->rules[0].for_ms, 500);
	assert_int_equal(c->alert_history, 5);
	assert_string_equal(c->state_dir, "/tmp/pw");
	config_free(c);
}

static void
test_config_history_disk(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("{}");
	assert_true(c->history_disk);
	assert_int_equal(c->history_max_bytes, 1073741824);
	assert_int_equal(c->history_fsync_ms, 10000);
	assert_int_equal(c->history_minute_days, 30);
	assert_int_equal(c->history_hour_days, 400);
	config_free(c);
	c = parse_ok("{\"history_disk\": false, \"history_max_bytes\": "
	    "1048576, \"history_fsync_ms\": 0, \"history_minute_days\": 7, "
	    "\"history_hour_days\": 7}");
	assert_false(c->history_disk);
	assert_int_equal(c->history_max_bytes, 1048576);
	assert_int_equal(c->history_fsync_ms, 0);
	assert_int_equal(c->history_minute_days, 7);
	assert_int_equal(c->history_hour_days, 7);
	config_free(c);
	c = parse_ok("{\"history_max_bytes\": 1125899906842624}");
	assert_int_equal(c->history_max_bytes, UINT64_C(1) << 50);
	config_free(c);
	/* Under systemd: StateDirectory='s, the first of them. */
	setenv("STATE_DIRECTORY", "/var/lib/pw-a:/var/lib/pw-b", 1);
	c = parse_ok("{}");
	assert_string_equal(c->state_dir, "/var/lib/pw-a");
	config_free(c);
	c = parse_ok("{\"state_dir\": \"/srv/pw\"}");
	assert_string_equal(c->state_dir, "/srv/pw");
	config_free(c);
	unsetenv("STATE_DIRECTORY");
	expect_error("{\"history_max_bytes\": 1000}", "history_max_bytes");
	expect_error("{\"history_max_bytes\": \"1GiB\"}",
	    "history_max_bytes");
	expect_error("{\"history_fsync_ms\": -1}", "history_fsync_ms");
	expect_error("{\"history_minute_days\": 0}", "history_minute_days");
	expect_error("{\"history_disk\": \"no\"}", "history_disk");
	expect_error("{\"history_minute_days\": 60, \"history_hour_days\": "
	    "30}", "history_hour_days: must be at least history_minute_days "
	    "(60)");
}

static void
test_config_dygraphs_dir(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("{}");
	assert_null(c->dygraphs_dir);		/* the API's Debian default */
	config_free(c);
	c = parse_ok("{\"dygraphs_dir\": \"/opt/dygraphs\"}");
	assert_string_equal(c->dygraphs_dir, "/opt/dygraphs");
	config_free(c);
	expect_error("{\"dygraphs_dir\": \"web/dygraphs\"}",
	    "dygraphs_dir: must be an absolute path");
	expect_error("{\"dygraphs_dir\": 1}",
	    "dygraphs_dir: expected a string, got a number");
}

#define RULE(extra)	"{\"rules\": {\"custom\": [{\"name\": \"r\", " \
	"\"metric\": \"cpu_percent\", \"op\": \">\", \"threshold\": 1" extra \
	"}]}}"

/*
 * Durations follow procwatch/duration.h: a JSON number is milliseconds, a
 * string needs a unit, and a string without one names the field.
 */
static void
test_config_rule_durations(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok(RULE(", \"for\": \"1h30m\", \"aggregate\": \"avg\", "
	    "\"window\": \"1.5s\""));
	assert_int_equal(c->rules[0].for_ms, 5400000);
	assert_int_equal(c->rules[0].window_ms, 1500);
	config_free(c);
	c = parse_ok(RULE(", \"for\": \"2d\", \"aggregate\": \"max\", "
	    "\"window\": 250"));
	assert_int_equal(c->rules[0].for_ms, 172800000);
	assert_int_equal(c->rules[0].window_ms, 250);
	config_free(c);
	expect_error(RULE(", \"for\": \"500\""), "rules.custom[0].for: "
	    "\"500\" needs a unit (ms, s, m, h, d)");
	expect_error("{\"rules\": {\"builtin\": {\"process_down\": "
	    "{\"for\": \"30\"}}}}", "rules.builtin.process_down.for: "
	    "\"30\" needs a unit (ms, s, m, h, d)");
	expect_error(RULE(", \"for\": \"8d\""), "rules.custom[0].for: must "
	    "be a duration up to 7 days");
	expect_error(RULE(", \"aggregate\": \"avg\", \"window\": \"1.5ms\""),
	    "rules.custom[0].window: must be a duration from 1ms to 1 day");
}

static void
test_config_rules_bad(void **state)
{
	(void)state;
	expect_error("{\"rules\": {\"custom\": [{\"name\": \"r\", \"metric\": "
	    "\"cpu_percent\", \"op\": \"=>\", \"threshold\": 1}]}}",
	    "rules.custom[0].op: must be one of > >= < <=");
	expect_error("{\"rules\": {\"custom\": [{\"name\": \"r\", \"metric\": "
	    "\"cpu\", \"op\": \">\", \"threshold\": 1}]}}",
	    "rules.custom[0].metric: unknown metric \"cpu\"");
	expect_error("{\"rules\": {\"custom\": [{\"name\": \"r\", \"metric\": "
	    "\"cpu_percent\", \"op\": \">\"}]}}",
	    "rules.custom[0]: missing \"threshold\"");
	expect_error(RULE(", \"for\": \"3 days\""), "rules.custom[0].for: ");
	expect_error(RULE(", \"for\": \"5x\""), "rules.custom[0].for: ");
	expect_error(RULE(", \"aggregate\": \"avg\""),
	    "rules.custom[0]: \"aggregate\" and \"window\" go together");
	expect_error(RULE(", \"aggregate\": \"sum\", \"window\": \"1m\""),
	    "rules.custom[0].aggregate: must be one of avg max min");
	expect_error(RULE(", \"clear\": 5"), "rules.custom[0].clear: must be "
	    "on the other side");
	expect_error(RULE(", \"severity\": \"page\""),
	    "rules.custom[0].severity: must be one of info warning critical");
	expect_error(RULE(", \"message\": \"{nope}\""),
	    "rules.custom[0].message: unknown placeholder at offset 0");
	expect_error(RULE(", \"targets\": [\"db\"]"),
	    "rules.custom[0].targets[0]: unknown target \"db\"");
	expect_error(RULE(", \"bogus\": 1"),
	    "rules.custom[0]: unknown key \"bogus\"");
	expect_error("{\"rules\": {\"custom\": [{\"name\": \"r\", \"metric\": "
	    "\"threads\", \"op\": \">\", \"threshold\": 1}, {\"name\": \"r\", "
	    "\"metric\": \"threads\", \"op\": \">\", \"threshold\": 2}]}}",
	    "rules.custom[1].name: duplicate rule name \"r\"");
	expect_error("{\"rules\": {\"builtin\": {\"high_gpu\": false}}}",
	    "rules.builtin.high_gpu: unknown built-in rule");
	expect_error("{\"rules\": [{\"name\": \"r\", \"metric\": \"threads\", "
	    "\"op\": \">\", \"threshold\": \"x\"}]}",
	    "rules[0].threshold: expected");
}

static void
test_config_receivers(void **state)
{
	struct config *c;
	const struct config_receiver *r;

	(void)state;
	c = parse_ok("{\"receivers\": [{\"name\": \"hook\", \"url\": "
	    "\"http://127.0.0.1:9/x\", \"headers\": {\"X-Team\": \"ops\"}, "
	    "\"secret\": \"s3\", \"timeout_ms\": 2000, \"min_severity\": "
	    "\"warning\", \"send_resolved\": false}, {\"name\": \"am\", "
	    "\"url\": \"http://127.0.0.1:9093/api/v2/alerts\", \"format\": "
	    "\"alertmanager\", \"resend_ms\": 30000}, {\"name\": \"script\", "
	    "\"exec\": [\"/bin/cat\", \"-\"], \"timeout_ms\": 5000}]}");
	assert_int_equal(c->nreceivers, 3);
	r = &c->receivers[0];
	assert_string_equal(r->name, "hook");
	assert_int_equal(r->format, RECV_PROCWATCH);
	assert_int_equal(r->nheaders, 1);
	assert_string_equal(r->headers[0], "X-Team: ops");
	assert_string_equal(r->secret, "s3");
	assert_int_equal(r->timeout_ms, 2000);
	assert_int_equal(r->min_severity, PW_ASEV_WARNING);
	assert_false(r->send_resolved);
	assert_int_equal(r->max_age_ms, 3600000);
	assert_int_equal(c->receivers[1].format, RECV_ALERTMANAGER);
	assert_int_equal(c->receivers[1].resend_ms, 30000);
	assert_true(c->receivers[1].send_resolved);
	assert_int_equal(c->receivers[2].format, RECV_EXEC);
	assert_string_equal(c->receivers[2].argv[1], "-");
	assert_null(c->receivers[2].argv[2]);
	config_free(c);
}

/*
 * An Alertmanager is given by its base URL (a path prefix kept), or by
 * the API's URL as before; several make an HA cluster.  A "whsec_"
 * secret (the base64 of a Standard Webhooks key) is accepted.
 */
static void
test_config_receivers_am_urls(void **state)
{
	struct config *c;
	const struct config_receiver *r;

	(void)state;
	c = parse_ok("{\"receivers\": [{\"name\": \"am\", \"format\": "
	    "\"alertmanager\", \"urls\": [\"http://a:9093\", "
	    "\"http://b:9093/\", \"https://c/am/\", "
	    "\"http://d:9093/api/v2/alerts\"]}, {\"name\": \"one\", "
	    "\"url\": \"http://e:9093\", \"format\": \"alertmanager\"}, "
	    "{\"name\": \"hook\", \"url\": \"http://f/\", \"secret\": "
	    "\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}]}");
	r = &c->receivers[0];
	assert_int_equal(r->nurls, 4);
	assert_string_equal(r->urls[0], "http://a:9093/api/v2/alerts");
	assert_string_equal(r->urls[1], "http://b:9093/api/v2/alerts");
	assert_string_equal(r->urls[2], "https://c/am/api/v2/alerts");
	assert_string_equal(r->urls[3], "http://d:9093/api/v2/alerts");
	assert_ptr_equal(r->url, r->urls[0]);
	assert_string_equal(c->receivers[1].url,
	    "http://e:9093/api/v2/alerts");
	/* A webhook's URL is its own. */
	assert_string_equal(c->receivers[2].url, "http://f/");
	assert_string_equal(c->receivers[2].secret,
	    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	config_free(c);
}

/* Off loopback, reads need a token unless public_read says otherwise. */
static void
test_config_off_loopback(void **state)
{
	struct config *c;

	(void)state;
	assert_true(config_host_is_loopback("127.0.0.1"));
	assert_true(config_host_is_loopback("127.3.2.1"));
	assert_true(config_host_is_loopback("::1"));
	assert_true(config_host_is_loopback("::ffff:127.0.0.1"));
	assert_false(config_host_is_loopback("0.0.0.0"));
	assert_false(config_host_is_loopback("::"));
	assert_false(config_host_is_loopback("10.0.0.1"));
	assert_false(config_host_is_loopback("128.0.0.1"));
	expect_error("{\"listen\": \"0.0.0.0:9717\"}", "listen: 0.0.0.0 is "
	    "not a loopback address: set api_token or read_token");
	expect_error("{\"listen\": \"[::]:9717\", \"auth_reads\": true}",
	    "listen: :: is not a loopback address");
	expect_error("{\"read_token\": \"short\"}",
	    "read_token: the token must be 16 to");
	expect_error("{\"read_token\": \"0123456789abcdef\", "
	    "\"read_token_file\": \"/x\"}", "read_token_file: give only one "
	    "of read_token and read_token_file");
	c = parse_ok("{\"listen\": \"0.0.0.0:9717\", \"read_token\": "
	    "\"0123456789abcdef\"}");
	assert_string_equal(c->read_token, "0123456789abcdef");
	assert_null(c->api_token);
	assert_false(c->public_read);
	config_free(c);
	c = parse_ok("{\"listen\": \"0.0.0.0:9717\", \"public_read\": true}");
	assert_true(c->public_read);
	config_free(c);
	c = parse_ok("{\"listen\": \"127.0.0.2:9717\"}");
	config_free(c);
}

/* "otlp": one object; the endpoint loses its trailing '/'. */
static void
test_config_otlp(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("{\"otlp\": {\"endpoint\": \"http://127.0.0.1:4318/\", "
	    "\"headers\": {\"X-Scope-OrgID\": \"a\"}, \"bearer_token\": "
	    "\"t\", \"timeout_ms\": 2000, \"max_points_per_send\": 500}}");
	assert_int_equal(c->notlp, 1);
	assert_int_equal(c->otlp[0].protocol, PUSH_OTLP);
	assert_string_equal(c->otlp[0].url, "http://127.0.0.1:4318");
	assert_string_equal(c->otlp[0].name, "127.0.0.1:4318");
	assert_string_equal(c->otlp[0].bearer_token, "t");
	assert_int_equal(c->otlp[0].nheaders, 1);
	assert_int_equal(c->otlp[0].timeout_ms, 2000);
	assert_int_equal(c->otlp[0].max_samples, 500);
	assert_int_equal(c->otlp[0].backoff_ms, 500);	/* the default */
	assert_int_equal(c->nremotes, 0);
	config_free(c);
	c = parse_ok("{\"remote_write\": [{\"url\": \"http://x/w\"}]}");
	assert_int_equal(c->remotes[0].protocol, PUSH_PROM_RW);
	assert_int_equal(c->notlp, 0);
	config_free(c);

	expect_error("{\"otlp\": {\"endpoint\": \"ftp://x\"}}",
	    "otlp.endpoint: must be an http:// or https:// URL");
	expect_error("{\"otlp\": {\"endpoint\": \"http://x/?a=1\"}}",
	    "otlp.endpoint: must be a base URL");
	expect_error("{\"otlp\": {\"endpoint\": 4318}}",
	    "otlp.endpoint: expected a string, got a number");
	expect_error("{\"otlp\": {\"endpoint\": \"http://x\", \"url\": "
	    "\"http://y\"}}", "otlp: unknown key \"url\"");
	expect_error("{\"otlp\": {\"endpoint\": \"http://x\", "
	    "\"external_labels\": {}}}", "otlp: unknown key "
	    "\"external_labels\"");
	expect_error("{\"otlp\": {\"endpoint\": \"http://x\", "
	    "\"timeout_ms\": \"10s\"}}", "otlp.timeout_ms: expected");
	expect_error("{\"otlp\": {\"endpoint\": \"http://x\", "
	    "\"timeout_ms\": 1}}", "otlp.timeout_ms: must be an integer");
	expect_error("{\"otlp\": {\"endpoint\": \"http://x\", "
	    "\"headers\": []}}", "otlp.headers: expected");
	expect_error("{\"otlp\": {\"timeout_ms\": 1000}}",
	    "otlp: missing \"endpoint\"");
	expect_error("{\"otlp\": [\"http://x\"]}",
	    "otlp: expected");
	expect_error("{\"otlp\": {\"endpoint\": \"http://x\", "
	    "\"bearer_token\": \"a\", \"basic_auth\": {\"username\": \"u\", "
	    "\"password\": \"p\"}}}", "otlp: give \"bearer_token\" or");
}

static void
test_config_receivers_bad(void **state)
{
	(void)state;
	expect_error("{\"receivers\": [{\"url\": \"http://x/\"}]}",
	    "receivers[0]: missing \"name\"");
	expect_error("{\"receivers\": [{\"name\": \"a\"}]}",
	    "receivers[0]: give exactly one of \"url\" (or \"urls\") and "
	    "\"exec\"");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"urls\": "
	    "[\"http://x/\", \"http://y/\"]}]}", "receivers[0].urls: several "
	    "URLs are for an \"alertmanager\" receiver");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"urls\": "
	    "[\"http://x/\", 3], \"format\": \"alertmanager\"}]}",
	    "receivers[0].urls[1]: expected a string");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"urls\": [], "
	    "\"format\": \"alertmanager\"}]}", "receivers[0].urls: must list "
	    "1 to 8 URLs");
	expect_error("{\"remote_write\": [{\"url\": \"ftp://x/\"}]}",
	    "remote_write[0].url: must be an http:// or https:// URL");
	expect_error("{\"remote_write\": [{\"url\": \"http://x/\", "
	    "\"external_labels\": {\"pid\": \"1\"}}]}",
	    "remote_write[0].external_labels.pid: not a label name of our own");
	expect_error("{\"remote_write\": [{\"url\": \"http://x/\", "
	    "\"external_labels\": {\"mode\": \"1\"}}]}",
	    "remote_write[0].external_labels.mode: not a label name");
	expect_error("{\"remote_write\": [{\"url\": \"http://x/\", "
	    "\"external_labels\": {\"__x\": \"1\"}}]}",
	    "remote_write[0].external_labels.__x: not a label name");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"url\": "
	    "\"http://x/\", \"urls\": [\"http://y/\"]}]}",
	    "receivers[0]: give \"url\" or \"urls\", not both");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"url\": "
	    "\"http://x/\", \"secret\": \"whsec_not base64\"}]}",
	    "receivers[0].secret: a \"whsec_\" secret must be base64");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"url\": "
	    "\"http://x/\", \"secret\": \"whsec_c2hvcnQ=\"}]}",
	    "receivers[0].secret: the key must be at least 16 bytes");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"url\": "
	    "\"ftp://x/\"}]}", "receivers[0].url: must be an http://");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"url\": "
	    "\"http://x/\", \"format\": \"slack\"}]}",
	    "receivers[0].format: must be \"procwatch\" or \"alertmanager\"");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"url\": "
	    "\"http://x/\", \"timeout_ms\": 0}]}",
	    "receivers[0].timeout_ms: must be an integer between");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"url\": "
	    "\"http://x/\", \"min_severity\": \"low\"}]}",
	    "receivers[0].min_severity: must be one of");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"url\": "
	    "\"http://x/\", \"headers\": {\"Bad Name\": \"v\"}}]}",
	    "receivers[0].headers.Bad Name: bad header");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"exec\": "
	    "[\"cat\"]}]}", "receivers[0].exec: [0]: the command must be");
	expect_error("{\"receivers\": [{\"name\": \"a\", \"url\": "
	    "\"http://x/\"}, {\"name\": \"a\", \"url\": \"http://y/\"}]}",
	    "receivers[1].name: duplicate receiver name \"a\"");
	expect_error("{\"state_dir\": \"rel/dir\"}",
	    "state_dir: must be an absolute path");
	expect_error("{\"alert_history\": -1}", "alert_history: must be an "
	    "integer between 0 and 100000");
}

static void
test_config_min_max_processes(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("{\"targets\": [{\"name\": \"a\", \"comm\": \"a\"}, "
	    "{\"name\": \"b\", \"comm\": \"b\", \"min_processes\": 0}, "
	    "{\"name\": \"c\", \"comm\": \"c\", \"min_processes\": 2, "
	    "\"max_processes\": 2}, {\"name\": \"d\", \"comm\": \"d\", "
	    "\"max_processes\": 1000000}]}");
	assert_int_equal(c->ntargets, 4);
	assert_int_equal(c->targets[0].min_processes, 1);	/* defaults */
	assert_int_equal(c->targets[0].max_processes, 0);
	assert_int_equal(c->targets[1].min_processes, 0);
	assert_int_equal(c->targets[1].max_processes, 0);
	assert_int_equal(c->targets[2].min_processes, 2);
	assert_int_equal(c->targets[2].max_processes, 2);
	assert_int_equal(c->targets[3].min_processes, 1);
	assert_int_equal(c->targets[3].max_processes, 1000000);
	assert_ptr_equal(c->mon.targets, c->targets);
	config_free(c);
	c = parse_ok("{\"targets\": [{\"comm\": \"a\", "
	    "\"min_processes\": 1000000}]}");
	assert_int_equal(c->targets[0].min_processes, 1000000);
	config_free(c);

	expect_error("{\"targets\": [{\"comm\": \"a\", \"min_processes\": "
	    "-1}]}", "targets[0].min_processes: must be an integer between "
	    "0 and 1000000");
	expect_error("{\"targets\": [{\"comm\": \"a\", \"min_processes\": "
	    "1000001}]}", "targets[0].min_processes: must be an integer");
	expect_error("{\"targets\": [{\"comm\": \"a\", \"min_processes\": "
	    "1.5}]}", "targets[0].min_processes: must be an integer");
	expect_error("{\"targets\": [{\"comm\": \"a\", \"min_processes\": "
	    "\"2\"}]}", "targets[0].min_processes: expected an integer, got "
	    "a string");
	expect_error("{\"targets\": [{\"comm\": \"a\"}, {\"comm\": \"b\", "
	    "\"max_processes\": 0}]}", "targets[1].max_processes: must be an "
	    "integer between 1 and 1000000");
	expect_error("{\"targets\": [{\"comm\": \"a\", \"max_processes\": "
	    "null}]}", "targets[0].max_processes: expected an integer, got "
	    "null");
	expect_error("{\"targets\": [{\"comm\": \"a\"}, {\"comm\": \"b\", "
	    "\"min_processes\": 3, \"max_processes\": 2}]}",
	    "targets[1].max_processes: must be at least min_processes (3)");
	expect_error("{\"targets\": [{\"all\": true, \"min_processes\": 2}]}",
	    "targets[0].min_processes: not for an \"all\" target");
	expect_error("{\"targets\": [{\"all\": true, \"max_processes\": 9}]}",
	    "targets[0].max_processes: not for an \"all\" target");
	expect_error("{\"targets\": [{\"comm\": \"a\", \"min_processes\": 1, "
	    "\"min_processes\": 2}]}",
	    "targets[0].min_processes: key given more than once");
}

static void
test_config_process_metrics(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("{}");
	assert_int_equal(c->process_metrics, PROCMETRICS_ALL);
	config_free(c);
	assert_int_equal(config_defaults(&c), 0);
	assert_int_equal(c->process_metrics, PROCMETRICS_ALL);
	config_free(c);
	c = parse_ok("{\"process_metrics\": \"all\"}");
	assert_int_equal(c->process_metrics, PROCMETRICS_ALL);
	config_free(c);
	c = parse_ok("{\"process_metrics\": \"none\"}");
	assert_int_equal(c->process_metrics, PROCMETRICS_NONE);
	config_free(c);
	c = parse_ok("{\"process_metrics\": {\"top\": 20}}");
	assert_int_equal(c->process_metrics, PROCMETRICS_TOP);
	assert_int_equal(c->process_metrics_top, 20);
	config_free(c);
	c = parse_ok("{\"process_metrics\": {\"top\": 10000}}");
	assert_int_equal(c->process_metrics_top, 10000);
	config_free(c);

	expect_error("{\"process_metrics\": \"some\"}", "process_metrics: must "
	    "be \"all\", \"none\" or {\"top\": N}, not \"some\"");
	expect_error("{\"process_metrics\": 5}", "process_metrics: expected "
	    "a string or an object, got a number");
	expect_error("{\"process_metrics\": true}",
	    "process_metrics: expected a string or an object");
	expect_error("{\"process_metrics\": {}}", "process_metrics: missing "
	    "\"top\"");
	expect_error("{\"process_metrics\": {\"top\": 0}}",
	    "process_metrics.top: must be an integer between 1 and 10000");
	expect_error("{\"process_metrics\": {\"top\": 10001}}",
	    "process_metrics.top: must be an integer between 1 and 10000");
	expect_error("{\"process_metrics\": {\"top\": \"5\"}}",
	    "process_metrics.top: expected an integer, got a string");
	expect_error("{\"process_metrics\": {\"top\": 5, \"by\": \"cpu\"}}",
	    "process_metrics: unknown key \"by\"");
}

#define GRULE(metric, extra) "{\"targets\": [{\"name\": \"web\", " \
	"\"comm\": \"nginx\"}], \"rules\": {\"custom\": [{\"name\": \"g\", " \
	"\"metric\": \"" metric "\", \"op\": \">\", \"threshold\": 1" extra \
	"}]}}"

static void
test_config_rule_scope(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok(GRULE("rss_bytes", ", \"scope\": \"group\""));
	assert_int_equal(c->nrules, 1);
	assert_int_equal(c->rules[0].scope, PW_SCOPE_GROUP);
	assert_string_equal(c->rules[0].metric, "rss_bytes");
	config_free(c);
	c = parse_ok(GRULE("rss_bytes", ""));
	assert_int_equal(c->rules[0].scope, PW_SCOPE_PROCESS);
	config_free(c);
	c = parse_ok(GRULE("rss_bytes", ", \"scope\": \"process\""));
	assert_int_equal(c->rules[0].scope, PW_SCOPE_PROCESS);
	config_free(c);
	c = parse_ok(GRULE("processes", ", \"scope\": \"group\""));
	assert_int_equal(c->rules[0].scope, PW_SCOPE_GROUP);
	config_free(c);
	/* Scope before metric, fd_usage and rates of groups. */
	c = parse_ok("{\"rules\": [{\"scope\": \"group\", \"name\": \"f\", "
	    "\"metric\": \"fd_usage\", \"op\": \">\", \"threshold\": 0.9}, "
	    "{\"name\": \"r\", \"scope\": \"group\", \"metric\": "
	    "\"read_bytes_rate\", \"op\": \">\", \"threshold\": 1e6}]}");
	assert_int_equal(c->rules[0].scope, PW_SCOPE_GROUP);
	assert_int_equal(c->rules[1].scope, PW_SCOPE_GROUP);
	config_free(c);
	/* The "target_" names need no scope. */
	c = parse_ok(GRULE("target_rss_bytes", ""));
	assert_int_equal(c->rules[0].scope, PW_SCOPE_PROCESS);
	assert_true(pw_rule_metric_scope_valid(c->rules[0].metric,
	    c->rules[0].scope));
	config_free(c);
	c = parse_ok(GRULE("target_rss_bytes", ", \"scope\": \"group\""));
	config_free(c);

	expect_error(GRULE("rss_bytes", ", \"scope\": \"host\""),
	    "rules.custom[0].scope: must be \"process\" or \"group\"");
	expect_error(GRULE("rss_bytes", ", \"scope\": 1"),
	    "rules.custom[0].scope: expected a string, got a number");
	expect_error(GRULE("fd_limit", ", \"scope\": \"group\""),
	    "rules.custom[0].scope: metric \"fd_limit\" has no group value");
	expect_error(GRULE("custom:queue", ", \"scope\": \"group\""),
	    "rules.custom[0].scope: metric \"custom:queue\" has no group "
	    "value");
	expect_error(GRULE("queue_depth", ", \"scope\": \"group\""),
	    "rules.custom[0].scope: metric \"queue_depth\" has no group");
	expect_error(GRULE("processes", ""), "rules.custom[0].metric: "
	    "\"processes\" is a metric of a group: add \"scope\": \"group\"");
	expect_error(GRULE("processes", ", \"scope\": \"process\""),
	    "rules.custom[0].metric: \"processes\" is a metric of a group");
	expect_error(GRULE("target_rss_bytes", ", \"scope\": \"process\""),
	    "rules.custom[0].scope: metric \"target_rss_bytes\" is of a group");
	expect_error("{\"rules\": [{\"name\": \"x\", \"metric\": \"threads\", "
	    "\"op\": \">\", \"threshold\": 1}, {\"name\": \"y\", \"metric\": "
	    "\"fd_limit\", \"scope\": \"group\", \"op\": \"<\", "
	    "\"threshold\": 1}]}", "rules[1].scope: metric \"fd_limit\"");
}

static void
test_config_builtin_objects(void **state)
{
	struct config *c;
	size_t i;

	(void)state;
	c = parse_ok("{\"rules\": {\"builtin\": {\"process_down\": "
	    "{\"for\": \"5s\"}, \"high_cpu\": {\"for\": 30000, \"severity\": "
	    "\"critical\"}, \"too_many_processes\": {}, \"high_memory\": "
	    "false, \"io_stalled\": {\"for\": \"2m\"}}}}");
	assert_int_equal(c->nrules, 8);	/* high_memory off */
	for (i = 0; i < c->nrules; i++) {
		const struct pw_rule *r = &c->rules[i];

		assert_string_not_equal(r->name, "high_memory");
		if (strcmp(r->name, "process_down") == 0) {
			assert_int_equal(r->for_ms, 5000);
			assert_int_equal(r->severity, PW_ASEV_CRITICAL);
			assert_int_equal(r->bound, PW_BOUND_MIN_PROCESSES);
		} else if (strcmp(r->name, "high_cpu") == 0) {
			assert_int_equal(r->for_ms, 30000);
			assert_int_equal(r->severity, PW_ASEV_CRITICAL);
		} else if (strcmp(r->name, "too_many_processes") == 0) {
			assert_int_equal(r->for_ms, 0);
			assert_int_equal(r->severity, PW_ASEV_WARNING);
			assert_int_equal(r->scope, PW_SCOPE_GROUP);
		} else if (strcmp(r->name, "io_stalled") == 0)
			assert_int_equal(r->for_ms, 120000);
		else if (strcmp(r->name, "cpu_starved") == 0)
			assert_int_equal(r->for_ms, 60000);	/* its own */
		else
			assert_int_equal(r->for_ms, 0);
	}
	config_free(c);
	/* With custom rules, the object form switches a built-in on. */
	c = parse_ok("{\"rules\": {\"builtin\": {\"too_many_processes\": "
	    "{\"severity\": \"info\"}}, \"custom\": [{\"name\": \"x\", "
	    "\"metric\": \"threads\", \"op\": \">\", \"threshold\": 100}]}}");
	assert_int_equal(c->nrules, 2);
	assert_string_equal(c->rules[0].name, "too_many_processes");
	assert_int_equal(c->rules[0].severity, PW_ASEV_INFO);
	assert_int_equal(c->rules[0].for_ms, 0);
	config_free(c);

	expect_error("{\"rules\": {\"builtin\": {\"process_down\": "
	    "{\"for\": \"5 s\"}}}}", "rules.builtin.process_down.for: must be "
	    "a duration");
	expect_error("{\"rules\": {\"builtin\": {\"process_down\": "
	    "{\"for\": -1}}}}", "rules.builtin.process_down.for: must be");
	expect_error("{\"rules\": {\"builtin\": {\"process_down\": "
	    "{\"threshold\": 2}}}}", "rules.builtin.process_down: unknown key "
	    "\"threshold\"");
	expect_error("{\"rules\": {\"builtin\": {\"process_down\": "
	    "{\"severity\": \"page\"}}}}", "rules.builtin.process_down."
	    "severity: must be one of info warning critical");
	expect_error("{\"rules\": {\"builtin\": {\"process_down\": \"5s\"}}}",
	    "rules.builtin.process_down: expected a boolean or an object");
	expect_error("{\"rules\": {\"builtin\": {\"too_many\": true}}}",
	    "rules.builtin.too_many: unknown built-in rule (high_cpu, "
	    "high_memory, file_handle_leak, fd_exhaustion, process_down, "
	    "too_many_processes, oom_killed, cpu_starved, io_stalled");
}

static void
test_config_oom_killed_switch_and_window(void **state)
{
	struct config *c;
	size_t i;

	(void)state;
	c = parse_ok("{\"oom_alert_ms\": 60000, \"rules\": {\"builtin\": "
	    "{\"oom_killed\": false}}}");
	assert_int_equal(c->mon.oom_alert_ms, 60000);
	for (i = 0; i < c->nrules; i++)
		assert_string_not_equal(c->rules[i].name, "oom_killed");
	config_free(c);
	c = parse_ok("{}");
	assert_int_equal(c->mon.oom_alert_ms, 300000);
	assert_string_equal(c->rules[6].name, "oom_killed");
	assert_int_equal(c->rules[6].severity, PW_ASEV_CRITICAL);
	assert_int_equal(c->rules[6].scope, PW_SCOPE_GROUP);
	config_free(c);
	expect_error("{\"oom_alert_ms\": 5}", "oom_alert_ms");
}

static void
test_config_describe_bounds_and_process_metrics(void **state)
{
	struct config *c = parse_ok("{\"process_metrics\": {\"top\": 7}, "
	    "\"targets\": [{\"name\": \"w\", \"comm\": \"w\", "
	    "\"min_processes\": 2, \"max_processes\": 8}, {\"name\": \"x\", "
	    "\"comm\": \"x\"}]}");
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_non_null(fp = open_memstream(&buf, &len));
	config_describe(c, fp);
	fclose(fp);
	assert_non_null(strstr(buf, "  w: comm \"w\", at least 2 processes, "
	    "at most 8 processes\n"));
	assert_non_null(strstr(buf, "  x: comm \"x\"\n"));
	assert_non_null(strstr(buf,
	    "process metrics: the top 7 by CPU and by memory\n"));
	free(buf);
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_empty_object_is_defaults),
		cmocka_unit_test(test_config_full_good),
		cmocka_unit_test(test_config_targets_all_string),
		cmocka_unit_test(test_config_invalid_json_names_line),
		cmocka_unit_test(test_config_comments_are_not_json),
		cmocka_unit_test(test_config_trailing_data_rejected),
		cmocka_unit_test(test_config_empty_text_rejected),
		cmocka_unit_test(test_config_top_level_must_be_object),
		cmocka_unit_test(test_config_text_need_not_be_nul_terminated),
		cmocka_unit_test(test_config_unknown_key),
		cmocka_unit_test(test_config_duplicate_key),
		cmocka_unit_test(test_config_wrong_type_each_key),
		cmocka_unit_test(test_config_out_of_range_ints),
		cmocka_unit_test(test_config_range_edges_accepted),
		cmocka_unit_test(test_config_bad_regex),
		cmocka_unit_test(test_config_bad_regex_not_prefixed_twice),
		cmocka_unit_test(test_config_bad_listen),
		cmocka_unit_test(test_config_listen_forms),
		cmocka_unit_test(test_config_zero_selectors),
		cmocka_unit_test(test_config_two_selectors),
		cmocka_unit_test(test_config_empty_targets),
		cmocka_unit_test(test_config_duplicate_target_names),
		cmocka_unit_test(test_config_bad_target_values),
		cmocka_unit_test(test_config_unknown_user),
		cmocka_unit_test(test_config_numeric_user_need_not_exist),
		cmocka_unit_test(test_config_pid_self),
		cmocka_unit_test(test_config_derived_names_are_unique),
		cmocka_unit_test(test_config_cgroup_and_unit_targets),
		cmocka_unit_test(test_config_bad_cgroup_and_unit),
		cmocka_unit_test(test_config_long_derived_name_is_capped),
		cmocka_unit_test(test_config_load_example),
		cmocka_unit_test(test_config_load_missing_file),
		cmocka_unit_test(test_config_load_bad_fixtures),
		cmocka_unit_test(test_config_load_too_big),
		cmocka_unit_test(test_config_describe_lists_targets),
		cmocka_unit_test(test_config_error_fits_small_buffer),
		cmocka_unit_test(test_config_free_null),
		cmocka_unit_test(test_config_rules_default_to_builtins),
		cmocka_unit_test(test_config_rules_builtin_switches),
		cmocka_unit_test(test_config_rules_custom_full),
		cmocka_unit_test(test_config_rules_bad),
		cmocka_unit_test(test_config_rule_durations),
		cmocka_unit_test(test_config_history_disk),
		cmocka_unit_test(test_config_dygraphs_dir),
		cmocka_unit_test(test_config_receivers),
		cmocka_unit_test(test_config_receivers_bad),
		cmocka_unit_test(test_config_off_loopback),
		cmocka_unit_test(test_config_receivers_am_urls),
		cmocka_unit_test(test_config_min_max_processes),
		cmocka_unit_test(test_config_process_metrics),
		cmocka_unit_test(test_config_otlp),
		cmocka_unit_test(test_config_rule_scope),
		cmocka_unit_test(test_config_builtin_objects),
		cmocka_unit_test(test_config_oom_killed_switch_and_window),
		cmocka_unit_test(
		    test_config_describe_bounds_and_process_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
