/*
 * Reading secrets: from a file that must not be readable by group or
 * others, from an environment variable, or from $CREDENTIALS_DIRECTORY
 * (systemd LoadCredential=).  Every buffer that held a secret is wiped; the
 * causes name where a secret lives, never what it is.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "credentials.h"
#include "util.h"
#include "whsec.h"
#include "xmalloc.h"

/* 1 if a secret is configured (one of file, env, credential is set). */
int
credentials_configured(const struct config_secret *s)
{
	return s != NULL &&
	    (s->file != NULL || s->env != NULL || s->credential != NULL);
}

/*
 * Check and copy len bytes of secret text named what into *out: strip one
 * trailing newline, refuse empty, over-long and NUL-containing values.
 */
static int
credentials_take(
    const char *what, const char *p, size_t len, char **out, char **cause)
{
	if (len > 0 && p[len - 1] == '\n') {
		len--;
		if (len > 0 && p[len - 1] == '\r')
			len--;
	}
	if (len > CREDENTIALS_MAX_BYTES) {
		*cause = xasprintf(
		    "%s is longer than %d bytes", what, CREDENTIALS_MAX_BYTES);
		return -1;
	}
	if (len == 0) {
		*cause = xasprintf("%s is empty", what);
		return -1;
	}
	if (memchr(p, '\0', len) != NULL) {
		*cause = xasprintf("%s contains a NUL byte", what);
		return -1;
	}
	*out = xstrndup(p, len);
	return 0;
}

/* Read the secret file path; check its mode first when check_mode. */
static int
credentials_read_file(
    const char *path, int check_mode, char **out, char **cause)
{
	char *data;
	size_t len = 0, cap = CREDENTIALS_MAX_BYTES + 3;
	struct stat st;
	ssize_t r;
	int fd, ret;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (check_mode && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
		*cause = xasprintf("%s: mode %04o, must not be readable by "
				   "group or others (chmod 600 %s)",
		    path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	data = xmalloc(cap);
	while (len < cap) {
		r = read(fd, data + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			close(fd);
			xfreezero(data, cap);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	/* A full buffer means more than the cap plus "\r\n". */
	if (len == cap) {
		*cause = xasprintf(
		    "%s is longer than %d bytes", path, CREDENTIALS_MAX_BYTES);
		xfreezero(data, cap);
		return -1;
	}
	ret = credentials_take(path, data, len, out, cause);
	xfreezero(data, cap);
	return ret;
}

/* Read a secret from the environment variable name. */
static int
credentials_read_env(const char *name, char **out, char **cause)
{
	const char *v;
	char *what;
	int ret;

	what = xasprintf("environment variable %s", name);
	if ((v = getenv(name)) == NULL) {
		*cause = xasprintf("%s is not set", what);
		free(what);
		return -1;
	}
	ret = credentials_take(what, v, strlen(v), out, cause);
	free(what);
	return ret;
}

/* Read a secret from $CREDENTIALS_DIRECTORY/name. */
static int
credentials_read_credential(const char *name, char **out, char **cause)
{
	const char *dir;
	char *path;
	int ret;

	if (*name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		*cause = xasprintf("credential %s: invalid name", name);
		return -1;
	}
	dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir == NULL || *dir == '\0') {
		*cause = xasprintf("credential %s: $CREDENTIALS_DIRECTORY is "
				   "not set",
		    name);
		return -1;
	}
	path = xasprintf("%s/%s", dir, name);
	ret = credentials_read_file(path, 0, out, cause);
	free(path);
	return ret;
}

/* Read the secret s points to into *out (see credentials.h). */
int
credentials_read(const struct config_secret *s, char **out, char **cause)
{
	*out = NULL;
	*cause = NULL;
	if (s == NULL || !credentials_configured(s)) {
		*cause = xstrdup("no secret configured");
		return -1;
	}
	if (s->file != NULL)
		return credentials_read_file(s->file, 1, out, cause);
	if (s->env != NULL)
		return credentials_read_env(s->env, out, cause);
	return credentials_read_credential(s->credential, out, cause);
}

/* One problem found by credentials_check, at the key naming the secret. */
struct credentials_problem {
	int line, col;
	int note;
	char *msg; /* "key: cause" */
};

/* What credentials_check collects. */
struct credentials_report {
	struct credentials_problem *v;
	size_t n;
	int notes; /* 0: an unverifiable credential is an error */
};

/* Record a problem of secret s. */
static void
credentials_add(struct credentials_report *r, const struct config_secret *s,
    int note, char *msg)
{
	struct credentials_problem *pr;

	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	pr = &r->v[r->n++];
	pr->line = s->line;
	pr->col = s->col;
	pr->note = note;
	pr->msg = msg;
}

/*
 * Try to read one secret (whsec: a webhook signing secret, whose keys must
 * parse, see whsec.h); record what stops it.
 */
static void
credentials_check_secret(
    struct credentials_report *r, const struct config_secret *s, int whsec)
{
	struct whsec_keys keys;
	char *value = NULL, *cause = NULL;
	int rc;
	const char *dir, *key = s->key != NULL ? s->key : "secret";

	if (!credentials_configured(s))
		return;
	dir = getenv("CREDENTIALS_DIRECTORY");
	if (s->credential != NULL && r->notes &&
	    (dir == NULL || *dir == '\0')) {
		credentials_add(r, s, 1,
		    xasprintf("%s: credential %s cannot be checked here: "
			      "only systemd provides it "
			      "($CREDENTIALS_DIRECTORY is not set)",
			key, s->credential));
		return;
	}
	if (credentials_read(s, &value, &cause) == 0) {
		memset(&keys, 0, sizeof(keys));
		rc = whsec ? whsec_parse(value, &keys, &cause) : 0;
		whsec_clear(&keys);
		xfreesecret(value);
		if (rc == 0)
			return;
	}
	credentials_add(r, s, 0, xasprintf("%s: %s", key, cause));
	free(cause);
}

/* Try to read one secret; record what stops it. */
static void
credentials_check_one(
    struct credentials_report *r, const struct config_secret *s)
{
	credentials_check_secret(r, s, 0);
}

/* Order problems by their position in the file. */
static int
credentials_problem_cmp(const void *a, const void *b)
{
	const struct credentials_problem *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* Read every secret of conf, collecting problems (see credentials.h). */
size_t
credentials_check(const struct config *conf, char **errors, char **notes)
{
	struct credentials_report r;
	const struct config_account *a;
	const struct config_notifier *nf;
	const char *path = conf->path != NULL ? conf->path : "config";
	struct buf eb, nb;
	size_t i, j, nerrors = 0;

	memset(&r, 0, sizeof(r));
	r.notes = notes != NULL;
	for (i = 0; i < conf->naccounts; i++) {
		a = &conf->accounts[i];
		credentials_check_one(&r, &a->access_key);
		credentials_check_one(&r, &a->secret_key);
		credentials_check_one(&r, &a->password);
	}
	for (i = 0; i < conf->nnotifiers; i++) {
		nf = &conf->notifiers[i];
		for (j = 0; j < nf->nheaders; j++)
			credentials_check_one(&r, &nf->headers[j].secret);
		credentials_check_secret(&r, &nf->secret, 1);
		credentials_check_one(&r, &nf->routing_key);
		credentials_check_one(&r, &nf->password);
	}
	credentials_check_one(&r, &conf->daemon.ha.password);
	if (r.n > 0)
		qsort(r.v, r.n, sizeof(*r.v), credentials_problem_cmp);
	buf_init(&eb, 0);
	buf_init(&nb, 0);
	for (i = 0; i < r.n; i++) {
		buf_printf(r.v[i].note ? &nb : &eb, "%s:%d:%d: %s%s\n", path,
		    r.v[i].line, r.v[i].col, r.v[i].note ? "note: " : "",
		    r.v[i].msg);
		if (!r.v[i].note)
			nerrors++;
		free(r.v[i].msg);
	}
	free(r.v);
	*errors = buf_release(&eb);
	if (notes != NULL)
		*notes = buf_release(&nb);
	else
		buf_free(&nb);
	return nerrors;
}

/* One account's key pair and where it came from. */
struct credentials_entry {
	char *account;
	struct config_secret key_src;
	struct config_secret secret_src;
	char *key;
	char *secret;
};

struct credentials_cache {
	struct credentials_entry *v;
	size_t n;
};

/* An empty cache. */
struct credentials_cache *
credentials_cache_new(void)
{
	return xcalloc(1, sizeof(struct credentials_cache));
}

/* Free a copied secret location. */
static void
credentials_src_clear(struct config_secret *s)
{
	free(s->file);
	free(s->env);
	free(s->credential);
	memset(s, 0, sizeof(*s));
}

/* Copy a secret location. */
static void
credentials_src_copy(struct config_secret *dst, const struct config_secret *s)
{
	dst->file = xstrdup(s->file);
	dst->env = xstrdup(s->env);
	dst->credential = xstrdup(s->credential);
}

/* Compare two optional strings. */
static int
credentials_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* 1 if two secret locations are the same. */
static int
credentials_src_equal(
    const struct config_secret *a, const struct config_secret *b)
{
	return credentials_streq(a->file, b->file) &&
	    credentials_streq(a->env, b->env) &&
	    credentials_streq(a->credential, b->credential);
}

/* Wipe and free every cached secret (reload). */
void
credentials_cache_clear(struct credentials_cache *cc)
{
	size_t i;

	if (cc == NULL)
		return;
	for (i = 0; i < cc->n; i++) {
		free(cc->v[i].account);
		credentials_src_clear(&cc->v[i].key_src);
		credentials_src_clear(&cc->v[i].secret_src);
		xfreesecret(cc->v[i].key);
		xfreesecret(cc->v[i].secret);
	}
	free(cc->v);
	cc->v = NULL;
	cc->n = 0;
}

/* Wipe and free every cached secret and the cache; NULL is a no-op. */
void
credentials_cache_free(struct credentials_cache *cc)
{
	if (cc == NULL)
		return;
	credentials_cache_clear(cc);
	free(cc);
}

/* The key pair of an account, read on first use (see credentials.h). */
int
credentials_cache_pair(struct credentials_cache *cc,
    const struct config_account *acct, const char **key, const char **secret,
    char **cause)
{
	struct credentials_entry *e;
	char *k = NULL, *s = NULL, *why = NULL;
	size_t i;

	*key = *secret = NULL;
	*cause = NULL;
	for (i = 0; i < cc->n; i++) {
		e = &cc->v[i];
		if (strcmp(e->account, acct->name) == 0 &&
		    credentials_src_equal(&e->key_src, &acct->access_key) &&
		    credentials_src_equal(&e->secret_src, &acct->secret_key)) {
			*key = e->key;
			*secret = e->secret;
			return 0;
		}
	}
	if (credentials_read(&acct->access_key, &k, &why) == -1) {
		*cause =
		    xasprintf("account %s: access key: %s", acct->name, why);
		free(why);
		return -1;
	}
	if (credentials_read(&acct->secret_key, &s, &why) == -1) {
		*cause = xasprintf("account %s: secret: %s", acct->name, why);
		free(why);
		xfreesecret(k);
		return -1;
	}
	/* Drop a stale entry of the same account (its sources changed). */
	for (i = 0; i < cc->n; i++) {
		e = &cc->v[i];
		if (strcmp(e->account, acct->name) != 0)
			continue;
		free(e->account);
		credentials_src_clear(&e->key_src);
		credentials_src_clear(&e->secret_src);
		xfreesecret(e->key);
		xfreesecret(e->secret);
		cc->v[i] = cc->v[--cc->n];
		break;
	}
	cc->v = xreallocarray(cc->v, cc->n + 1, sizeof(*cc->v));
	e = &cc->v[cc->n++];
	e->account = xstrdup(acct->name);
	credentials_src_copy(&e->key_src, &acct->access_key);
	credentials_src_copy(&e->secret_src, &acct->secret_key);
	e->key = k;
	e->secret = s;
	*key = k;
	*secret = s;
	return 0;
}

/* Fold the digest of n bytes at p (NULL: a marker) into *h. */
static void
credentials_fold(uint64_t *h, const void *p, size_t n)
{
	uint64_t pair[2];

	pair[0] = *h;
	pair[1] = p != NULL ? util_digest(p, n) : 0;
	*h = util_digest(pair, sizeof(pair));
}

/* Fold a secret's place and its value (or why it cannot be read) into *h. */
static void
credentials_fold_secret(uint64_t *h, const struct config_secret *s)
{
	char *value = NULL, *cause = NULL;

	if (!credentials_configured(s)) {
		credentials_fold(h, NULL, 0);
		return;
	}
	credentials_fold(
	    h, s->file ? s->file : "", s->file ? strlen(s->file) : 0);
	credentials_fold(h, s->env ? s->env : "", s->env ? strlen(s->env) : 0);
	credentials_fold(h, s->credential ? s->credential : "",
	    s->credential ? strlen(s->credential) : 0);
	if (credentials_read(s, &value, &cause) == 0) {
		credentials_fold(h, value, strlen(value));
		xfreesecret(value);
		return;
	}
	credentials_fold(h, "unreadable", 10);
	credentials_fold(h, cause, strlen(cause));
	free(cause);
}

/*
 * A digest of what authenticates an account: its method, user and domain,
 * where each secret lives and the secret itself, or why it cannot be read
 * (so a secret that became readable counts as changed).  Only for telling
 * whether that changed; never logged.
 */
uint64_t
credentials_account_digest(const struct config_account *a)
{
	uint64_t h = (uint64_t)a->auth_method + 1;

	credentials_fold(
	    &h, a->user ? a->user : "", a->user ? strlen(a->user) : 0);
	credentials_fold(
	    &h, a->domain ? a->domain : "", a->domain ? strlen(a->domain) : 0);
	credentials_fold_secret(&h, &a->access_key);
	credentials_fold_secret(&h, &a->secret_key);
	credentials_fold_secret(&h, &a->password);
	return h;
}
