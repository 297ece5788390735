/*
 * template.c: alert message templates (procwatch/rules.h,
 * pw_rule_template_check()): checking them when rules are loaded, and
 * rendering an alert's message.
 *
 * DESIGN: a template is scanned, never compiled: it is short and a
 * message is rendered only when an alert changes, so one pass over it
 * with a lookup of each "{...}" is enough.  Output is truncated to the
 * caller's buffer, never longer, and always NUL-terminated.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <procwatch/rules.h>

#include "pwutil.h"
#include "rule_impl.h"

static const char *const placeholders[] = {
	"value", "threshold", "clear", "metric", "name", "pid", "target",
	"rule", "severity", "last_exit",
};

/*
 * The placeholder at s (just past '{'), ending at '}'.  Returns its index
 * in placeholders[] and the precision of {value:.Nf} in *prec (-1 if
 * none), the length up to and including '}' in *len; -1 if not one.
 */
static int
placeholder(const char *s, int *prec, size_t *len)
{
	const char *end = strchr(s, '}');
	size_t n, i, k;

	*prec = -1;
	if (end == NULL)
		return -1;
	n = (size_t)(end - s);
	*len = n + 1;
	if (n == 9 && strncmp(s, "value:.", 7) == 0 && s[7] >= '0' &&
	    s[7] <= '9' && s[8] == 'f') {
		*prec = s[7] - '0';
		return 0;
	}
	for (i = 0; i < NELEM(placeholders); i++) {
		k = strlen(placeholders[i]);
		if (k == n && strncmp(s, placeholders[i], n) == 0)
			return (int)i;
	}
	return -1;
}

int
pw_rule_template_check(const char *tmpl, size_t *at)
{
	const char *p;
	size_t len;
	int prec;

	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '{')
			continue;
		if (p[1] == '{') {
			p++;
			continue;
		}
		if (placeholder(p + 1, &prec, &len) < 0) {
			if (at != NULL)
				*at = (size_t)(p - tmpl);
			return -EINVAL;
		}
		p += len;
	}
	return 0;
}

/* Append to buf[*pos..cap), truncating; keeps buf NUL-terminated. */
static void
put(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
	if (*pos + 1 >= cap)
		return;
	if (n > cap - 1 - *pos)
		n = cap - 1 - *pos;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

void
pw__rule_render(const struct pw_rule *r, const struct pw_alert *a,
    const char *last_exit, double thr, char *buf, size_t cap)
{
	const char *p, *tmpl;
	char num[64];
	size_t pos = 0, len;
	int ph, prec;

	buf[0] = '\0';
	tmpl = r->message != NULL ? r->message :
	    "{rule}: {metric} is {value} (threshold {threshold})";
	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '{') {
			put(buf, cap, &pos, p, 1);
			continue;
		}
		if (p[1] == '{') {
			put(buf, cap, &pos, p, 1);
			p++;
			continue;
		}
		if ((ph = placeholder(p + 1, &prec, &len)) < 0) {
			put(buf, cap, &pos, p, 1);
			continue;
		}
		p += len;
		num[0] = '\0';
		switch (ph) {
		case 0:
			if (prec >= 0)
				snprintf(num, sizeof(num), "%.*f", prec,
				    a->value);
			else
				snprintf(num, sizeof(num), "%.6g", a->value);
			put(buf, cap, &pos, num, strlen(num));
			break;
		case 1:
		case 2:
			snprintf(num, sizeof(num), "%.6g", ph == 1 ? thr :
			    r->has_clear && r->bound == PW_BOUND_NONE ?
			    r->clear : thr);
			put(buf, cap, &pos, num, strlen(num));
			break;
		case 3:
			put(buf, cap, &pos, r->metric, strlen(r->metric));
			break;
		case 4:
			put(buf, cap, &pos, a->name, strlen(a->name));
			break;
		case 5:
			snprintf(num, sizeof(num), "%ld", (long)a->pid);
			put(buf, cap, &pos, num, strlen(num));
			break;
		case 6:
			put(buf, cap, &pos, a->target, strlen(a->target));
			break;
		case 7:
			put(buf, cap, &pos, r->name, strlen(r->name));
			break;
		case 9:
			if (last_exit != NULL)
				put(buf, cap, &pos, last_exit,
				    strlen(last_exit));
			break;
		default:
			put(buf, cap, &pos, pw_alert_severity_name(r->severity),
			    strlen(pw_alert_severity_name(r->severity)));
			break;
		}
	}
}
