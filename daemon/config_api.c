/*
 * daemon/config_api.c: the HTTP side of the config: "listen", the API
 * token ("api_token", "api_token_file") and TLS ("tls_cert", "tls_key").
 * Files are only named here; config_check.c reads them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_impl.h"

/*
 * "HOST:PORT" where HOST is a dotted quad, "[IPv6]" or "localhost".  No
 * name lookups: the daemon must not depend on DNS to start.
 */
int
parse_listen(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	const char *s = v->valuestring, *port, *hs;
	char host[INET6_ADDRSTRLEN + 1], *end, *dup;
	unsigned char addr[sizeof(struct in6_addr)];
	struct config *c = dst;
	size_t hlen;
	unsigned long n;
	int af;

	(void)k;
	if (s[0] == '[') {
		hs = s + 1;
		if ((end = strchr(hs, ']')) == NULL || end[1] != ':')
			goto bad_form;
		hlen = (size_t)(end - hs);
		port = end + 2;
		af = AF_INET6;
	} else {
		hs = s;
		if ((port = strrchr(s, ':')) == NULL)
			goto bad_form;
		hlen = (size_t)(port - s);
		port++;
		af = AF_INET;
		if (memchr(hs, ':', hlen) != NULL)
			return perr(p, field, "\"%.*s\": put an IPv6 address "
			    "in brackets, as \"[::1]:9717\"", ERR_SNIP, s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad_host;
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	if (af == AF_INET && strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(af, host, addr) != 1)
		goto bad_host;

	if (port[0] < '0' || port[0] > '9' || strlen(port) > 5)
		goto bad_port;
	n = strtoul(port, &end, 10);
	if (*end != '\0' || n > 65535)
		goto bad_port;

	if ((dup = strdup(host)) == NULL)
		return -ENOMEM;
	free(c->listen_host);
	c->listen_host = dup;
	c->listen_port = (uint16_t)n;
	return 0;

bad_form:
	return perr(p, field, "\"%.*s\": expected \"HOST:PORT\"", ERR_SNIP, s);
bad_host:
	return perr(p, field, "\"%.*s\": host must be a numeric IPv4 address, "
	    "[IPv6 address] or localhost", ERR_SNIP, s);
bad_port:
	return perr(p, field, "\"%.*s\": port must be between 0 and 65535",
	    ERR_SNIP, s);
}

bool
config_host_is_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) &&
		    a6.s6_addr[12] == 127);
	return false;
}

/*
 * 16 to TOKEN_MAX printable ASCII bytes without spaces, into the api
 * token, or the read token for a field named read_token*.
 */
int
token_set(struct parse *p, const char *field, const char *tok, size_t n)
{
	struct config *c = p->c;
	char **dst = strncmp(field, "read_", 5) == 0 ? &c->read_token :
	    &c->api_token;
	size_t i;

	if (n < 16 || n > TOKEN_MAX)
		return perr(p, field, "the token must be 16 to %d bytes",
		    TOKEN_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)tok[i] <= 0x20 ||
		    (unsigned char)tok[i] >= 0x7f)
			return perr(p, field, "the token must be printable "
			    "ASCII without spaces");
	if ((*dst = strndup(tok, n)) == NULL)
		return -ENOMEM;
	return 0;
}

/*
 * "api_token", or "api_token_file", which config_check() reads: it must
 * be ours and closed to anyone else.  Only one of them.  The same for
 * "read_token" and "read_token_file" (a token for reads only).
 */
int
parse_api_token(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	bool rd = strncmp(k->name, "read_", 5) == 0;
	const char **file = rd ? &p->d->read_token_file : &p->d->token_file;
	const char *s = v->valuestring;

	(void)dst;
	if ((rd ? p->c->read_token : p->c->api_token) != NULL || *file != NULL)
		return perr(p, field, "give only one of %s and %s_file",
		    rd ? "read_token" : "api_token",
		    rd ? "read_token" : "api_token");
	if (strstr(k->name, "_file") == NULL)
		return token_set(p, field, s, strlen(s));
	if (s[0] != '/')
		return perr(p, field, "must be an absolute path");
	*file = s;
	return 0;
}

/*
 * "tls_cert" and "tls_key".  libmicrohttpd takes them from memory:
 * config_check() reads the files.
 */
int
parse_tls_file(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)dst;
	if (v->valuestring[0] != '/')
		return perr(p, field, "must be an absolute path");
	if (strcmp(k->name, "tls_key") == 0)
		p->d->tls_key = v->valuestring;
	else
		p->d->tls_cert = v->valuestring;
	return 0;
}
