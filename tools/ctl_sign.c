/*
 * taskwatchctl sign huawei|alibaba-v2|alibaba-v3: sign one request with
 * the daemon's own signers and print every intermediate string.  Secrets
 * come only from mode-checked files or environment variables, never from
 * the command line; --date and --nonce make the output reproducible.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "credentials.h"
#include "ctl_sign.h"
#include "sign.h"
#include "xmalloc.h"

#define CTL_EX_USAGE 64
#define CTL_EX_ERROR 1
#define CTL_SIGN_MAX_HEADERS 64
#define CTL_SIGN_MAX_BODY (16 * 1024 * 1024)

enum ctl_sign_scheme {
	CTL_SIGN_HUAWEI,
	CTL_SIGN_ALIBABA_V2,
	CTL_SIGN_ALIBABA_V3,
};

/* The command line. */
struct ctl_sign_opts {
	enum ctl_sign_scheme scheme;
	const char *method;
	const char *url;
	const char *headers[CTL_SIGN_MAX_HEADERS];
	size_t nheaders;
	const char *body_file;
	const char *date;
	const char *nonce;
	struct config_secret key;
	struct config_secret secret;
};

/* Print usage and return 64. */
static int
ctl_sign_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "taskwatchctl sign: %s\n", why);
	fprintf(stderr,
	    "usage: taskwatchctl sign huawei|alibaba-v2|alibaba-v3 "
	    "--method M --url URL\n"
	    "           [-H 'Name: value']... [--body-file F] [--date D] "
	    "[--nonce N]\n"
	    "           --key-file F | --key-env V  --secret-file F | "
	    "--secret-env V\n");
	return CTL_EX_USAGE;
}

/* Read the body file; -1 with a message printed. */
static int
ctl_sign_read_body(const char *path, char **out, size_t *len)
{
	FILE *fp;
	char *data;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "taskwatchctl sign: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	data = xmalloc(CTL_SIGN_MAX_BODY + 1);
	n = fread(data, 1, CTL_SIGN_MAX_BODY + 1, fp);
	if (ferror(fp) || n > CTL_SIGN_MAX_BODY) {
		fprintf(stderr, "taskwatchctl sign: %s: %s\n", path,
		    ferror(fp) ? strerror(errno) : "body too large");
		fclose(fp);
		free(data);
		return -1;
	}
	fclose(fp);
	*out = data;
	*len = n;
	return 0;
}

/* Parse the options after the scheme; 0, or 64 after printing usage. */
static int
ctl_sign_parse(int argc, char *argv[], struct ctl_sign_opts *o)
{
	static const struct option longopts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "url", required_argument, NULL, 'u' },
		{ "header", required_argument, NULL, 'H' },
		{ "body-file", required_argument, NULL, 'b' },
		{ "date", required_argument, NULL, 'd' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "key-env", required_argument, NULL, 'K' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "secret-env", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "H:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			o->method = optarg;
			break;
		case 'u':
			o->url = optarg;
			break;
		case 'H':
			if (o->nheaders == CTL_SIGN_MAX_HEADERS)
				return ctl_sign_usage("too many headers");
			if (strchr(optarg, ':') == NULL || *optarg == ':')
				return ctl_sign_usage(
				    "a header is 'Name: value'");
			o->headers[o->nheaders++] = optarg;
			break;
		case 'b':
			o->body_file = optarg;
			break;
		case 'd':
			o->date = optarg;
			break;
		case 'n':
			o->nonce = optarg;
			break;
		case 'k':
			o->key.file = optarg;
			break;
		case 'K':
			o->key.env = optarg;
			break;
		case 's':
			o->secret.file = optarg;
			break;
		case 'S':
			o->secret.env = optarg;
			break;
		default:
			return ctl_sign_usage(NULL);
		}
	}
	if (optind != argc)
		return ctl_sign_usage("unexpected arguments");
	if (o->url == NULL)
		return ctl_sign_usage("--url is required");
	if (o->method == NULL)
		o->method = "GET";
	if ((o->key.file != NULL) + (o->key.env != NULL) != 1)
		return ctl_sign_usage("give one of --key-file, --key-env");
	if ((o->secret.file != NULL) + (o->secret.env != NULL) != 1)
		return ctl_sign_usage(
		    "give one of --secret-file, --secret-env");
	return 0;
}

/* Build the request from the options; -1 with a message printed. */
static struct sign_req *
ctl_sign_request(const struct ctl_sign_opts *o)
{
	struct sign_req *req = sign_req_new();
	char *cause = NULL, *name, *body = NULL;
	const char *colon, *v;
	size_t i, len = 0;

	if (sign_req_parse_url(req, o->method, o->url, &cause) == -1) {
		fprintf(stderr, "taskwatchctl sign: %s\n", cause);
		free(cause);
		sign_req_free(req);
		return NULL;
	}
	for (i = 0; i < o->nheaders; i++) {
		colon = strchr(o->headers[i], ':');
		name = xstrndup(o->headers[i], (size_t)(colon - o->headers[i]));
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		sign_req_add_header(req, name, v);
		free(name);
	}
	if (o->body_file != NULL) {
		if (ctl_sign_read_body(o->body_file, &body, &len) == -1) {
			sign_req_free(req);
			return NULL;
		}
		sign_req_set_body(req, body, len);
		free(body);
	}
	return req;
}

/* Print one titled section. */
static void
ctl_sign_section(const char *title, const char *text)
{
	printf("--- %s ---\n%s\n", title, text);
}

/* Print the headers the request carries, then the URL to send. */
static void
ctl_sign_print_request(const struct sign_req *req)
{
	char *url;
	size_t i;

	printf("--- headers ---\n");
	for (i = 0; i < req->nheaders; i++)
		printf("%s: %s\n", req->headers[i].name, req->headers[i].value);
	url = sign_req_url(req);
	ctl_sign_section("url", url);
	free(url);
}

/* Sign and print; the exit status. */
static int
ctl_sign_run(const struct ctl_sign_opts *o, const char *key, const char *secret,
    int64_t now, const char *nonce)
{
	struct sign_debug dbg = { NULL, NULL };
	struct sign_req *req;
	int rc;

	if ((req = ctl_sign_request(o)) == NULL)
		return CTL_EX_ERROR;
	switch (o->scheme) {
	case CTL_SIGN_HUAWEI:
		rc = sign_huawei(req, key, secret, now, &dbg);
		break;
	case CTL_SIGN_ALIBABA_V2:
		rc = sign_alibaba_v2(req, key, secret, now, nonce, &dbg);
		break;
	default:
		rc = sign_alibaba_v3(req, key, secret, now, nonce, &dbg);
		break;
	}
	if (rc == -1) {
		fprintf(stderr, "taskwatchctl sign: cannot sign\n");
		sign_debug_clear(&dbg);
		sign_req_free(req);
		return CTL_EX_ERROR;
	}
	if (o->scheme == CTL_SIGN_ALIBABA_V2) {
		ctl_sign_section("canonical query", dbg.canonical);
		ctl_sign_section("string to sign", dbg.string_to_sign);
		ctl_sign_section("signature", sign_req_query(req, "Signature"));
	} else {
		ctl_sign_section("canonical request", dbg.canonical);
		ctl_sign_section("string to sign", dbg.string_to_sign);
	}
	ctl_sign_print_request(req);
	sign_debug_clear(&dbg);
	sign_req_free(req);
	return 0;
}

/* taskwatchctl sign SCHEME options: the exit status. */
int
ctl_sign(int argc, char *argv[])
{
	struct ctl_sign_opts o;
	char *key = NULL, *secret = NULL, *cause = NULL;
	char nonce[SIGN_NONCE_LEN + 1];
	int64_t now;
	int rc;

	memset(&o, 0, sizeof(o));
	if (argc < 2)
		return ctl_sign_usage("no scheme given");
	if (strcmp(argv[1], "huawei") == 0)
		o.scheme = CTL_SIGN_HUAWEI;
	else if (strcmp(argv[1], "alibaba-v2") == 0)
		o.scheme = CTL_SIGN_ALIBABA_V2;
	else if (strcmp(argv[1], "alibaba-v3") == 0)
		o.scheme = CTL_SIGN_ALIBABA_V3;
	else
		return ctl_sign_usage("the scheme is huawei, alibaba-v2 or "
				      "alibaba-v3");
	if ((rc = ctl_sign_parse(argc - 1, argv + 1, &o)) != 0)
		return rc;
	now = (int64_t)time(NULL);
	if (o.date != NULL && sign_parse_date(o.date, &now) == -1)
		return ctl_sign_usage("--date takes YYYYMMDDTHHMMSSZ or an "
				      "RFC 3339 time");
	if (o.nonce == NULL)
		sign_nonce(nonce);
	if (credentials_read(&o.key, &key, &cause) == -1) {
		fprintf(stderr, "taskwatchctl sign: key: %s\n", cause);
		free(cause);
		return CTL_EX_ERROR;
	}
	if (credentials_read(&o.secret, &secret, &cause) == -1) {
		fprintf(stderr, "taskwatchctl sign: secret: %s\n", cause);
		free(cause);
		xfreesecret(key);
		return CTL_EX_ERROR;
	}
	rc = ctl_sign_run(&o, key, secret, now, o.nonce ? o.nonce : nonce);
	xfreesecret(key);
	xfreesecret(secret);
	return rc;
}
