/*
 * Unit tests for the configuration (config*.c, api.c, notifier_kind.c):
 * the key, API and notifier-kind tables, the golden files under
 * tests/config (good: the exact config_print output; bad: the exact error
 * text), the print/load round trip, the example config, and parsed values,
 * defaults, references, endpoints, config_watch_equal and the reload
 * identity.  Run from the repository root.
 * TASKWATCH_UPDATE_GOLDEN=1 rewrites the .ok and .err files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <dirent.h>

#include <cmocka.h>

#include "api.h"
#include "config.h"
#include "config_impl.h"
#include "credentials.h"
#include "notifier_kind.h"
#include "provider.h"
#include "xmalloc.h"

#define GOOD_DIR "tests/config/good"
#define BAD_DIR "tests/config/bad"
#define EXAMPLE "conf/taskwatchd.yaml.example"

/* The sorted names of the *.yaml files in dir (NULL-terminated). */
static char **
list_yaml(const char *dir, size_t *n)
{
	struct dirent *de;
	char **v = NULL;
	size_t len;
	DIR *d;

	*n = 0;
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		v = xreallocarray(v, *n + 2, sizeof(*v));
		v[(*n)++] = xstrndup(de->d_name, len - 5);
		v[*n] = NULL;
	}
	closedir(d);
	for (size_t i = 1; i < *n; i++) {
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	}
	return v;
}

/* Free a list from list_yaml. */
static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Read a whole file; NULL if it does not exist. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = xmalloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	return data;
}

/* Write s to path. */
static void
spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
	assert_int_equal(fclose(f), 0);
}

/* Return 1 when goldens are to be rewritten. */
static int
update_golden(void)
{
	const char *s = getenv("TASKWATCH_UPDATE_GOLDEN");

	return s != NULL && strcmp(s, "1") == 0;
}

/* config_print into a new string. */
static char *
print_str(const struct config *c)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&s, &len);
	assert_non_null(f);
	config_print(c, f);
	assert_int_equal(fclose(f), 0);
	return s;
}

/* Compare got with the golden file, or rewrite it; 0 if equal. */
static int
check_golden(const char *path, const char *got)
{
	char *want;
	int rc = 0;

	if (update_golden()) {
		spit(path, got);
		return 0;
	}
	want = slurp(path);
	if (want == NULL) {
		print_error("%s: missing golden\n", path);
		return -1;
	}
	if (strcmp(want, got) != 0) {
		print_error("%s differs; got:\n%s", path, got);
		rc = -1;
	}
	free(want);
	return rc;
}

/* Write yaml to a temporary file and load it. */
static struct config *
load_str(const char *yaml, char **errors)
{
	char path[] = "/tmp/test_config.XXXXXX";
	struct config *c;
	int fd;

	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	c = config_load(path, errors);
	unlink(path);
	return c;
}

/* Load yaml expecting success. */
static struct config *
load_ok(const char *yaml)
{
	char *errors = NULL;
	struct config *c;

	c = load_str(yaml, &errors);
	if (c == NULL)
		fail_msg("unexpected errors:\n%s", errors);
	assert_null(errors);
	return c;
}

/* Load yaml expecting failure with an error containing want. */
static void
load_fail(const char *yaml, const char *want)
{
	char *errors = NULL;
	struct config *c;

	c = load_str(yaml, &errors);
	assert_null(c);
	assert_non_null(errors);
	if (strstr(errors, want) == NULL)
		fail_msg("errors lack \"%s\":\n%s", want, errors);
	assert_int_equal(errors[strlen(errors) - 1], '\n');
	free(errors);
}

/* Print, load the printout, print again: the two must be identical. */
static void
round_trip(const struct config *c, const char *what)
{
	struct config *c2;
	char *p1, *p2, *errors = NULL;
	size_t i;

	p1 = print_str(c);
	c2 = load_str(p1, &errors);
	if (c2 == NULL)
		fail_msg(
		    "%s: printout does not load:\n%s\n%s", what, errors, p1);
	p2 = print_str(c2);
	if (strcmp(p1, p2) != 0)
		fail_msg("%s: round trip differs:\n%s\n---\n%s", what, p1, p2);
	assert_int_equal(c->naccounts, c2->naccounts);
	assert_int_equal(c->nwatches, c2->nwatches);
	assert_int_equal(c->nnotifiers, c2->nnotifiers);
	assert_int_equal(c->nrules, c2->nrules);
	for (i = 0; i < c->nwatches; i++)
		assert_true(
		    config_watch_equal(&c->watches[i], &c2->watches[i]));
	free(p1);
	free(p2);
	config_free(c2);
}

/* Every good YAML file prints exactly as its .ok file and round-trips. */
static void
test_good_goldens(void **state)
{
	char path[512], *got, *errors;
	struct config *c;
	size_t n, i;
	char **v;
	int bad = 0;

	(void)state;
	v = list_yaml(GOOD_DIR, &n);
	assert_true(n >= 4);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s.yaml", GOOD_DIR, v[i]);
		errors = NULL;
		c = config_load(path, &errors);
		if (c == NULL) {
			print_error("%s: %s", path, errors);
			free(errors);
			bad++;
			continue;
		}
		assert_string_equal(c->path, path);
		got = print_str(c);
		snprintf(path, sizeof(path), "%s/%s.ok", GOOD_DIR, v[i]);
		if (check_golden(path, got) == -1)
			bad++;
		round_trip(c, path);
		free(got);
		config_free(c);
	}
	free_list(v, n);
	assert_int_equal(bad, 0);
}

/*
 * A bad file that loads must fail the secrets check instead: 0 if it does
 * and the golden holds its errors (tests/run compares the whole output).
 */
static int
test_secret_errors(struct config *c, const char *errpath)
{
	char *errors, *notes, *want;
	size_t n;
	int rc;

	unsetenv("CREDENTIALS_DIRECTORY");
	n = credentials_check(c, &errors, &notes);
	want = slurp(errpath);
	rc = n > 0 && want != NULL && strstr(want, errors) != NULL &&
		strstr(want, notes) != NULL
	    ? 0
	    : -1;
	free(want);
	free(errors);
	free(notes);
	return rc;
}

/* Every bad YAML file fails with exactly its .err text. */
static void
test_bad_goldens(void **state)
{
	char path[512], errpath[512], *errors;
	struct config *c;
	size_t n, i;
	char **v;
	int bad = 0;

	(void)state;
	v = list_yaml(BAD_DIR, &n);
	assert_true(n >= 15);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s.yaml", BAD_DIR, v[i]);
		snprintf(errpath, sizeof(errpath), "%s/%s.err", BAD_DIR, v[i]);
		errors = NULL;
		c = config_load(path, &errors);
		if (c != NULL && test_secret_errors(c, errpath) == 0) {
			config_free(c);
			continue;
		}
		if (c != NULL) {
			print_error("%s: loaded without errors\n", path);
			config_free(c);
			bad++;
			continue;
		}
		assert_non_null(errors);
		if (check_golden(errpath, errors) == -1)
			bad++;
		/* Inline secret values in inline-secret.yaml never leak. */
		assert_null(strstr(errors, "s3cr3t"));
		assert_null(strstr(errors, "AKIAEXAMPLE"));
		assert_null(strstr(errors, "hunter2"));
		free(errors);
	}
	free_list(v, n);
	assert_int_equal(bad, 0);
}

/* The shipped example loads, documents sections and round-trips. */
static void
test_example(void **state)
{
	struct config *c;
	char *errors = NULL;

	(void)state;
	c = config_load(EXAMPLE, &errors);
	if (c == NULL)
		fail_msg("%s", errors);
	assert_int_equal(c->naccounts, 3);
	assert_int_equal(c->nwatches, 6);
	assert_int_equal(c->nnotifiers, 6);
	assert_int_equal(c->nrules, 2);
	assert_non_null(config_find_watch(c, "dds-otc"));
	assert_non_null(config_find_watch(c, "dws-prod-actions"));
	assert_non_null(config_find_watch(c, "gaussdb-prod"));
	assert_non_null(config_find_watch(c, "hpc-prod"));
	assert_true(config_find_watch(c, "dws-orders-logical")->clusters_all);
	assert_int_equal(
	    config_find_watch(c, "dws-orders-logical")->discover_interval_ms,
	    600000);
	assert_non_null(config_find_watch(c, "hpc2-prod"));
	round_trip(c, EXAMPLE);
	config_free(c);
}

/* A missing file, a directory, and NULL errors. */
static void
test_cannot_open(void **state)
{
	struct config *c;
	char *errors = NULL;

	(void)state;
	c = config_load("tests/config/no-such-file.yaml", &errors);
	assert_null(c);
	assert_string_equal(errors,
	    "tests/config/no-such-file.yaml: cannot "
	    "open: No such file or directory\n");
	free(errors);
	errors = NULL;
	c = config_load("tests/config", &errors);
	assert_null(c);
	assert_string_equal(errors,
	    "tests/config: cannot open: Is a "
	    "directory\n");
	free(errors);
	assert_null(config_load("tests/config/bad/several.yaml", NULL));
	assert_null(config_load("tests/config/no-such-file.yaml", NULL));
}

/* Defaults of an empty file and of a minimal watch. */
static void
test_defaults(void **state)
{
	struct config *c;
	const struct config_watch *w;
	const struct config_account *a;

	(void)state;
	c = load_ok("");
	assert_string_equal(c->daemon.state_dir, "/var/lib/taskwatchd");
	assert_string_equal(c->daemon.listen, "127.0.0.1:9465");
	assert_int_equal(c->daemon.shutdown_timeout_ms, 10000);
	assert_int_equal(c->daemon.max_concurrent_polls, 64);
	assert_int_equal(c->daemon.max_response_bytes, 8 * 1024 * 1024);
	assert_int_equal(
	    c->naccounts + c->nwatches + c->nnotifiers + c->nrules, 0);
	config_free(c);

	c = load_ok("# only a comment\n");
	config_free(c);
	c = load_ok("daemon:\naccounts:\nwatches: []\nrules: ~\n");
	config_free(c);

	c = load_ok(
	    "accounts:\n"
	    "  - {name: a, cloud: huawei, region: r1, project_id: p}\n"
	    "watches:\n"
	    "  - {name: w, account: a, api: dws.actions, clusters: [c]}\n");
	w = &c->watches[0];
	a = &c->accounts[0];
	assert_int_equal(a->auth_method, CONFIG_AUTH_NONE);
	assert_int_equal(a->rate_limit_count, 0);
	assert_null(a->endpoints[CONFIG_SERVICE_DWS]);
	assert_null(a->tls_ca_file);
	assert_int_equal(a->line, 2);
	assert_int_equal(w->line, 4);
	assert_ptr_equal(w->account, a);
	assert_int_equal(w->api, CONFIG_API_DWS_ACTIONS);
	assert_int_equal(w->interval_ms, 60000);
	assert_int_equal(w->timeout_ms, 10000);
	assert_int_equal(w->lookback_ms, 7ULL * 86400000);
	assert_int_equal(w->stall_after_ms, 30 * 60000);
	assert_int_equal(w->fail_after, 3);
	assert_int_equal(w->on_start, CONFIG_ON_START_BASELINE);
	assert_int_equal(w->timezone_offset_s, 0);
	assert_int_equal(w->actions.n, 8);
	assert_string_equal(w->actions.v[0], "GROWING");
	assert_string_equal(w->actions.v[1], "RESIZE_FAILURE");
	assert_string_equal(w->actions.v[7], "FINE_GRAINED_RESTORING_FAILED");
	assert_int_equal(w->clusters.n, 1);
	assert_string_equal(w->clusters.v[0], "c");
	config_free(c);
}

/* Parsed values of tests/config/good/variety.yaml. */
static void
test_values(void **state)
{
	struct config *c;
	const struct config_account *otc, *hw, *ali;
	const struct config_watch *w;
	const struct config_notifier *n;
	const struct config_rule *r;
	char *errors = NULL;

	(void)state;
	c = config_load(GOOD_DIR "/variety.yaml", &errors);
	if (c == NULL)
		fail_msg("%s", errors);
	assert_string_equal(c->daemon.listen, "[::1]:9465");
	assert_int_equal(c->daemon.shutdown_timeout_ms, 0);
	assert_int_equal(c->daemon.max_response_bytes, 1048577);

	otc = config_find_account(c, "otc.token");
	hw = config_find_account(c, "hw_env");
	ali = config_find_account(c, "ali2");
	assert_non_null(otc);
	assert_non_null(hw);
	assert_non_null(ali);
	assert_null(config_find_account(c, "nope"));
	assert_int_equal(otc->cloud, CONFIG_CLOUD_OTC);
	assert_int_equal(otc->auth_method, CONFIG_AUTH_TOKEN);
	assert_string_equal(otc->user, "svc-taskwatch");
	assert_string_equal(otc->domain, "OTC-EU-DE-000000000010000XXXXX");
	assert_string_equal(otc->password.credential, "otc.password");
	assert_null(otc->password.file);
	assert_null(otc->password.env);
	assert_null(otc->project_id);
	assert_int_equal(otc->rate_limit_count, 100);
	assert_int_equal(otc->rate_limit_per_ms, 60000);
	assert_int_equal(hw->auth_method, CONFIG_AUTH_AKSK);
	assert_string_equal(hw->access_key.env, "HW_AK");
	assert_string_equal(hw->secret_key.credential, "hw.sk");
	assert_int_equal(hw->rate_limit_per_ms, 3600000);
	/* trailing slashes stripped */
	assert_string_equal(hw->endpoints[CONFIG_SERVICE_IAM],
	    "https://iam.example.com:8443/v3");
	assert_int_equal(ali->auth_method, CONFIG_AUTH_V2);
	assert_string_equal(ali->access_key.env, "ALI_ID");
	assert_string_equal(ali->secret_key.env, "ALI_SECRET");

	w = config_find_watch(c, "dws-1");
	assert_non_null(w);
	assert_ptr_equal(w->account, otc);
	assert_string_equal(w->account_name, "otc.token");
	assert_int_equal(w->interval_ms, 90000);
	assert_int_equal(w->timezone_offset_s, 8 * 3600);
	assert_int_equal(w->clusters.n, 2);
	w = config_find_watch(c, "dws-logical");
	assert_int_equal(w->timezone_offset_s, -(5 * 3600 + 30 * 60));
	assert_int_equal(w->stall_after_ms, 0);
	assert_int_equal(w->on_start, CONFIG_ON_START_REPORT);
	assert_int_equal(w->actions.n, 0);
	/* an alias to the rule's list */
	assert_int_equal(w->clusters.n, 2);
	assert_string_equal(w->clusters.v[1], "c2");
	w = config_find_watch(c, "gauss");
	assert_int_equal(w->api, CONFIG_API_GAUSSDB_TASKS);
	assert_int_equal(w->lookback_ms, 36 * 3600000ULL);
	assert_int_equal(w->timeout_ms, 1500);
	assert_int_equal(w->fail_after, 1000);
	assert_int_equal(w->clusters.n, 0);
	assert_null(config_find_watch(c, "nope"));

	n = config_find_notifier(c, "hook");
	assert_int_equal(n->type, CONFIG_NOTIFIER_WEBHOOK);
	assert_string_equal(n->url, "http://127.0.0.1:8080/hook?x=1#frag");
	assert_int_equal(n->nheaders, 5);
	assert_string_equal(n->headers[0].key, "Authorization-Hint");
	assert_string_equal(n->headers[0].value, "see: docs");
	assert_string_equal(n->headers[1].value, "");
	assert_string_equal(n->secret.env, "HOOK_SECRET");
	assert_int_equal(n->timeout_ms, 10000);
	assert_int_equal(n->retry.initial_ms, 500);
	assert_int_equal(n->retry.max_ms, 2 * 3600000);
	assert_int_equal(n->retry.give_up_after_ms, 24 * 3600000);
	n = config_find_notifier(c, "am");
	assert_int_equal(n->type, CONFIG_NOTIFIER_ALERTMANAGER);
	assert_int_equal(n->urls.n, 2);
	assert_string_equal(n->urls.v[0], "http://am1:9093");
	assert_int_equal(n->resolve_after_ms, 24 * 3600000);
	assert_int_equal(n->repeat_ms, 60000);
	assert_int_equal(n->nlabels, 2);
	assert_string_equal(n->labels[1].key, "_env");
	n = config_find_notifier(c, "log");
	assert_int_equal(n->type, CONFIG_NOTIFIER_SYSLOG);
	assert_int_equal(n->facility, LOG_DAEMON);
	n = config_find_notifier(c, "run");
	assert_int_equal(n->type, CONFIG_NOTIFIER_EXEC);
	assert_int_equal(n->command.n, 6);
	assert_string_equal(n->command.v[4], "a, b");
	assert_string_equal(n->command.v[5], "");
	assert_int_equal(n->timeout_ms, 5 * 60000);
	assert_int_equal(n->max_concurrent, 4);
	assert_int_equal(n->cooldown_ms, 0);
	assert_null(n->user);
	assert_null(config_find_notifier(c, "nope"));

	assert_int_equal(c->nrules, 3);
	r = &c->rules[0];
	assert_string_equal(r->name, "rule-1");
	assert_int_equal(r->match_event.n, 1);
	assert_string_equal(r->match_event.v[0], "transition");
	assert_int_equal(r->match_to.n, 2);
	assert_int_equal(r->severity, CONFIG_SEVERITY_UNSET);
	assert_int_equal(r->cont, 0);
	assert_ptr_equal(r->notifiers[0], config_find_notifier(c, "log"));
	r = &c->rules[1];
	assert_string_equal(r->name, "everything");
	assert_int_equal(r->notify.n, 3);
	assert_ptr_equal(r->notifiers[0], config_find_notifier(c, "hook"));
	assert_ptr_equal(r->notifiers[2], config_find_notifier(c, "run"));
	assert_int_equal(
	    r->match_event.n + r->match_api.n + r->match_watch.n, 0);
	r = &c->rules[2];
	assert_string_equal(r->name, "rule-3");
	assert_int_equal(r->severity, CONFIG_SEVERITY_WARNING);
	assert_int_equal(r->cont, 1);
	assert_string_equal(r->match_task_type.v[0], "*SNAPSHOT*");
	config_free(c);
}

/* config_endpoint: configured values and the per-cloud defaults. */
static void
test_endpoints(void **state)
{
	struct config *c;
	char *s;

	(void)state;
	c = load_ok("accounts:\n"
		    "  - {name: h, cloud: huawei, region: cn-north-4,\n"
		    "     endpoints: {dds: 'http://127.0.0.1:1/x/'}}\n"
		    "  - {name: o, cloud: otc, region: eu-de}\n"
		    "  - {name: a, cloud: alibaba, region: cn-hangzhou}\n");
	s = config_endpoint(&c->accounts[0], "dws");
	assert_string_equal(s, "https://dws.cn-north-4.myhuaweicloud.com");
	free(s);
	s = config_endpoint(&c->accounts[0], "gaussdb");
	assert_string_equal(
	    s, "https://gaussdb-opengauss.cn-north-4.myhuaweicloud.com");
	free(s);
	s = config_endpoint(&c->accounts[0], "iam");
	assert_string_equal(s, "https://iam.cn-north-4.myhuaweicloud.com");
	free(s);
	s = config_endpoint(&c->accounts[0], "dds");
	assert_string_equal(s, "http://127.0.0.1:1/x");
	free(s);
	s = config_endpoint(&c->accounts[1], "dds");
	assert_string_equal(s, "https://dds.eu-de.otc.t-systems.com");
	free(s);
	s = config_endpoint(&c->accounts[1], "iam");
	assert_string_equal(s, "https://iam.eu-de.otc.t-systems.com");
	free(s);
	s = config_endpoint(&c->accounts[2], "ehpc");
	assert_string_equal(s, "https://ehpc.cn-hangzhou.aliyuncs.com");
	free(s);
	assert_null(config_endpoint(&c->accounts[2], "dws"));
	assert_null(config_endpoint(&c->accounts[0], "ehpc"));
	s = config_endpoint(&c->accounts[1], "gaussdb");
	assert_non_null(s);
	assert_string_equal(s, "https://gaussdb.eu-de.otc.t-systems.com");
	free(s);
	assert_null(config_endpoint(&c->accounts[0], "nope"));
	config_free(c);
}

/*
 * Default endpoints by region: the SDKs' .eu and .cn hosts where they
 * differ from the cloud's domain, printed as -nv prints them.
 */
static void
test_endpoint_regions(void **state)
{
	static const struct {
		const char *region, *service, *want;
	} cases[] = {
		{ "eu-west-101", "dws",
		    "https://dws.eu-west-101.myhuaweicloud.eu" },
		{ "eu-west-101", "dds",
		    "https://dds.eu-west-101.myhuaweicloud.eu" },
		{ "eu-west-101", "iam",
		    "https://iam.eu-west-101.myhuaweicloud.eu" },
		{ "eu-west-101", "gaussdb",
		    "https://gaussdb-opengauss.eu-west-101.myhuaweicloud.com" },
		{ "cn-south-4", "dws",
		    "https://dws.cn-south-4.myhuaweicloud.cn" },
		{ "cn-north-12", "dws",
		    "https://dws.cn-north-12.myhuaweicloud.cn" },
		{ "cn-east-4", "dws",
		    "https://dws.cn-east-4.myhuaweicloud.cn" },
		{ "tr-west-1", "dws",
		    "https://dws.tr-west-1.myhuaweicloud.cn" },
		{ "ap-southeast-4", "dws",
		    "https://dws.ap-southeast-4.myhuaweicloud.cn" },
		{ "ap-southeast-4", "dds",
		    "https://dds.ap-southeast-4.myhuaweicloud.com" },
		{ "tr-west-1", "iam",
		    "https://iam.tr-west-1.myhuaweicloud.com" },
		{ "cn-north-4", "dws",
		    "https://dws.cn-north-4.myhuaweicloud.com" },
		{ "cn-north-4", "dds",
		    "https://dds.cn-north-4.myhuaweicloud.com" },
	};
	struct config_account acct;
	struct config *c;
	char *s;
	size_t i;

	(void)state;
	memset(&acct, 0, sizeof(acct));
	acct.cloud = CONFIG_CLOUD_HUAWEI;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		acct.region = (char *)cases[i].region;
		s = config_endpoint(&acct, cases[i].service);
		assert_non_null(s);
		if (strcmp(s, cases[i].want) != 0)
			fail_msg("%s %s: %s, want %s", cases[i].region,
			    cases[i].service, s, cases[i].want);
		free(s);
		assert_true(
		    config_endpoint_is_default(&acct, cases[i].service));
	}
	/* The same region on another cloud keeps that cloud's domain. */
	acct.cloud = CONFIG_CLOUD_ALIBABA;
	acct.region = (char *)"ap-southeast-4";
	s = config_endpoint(&acct, "ehpc");
	assert_string_equal(s, "https://ehpc.ap-southeast-4.aliyuncs.com");
	free(s);

	c = load_ok("accounts:\n"
		    "  - {name: eu, cloud: huawei, region: eu-west-101}\n"
		    "  - {name: cn, cloud: huawei, region: cn-east-4,\n"
		    "     endpoints: {dws: 'http://127.0.0.1:1'}}\n");
	s = print_str(c);
	assert_non_null(strstr(s,
	    "      dws: https://dws.eu-west-101.myhuaweicloud.eu\n"
	    "      dds: https://dds.eu-west-101.myhuaweicloud.eu\n"));
	assert_non_null(
	    strstr(s, "      iam: https://iam.eu-west-101.myhuaweicloud.eu\n"));
	/* A configured endpoint wins over the region's default. */
	assert_non_null(strstr(s, "      dws: http://127.0.0.1:1\n"));
	assert_false(config_endpoint_is_default(&c->accounts[1], "dws"));
	assert_true(config_endpoint_is_default(&c->accounts[1], "dds"));
	free(s);
	round_trip(c, "regions");
	config_free(c);
}

/* Load a one-watch config with the given watch and account extras. */
static struct config *
load_watch(const char *acct_extra, const char *watch_extra)
{
	char *yaml;
	struct config *c;

	yaml = xasprintf("accounts:\n"
			 "  - name: a\n    cloud: huawei\n    region: r1\n"
			 "    project_id: p\n%s"
			 "watches:\n"
			 "  - name: w\n    account: a\n    api: dws.actions\n"
			 "    clusters: [c1]\n%s",
	    acct_extra, watch_extra);
	c = load_ok(yaml);
	free(yaml);
	return c;
}

/* config_watch_equal notices every field that affects polling. */
static void
test_watch_equal(void **state)
{
	static const struct {
		const char *acct;
		const char *watch;
	} diffs[] = {
		{ "", "    interval: 61s\n" },
		{ "", "    timeout: 9s\n" },
		{ "", "    stall_after: 0\n" },
		{ "", "    fail_after: 4\n" },
		{ "", "    on_start: report\n" },
		{ "", "    timezone: '+01:00'\n" },
		{ "", "    actions: [GROWING]\n" },
		{ "    tls_ca_file: /ca.pem\n", "" },
		{ "    rate_limit: 1/s\n", "" },
		{ "    endpoints: {dws: 'http://127.0.0.1:1'}\n", "" },
		{ "    auth: {method: aksk, access_key_env: A, "
		  "secret_key_env: B}\n",
		    "" },
	};
	struct config *base, *same, *other;
	size_t i;

	(void)state;
	base = load_watch("", "");
	same = load_watch("    endpoints: {dws: "
			  "'https://dws.r1.myhuaweicloud.com/'}\n",
	    "    interval: 1m\n");
	assert_true(config_watch_equal(&base->watches[0], &same->watches[0]));
	assert_true(config_watch_equal(&base->watches[0], &base->watches[0]));
	for (i = 0; i < sizeof(diffs) / sizeof(diffs[0]); i++) {
		other = load_watch(diffs[i].acct, diffs[i].watch);
		if (config_watch_equal(&base->watches[0], &other->watches[0]))
			fail_msg("case %zu: %s%s not noticed", i, diffs[i].acct,
			    diffs[i].watch);
		config_free(other);
	}
	other = load_ok(
	    "accounts:\n"
	    "  - {name: a, cloud: huawei, region: r2, project_id: p}\n"
	    "watches:\n"
	    "  - {name: w, account: a, api: dws.actions, clusters: [c1]}\n");
	assert_false(config_watch_equal(&base->watches[0], &other->watches[0]));
	config_free(other);
	other =
	    load_ok("accounts:\n"
		    "  - {name: a, cloud: huawei, region: r1, project_id: p}\n"
		    "watches:\n"
		    "  - {name: w, account: a, api: dws.logical_tasks, "
		    "clusters: [c1]}\n");
	assert_false(config_watch_equal(&base->watches[0], &other->watches[0]));
	config_free(other);
	config_free(same);
	config_free(base);
}

/* Load a dws.logical_tasks watch whose clusters key is clusters. */
static struct config *
load_clusters(const char *clusters)
{
	char *yaml;
	struct config *c;

	yaml = xasprintf(
	    "accounts:\n"
	    "  - {name: a, cloud: huawei, region: r1, project_id: p}\n"
	    "watches:\n"
	    "  - name: w\n    account: a\n    api: dws.logical_tasks\n%s",
	    clusters);
	c = load_ok(yaml);
	free(yaml);
	return c;
}

/*
 * clusters: all is tuning: a reload from a literal list to all and back
 * keeps the watch (same identity) but polls otherwise (not equal), and
 * so do cluster_names and discover_interval.
 */
static void
test_clusters_all(void **state)
{
	static const char *const variants[] = {
		"    clusters: [c1]\n",
		"    clusters: all\n",
		"    clusters: all\n    cluster_names: [\"o-*\"]\n",
		"    clusters: all\n    discover_interval: 1m\n",
	};
	struct config *c[4];
	size_t i, j;

	(void)state;
	for (i = 0; i < 4; i++)
		c[i] = load_clusters(variants[i]);
	assert_false(c[0]->watches[0].clusters_all);
	assert_true(c[1]->watches[0].clusters_all);
	assert_int_equal(c[1]->watches[0].clusters.n, 0);
	assert_int_equal(c[1]->watches[0].discover_interval_ms, 600000);
	assert_string_equal(c[2]->watches[0].cluster_names.v[0], "o-*");
	assert_int_equal(c[3]->watches[0].discover_interval_ms, 60000);
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 4; j++) {
			assert_true(config_watch_same_identity(
			    &c[i]->watches[0], &c[j]->watches[0]));
			assert_int_equal(config_watch_equal(&c[i]->watches[0],
					     &c[j]->watches[0]),
			    i == j);
		}
	}
	for (i = 0; i < 4; i++)
		config_free(c[i]);
}

/* A row's default is in its range (0 = off where that is allowed). */
static void
check_row_default(const struct config_key *k)
{
	switch (k->type) {
	case CONFIG_T_DURATION_OFF:
		if (k->def == 0)
			break;
		/* FALLTHROUGH */
	case CONFIG_T_DURATION:
	case CONFIG_T_SIZE:
	case CONFIG_T_UINT:
		if (k->flags & CONFIG_K_KIND)
			break;
		if (k->def < k->min || k->def > k->max)
			fail_msg("key %s: default %llu not in %llu..%llu",
			    k->name, (unsigned long long)k->def,
			    (unsigned long long)k->min,
			    (unsigned long long)k->max);
		break;
	case CONFIG_T_ENUM:
		/* With a parse, the values are another table's names. */
		if (k->parse == NULL && (k->names == NULL || k->noun == NULL))
			fail_msg("key %s: an enum without values", k->name);
		break;
	default:
		break;
	}
	if (k->parse == NULL && k->type != CONFIG_T_OTHER &&
	    k->type != CONFIG_T_INLINE && k->off == CONFIG_NOFIELD)
		fail_msg("key %s: read by type but has no field", k->name);
}

/*
 * The key tables hold together: defaults in range, every watch key either
 * part of the identity or tuning (the reload rule), kinds that exist.
 */
static void
test_key_tables(void **state)
{
	const struct config_key *const tables[] = { config_daemon_keys,
		config_account_keys, config_watch_keys, config_notifier_keys,
		config_rule_keys, config_match_keys };
	const struct config_key *k;
	const struct notifier_kind *nk;
	size_t i, nidentity = 0;
	int id, tuning;

	(void)state;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		for (k = tables[i]; k->name != NULL; k++)
			check_row_default(k);
	}
	for (k = config_watch_keys; k->name != NULL; k++) {
		id = (k->flags & CONFIG_K_IDENTITY) != 0;
		tuning = (k->flags & CONFIG_K_TUNING) != 0;
		if (id == tuning)
			fail_msg("watch key %s: neither or both of identity "
				 "and tuning",
			    k->name);
		nidentity += id;
	}
	assert_int_equal(nidentity, 3); /* name, account, api */
	for (k = config_account_keys; k->name != NULL; k++)
		nidentity += (k->flags & CONFIG_K_IDENTITY) != 0;
	assert_int_equal(nidentity, 6); /* cloud, region, project_id */
	for (k = config_notifier_keys; k->name != NULL; k++) {
		if (k->kinds & ~((1U << NOTIFIER_KIND_COUNT) - 1))
			fail_msg("notifier key %s: unknown kind", k->name);
	}
	for (i = 0; i < NOTIFIER_KIND_COUNT; i++) {
		nk = notifier_kind_get(i);
		assert_non_null(nk);
		assert_string_equal(config_notifier_type_name(i), nk->name);
		if (nk->timeout_ms != 0)
			assert_true(nk->timeout_ms >= nk->timeout_min_ms &&
			    nk->timeout_ms <= nk->timeout_max_ms);
		k = config_key_find(config_notifier_keys, "timeout");
		assert_int_equal((k->kinds >> i) & 1, nk->timeout_ms != 0);
		k = config_key_find(config_notifier_keys, "retry");
		assert_int_equal((k->kinds >> i) & 1, nk->retry);
	}
	assert_null(notifier_kind_get(NOTIFIER_KIND_COUNT));
	assert_string_equal(
	    config_notifier_type_name(NOTIFIER_KIND_COUNT), "unknown");
}

/* The API table agrees with the providers and names every API once. */
static void
test_api_table(void **state)
{
	const struct provider *p;
	const struct api *a;
	int i;

	(void)state;
	for (i = 0; i < CONFIG_API_COUNT; i++) {
		a = api_get(i);
		p = provider_find(i);
		assert_non_null(a);
		assert_non_null(p);
		assert_string_equal(a->name, p->name);
		assert_int_equal(a->lookup, p->lookup_req != NULL);
		assert_int_equal(api_from_name(a->name), i);
		assert_int_not_equal(a->clouds, 0);
		assert_string_equal(config_api_service(i), a->service);
		assert_int_equal(
		    a->scope == API_SCOPE_CLUSTERS, p->scope_key != NULL);
	}
	assert_null(api_get(CONFIG_API_COUNT));
	assert_int_equal(api_from_name("dds.job"), -1);
}

/*
 * Every API has a default endpoint on every cloud the API table says has
 * it (the endpoint table agrees), and none on the others.
 */
static void
test_api_endpoints(void **state)
{
	struct config_account acct;
	const struct api *a;
	char *url;
	int i, c;

	(void)state;
	memset(&acct, 0, sizeof(acct));
	acct.region = (char *)"eu-de";
	for (i = 0; i < CONFIG_API_COUNT; i++) {
		a = api_get(i);
		for (c = 0; c < CONFIG_CLOUD_COUNT; c++) {
			acct.cloud = c;
			url = config_endpoint(&acct, a->service);
			if (a->clouds & API_CLOUD(c)) {
				assert_non_null(url);
				assert_non_null(strstr(url, "https://"));
				assert_non_null(strstr(url, ".eu-de."));
			} else
				assert_null(url);
			free(url);
		}
	}
}

/* A reload keeps a watch whose identity keys are unchanged. */
static void
test_same_identity(void **state)
{
	static const struct {
		const char *project, *api;
		int same;
	} cases[] = {
		{ "p", "dws.actions", 1 },
		{ "q", "dws.actions", 0 },
		{ "p", "dws.logical_tasks", 0 },
	};
	struct config *base, *other;
	char *yaml;
	size_t i;

	(void)state;
	base = load_watch("", "");
	other = load_watch("    rate_limit: 1/s\n",
	    "    interval: 61s\n    actions: [GROWING]\n");
	assert_true(
	    config_watch_same_identity(&base->watches[0], &other->watches[0]));
	assert_false(config_watch_equal(&base->watches[0], &other->watches[0]));
	config_free(other);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		yaml = xasprintf("accounts: [{name: a, cloud: huawei, "
				 "region: r1, project_id: %s}]\n"
				 "watches: [{name: w, account: a, api: %s, "
				 "clusters: [c1]}]\n",
		    cases[i].project, cases[i].api);
		other = load_ok(yaml);
		assert_int_equal(config_watch_same_identity(
				     &base->watches[0], &other->watches[0]),
		    cases[i].same);
		config_free(other);
		free(yaml);
	}
	config_free(base);
}

/* listen: accepted and refused forms. */
static void
test_listen(void **state)
{
	static const char *const good[] = {
		"\"\"",
		"127.0.0.1:1",
		"0.0.0.0:65535",
		"\"[::1]:9465\"",
		"localhost:9465",
		"\"[fe80::1%eth0]:80\"",
	};
	static const char *const bad[] = {
		"localhost",
		"\":80\"",
		"a:0",
		"a:65536",
		"\"a b:80\"",
		"\"[::1]\"",
		"\"[]:80\"",
		"\"::1:80\"",
		"a:b",
		"\"[::1]:\"",
	};
	struct config *c;
	char *yaml;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		yaml = xasprintf("daemon:\n  listen: %s\n", good[i]);
		c = load_ok(yaml);
		round_trip(c, good[i]);
		config_free(c);
		free(yaml);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		yaml = xasprintf("daemon:\n  listen: %s\n", bad[i]);
		load_fail(yaml, ":2:11: invalid listen");
		free(yaml);
	}
}

/* timezone: accepted and refused forms. */
static void
test_timezone(void **state)
{
	static const struct {
		const char *s;
		int off;
	} good[] = {
		{ "UTC", 0 },
		{ "Z", 0 },
		{ "'+08:00'", 28800 },
		{ "'-0330'", -12600 },
		{ "'+00:00'", 0 },
		{ "'+23:59'", 86340 },
	};
	static const char *const bad[] = {
		"CET",
		"'+8:00'",
		"'+08'",
		"'+24:00'",
		"'+08:60'",
		"'08:00'",
		"'+08:00x'",
		"utc",
	};
	struct config *c;
	char *x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		x = xasprintf("    timezone: %s\n", good[i].s);
		c = load_watch("", x);
		assert_int_equal(c->watches[0].timezone_offset_s, good[i].off);
		round_trip(c, good[i].s);
		config_free(c);
		free(x);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		x = xasprintf(
		    "accounts:\n"
		    "  - {name: a, cloud: huawei, region: r1, project_id: p}\n"
		    "watches:\n"
		    "  - {name: w, account: a, api: dds.jobs, timezone: %s}\n",
		    bad[i]);
		load_fail(x, "invalid timezone");
		free(x);
	}
}

/* Load "daemon: ha:" with the lines of ha (each indented by four). */
static struct config *
load_ha(const char *ha, char **errors)
{
	struct config *c;
	char *yaml;

	yaml = xasprintf("daemon:\n  ha:\n%s", ha);
	c = load_str(yaml, errors);
	free(yaml);
	return c;
}

/* daemon.ha: absent, defaults, position, endpoint forms, limits. */
static void
test_ha(void **state)
{
	static const char *const good[] = {
		"http://127.0.0.1:2379",
		"https://etcd.example.com:2379",
		"\"http://[::1]:2379\"",
		"\"https://[fe80::1%eth0]:65535\"",
		"http://e-1.example:1",
	};
	static const struct {
		const char *url, *want;
	} bad[] = {
		{ "etcd:2379", "must be an http:// or https:// URL" },
		{ "HTTP://etcd:2379", "must be an http:// or https:// URL" },
		{ "http://u@etcd:2379", "must not hold a user or password" },
		{ "http://etcd:2379/", "must have no path, query or fragment" },
		{ "http://etcd:2379#x",
		    "must have no path, query or fragment" },
		{ "http://etcd", "must be http(s)://host:port" },
		{ "http://:2379", "must be http(s)://host:port" },
		{ "\"http://[::1]\"", "must be http(s)://host:port" },
		{ "\"http://e tcd:1\"", "must be http(s)://host:port" },
		{ "http://etcd:65536", "has a port that is not 1..65535" },
		{ "http://etcd:x", "has a port that is not 1..65535" },
	};
	const struct config_ha *ha;
	struct config *c;
	char *yaml, *errors, *out, *big;
	size_t i;

	(void)state;
	c = load_ok("daemon:\n  state_dir: /x\n");
	assert_int_equal(c->daemon.ha.netcd, 0);
	assert_null(c->daemon.ha.prefix);
	assert_null(strstr((out = print_str(c)), "ha:"));
	free(out);
	config_free(c);

	c = load_ok("daemon:\n  ha:\n    etcd: [http://e1:2379, "
		    "https://e2:2379]\n    ca_file: /ca.pem\n");
	ha = &c->daemon.ha;
	assert_int_equal(ha->netcd, 2);
	assert_string_equal(ha->etcd[0], "http://e1:2379");
	assert_string_equal(ha->etcd[1], "https://e2:2379");
	assert_string_equal(ha->prefix, "/taskwatch");
	assert_int_equal(ha->ttl_ms, 10000);
	assert_string_equal(ha->ca_file, "/ca.pem");
	assert_null(ha->cert_file);
	assert_null(ha->user);
	assert_false(config_secret_set(&ha->password));
	assert_int_equal(ha->line, 2);
	assert_int_equal(ha->col, 3);
	out = print_str(c);
	assert_non_null(strstr(out,
	    "  ha:\n    etcd: [http://e1:2379, https://e2:2379]\n"
	    "    prefix: /taskwatch\n    ttl: 10s\n    ca_file: /ca.pem\n"
	    "accounts: []\n"));
	free(out);
	round_trip(c, "ha defaults");
	config_free(c);

	/* The password as its source, never its value; 2s and 300s. */
	c = load_ok("daemon:\n  ha:\n    etcd: [http://e1:2379]\n"
		    "    user: tw\n    password_env: TW_ETCD\n    ttl: 5m\n");
	assert_string_equal(c->daemon.ha.password.env, "TW_ETCD");
	assert_string_equal(
	    c->daemon.ha.password.key, "daemon.ha.password_env");
	assert_int_equal(c->daemon.ha.ttl_ms, 300000);
	out = print_str(c);
	assert_non_null(
	    strstr(out, "    user: tw\n    password_env: TW_ETCD\n"));
	free(out);
	round_trip(c, "ha password");
	config_free(c);
	c = load_ok(
	    "daemon:\n  ha:\n    etcd: [http://e1:2379]\n    ttl: 2s\n");
	assert_int_equal(c->daemon.ha.ttl_ms, 2000);
	config_free(c);

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		yaml = xasprintf("    etcd: [%s]\n", good[i]);
		errors = NULL;
		c = load_ha(yaml, &errors);
		if (c == NULL)
			fail_msg("%s: %s", good[i], errors);
		round_trip(c, good[i]);
		config_free(c);
		free(yaml);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		yaml = xasprintf(
		    "daemon:\n  ha:\n    etcd:\n      - %s\n", bad[i].url);
		load_fail(yaml, ":4:9: each of etcd ");
		load_fail(yaml, bad[i].want);
		free(yaml);
	}

	big = xmalloc(131);
	memset(big, 'p', 130);
	big[0] = '/';
	big[129] = '\0'; /* 129 bytes */
	yaml = xasprintf("    etcd: [http://e:1]\n    prefix: %s\n", big);
	assert_null(load_ha(yaml, &errors));
	assert_non_null(strstr(errors, "prefix is longer than 128 bytes"));
	free(errors);
	free(yaml);
	big[128] = '\0'; /* 128 bytes */
	yaml = xasprintf("    etcd: [http://e:1]\n    prefix: %s\n", big);
	c = load_ha(yaml, NULL);
	assert_non_null(c);
	assert_int_equal(strlen(c->daemon.ha.prefix), 128);
	config_free(c);
	free(yaml);
	free(big);

	load_fail("daemon:\n  ha:\n    etcd: [http://e:1]\n    prefix: /\n",
	    ":4:13: prefix must not end with \"/\"");
	load_fail("daemon:\n  ha:\n    etcd: [http://e:1]\n"
		  "    prefix: \"/t\\u00e9\"\n",
	    "prefix must be printable ASCII without spaces");
	load_fail("daemon:\n  ha:\n    etcd: [http://e:1]\n    ttl: 2500ms\n",
	    ":4:10: ttl must be whole seconds\n");
	load_fail("daemon:\n  ha:\n    etcd: http://e:1\n",
	    ":3:11: etcd must be a list, not a string");
	load_fail("daemon:\n  ha:\n", ":2:6: ha must be a mapping, not empty");
	load_fail("daemon:\n  ha: [http://e:1]\n", "ha must be a mapping");
	load_fail("daemon:\n  ha:\n    etcd: [http://e:1, http://e:1]\n",
	    "etcd lists \"http://e:1\" twice");
	/* TLS keys with only http:// endpoints, each at its key. */
	load_fail("daemon:\n  ha:\n    etcd: [http://e:1]\n"
		  "    key_file: /k\n    cert_file: /c\n",
	    ":4:5: key_file has no effect without https:// endpoints\n");
	c = load_ok("daemon:\n  ha:\n    etcd: [https://e:1]\n"
		    "    key_file: /k\n    cert_file: /c\n");
	assert_string_equal(c->daemon.ha.cert_file, "/c");
	assert_string_equal(c->daemon.ha.key_file, "/k");
	config_free(c);
	load_fail("daemon:\n  ha:\n    etcd: [https://e:1]\n    user: u\n",
	    ":3:5: user needs password_file, password_env or "
	    "password_credential\n");
	load_fail("daemon:\n  ha:\n    etcd: [https://e:1]\n"
		  "    password_file: /p\n",
	    ":3:5: password is used only with user\n");
	load_fail("daemon:\n  ha:\n    etcd: [https://e:1]\n    user: u\n"
		  "    password_file: p\n",
	    ":5:20: password_file must be an absolute path\n");
}

/* Unknown keys: a suggestion when close, the known keys otherwise. */
static void
test_unknown_keys(void **state)
{
	(void)state;
	load_fail("daemon:\n  state-dir: /x\n",
	    ":2:3: unknown key "
	    "\"state-dir\" in daemon; did you mean \"state_dir\"?\n");
	load_fail("daemon:\n  listn: x\n", "did you mean \"listen\"?");
	load_fail("daemon:\n  zzz: x\n",
	    "unknown key \"zzz\" in daemon; "
	    "known keys: state_dir, listen, shutdown_timeout, "
	    "max_concurrent_polls, max_response_bytes, control_socket, "
	    "audit_max_size, shard, ha\n");
	load_fail("notifier:\n",
	    ":1:1: unknown key \"notifier\" at top "
	    "level; did you mean \"notifiers\"?");
	/* inline secret names are known but never suggested */
	load_fail("notifiers:\n  - {name: n, type: webhook, url: "
		  "'http://x', secrett: y}\n",
	    "\"secrett\" in notifier \"n\"; "
	    "known keys: name,");
	load_fail("accounts:\n  - {name: a, cloud: huawei, region: r,\n"
		  "     auth: {method: aksk, acess_key_file: /a, "
		  "secret_key_file: /b}}\n",
	    "unknown key \"acess_key_file\" in auth of account \"a\"; did "
	    "you mean \"access_key_file\"?");
}

/* Type errors, duplicates and small value checks. */
static void
test_misc_errors(void **state)
{
	(void)state;
	load_fail("daemon:\n  listen: x\n  listen: y\n",
	    ":3:3: duplicate key \"listen\" (first at line 2)");
	load_fail("- a\n",
	    ":1:1: the top level must be a mapping, not a "
	    "list");
	load_fail("daemon:\n  max_concurrent_polls: 1.5\n",
	    "max_concurrent_polls must be an integer, not \"1.5\"");
	load_fail("daemon:\n  max_response_bytes: 8 MB\n",
	    "invalid size \"8 MB\" for max_response_bytes");
	load_fail("daemon:\n  max_response_bytes: 1023\n",
	    "max_response_bytes must be between 1KiB and 1GiB, not 1023");
	load_fail("daemon:\n  state_dir:\n", ":2:3: state_dir needs a value");
	load_fail("rules:\n  - {notify: [], continue: maybe}\n",
	    "notify must not be empty");
	load_fail("rules:\n  - {notify: [], continue: maybe}\n",
	    "continue must be true or false, not \"maybe\"");
	load_fail("notifiers:\n  - {name: l, type: syslog}\n"
		  "rules:\n  - {notify: [l, l]}\n",
	    "notify lists \"l\" twice");
	load_fail("rules:\n  - {match: {event: []}, notify: [x]}\n",
	    "match key event must not be an empty list");
	load_fail(
	    "accounts:\n  - {name: a, cloud: alibaba, region: r,\n"
	    "     auth: {method: v3, access_key_id_file: /a,\n"
	    "            access_key_id_env: B, access_key_secret_env: C}}\n",
	    "only one of access_key_id_file, access_key_id_env and "
	    "access_key_id_credential may be set");
	load_fail("accounts:\n  - {name: a, cloud: huawei, region: r,\n"
		  "     auth: {method: aksk}}\n",
	    ":3:12: aksk auth needs access_key_file, access_key_env or "
	    "access_key_credential");
	load_fail("daemon:\n  state_dir: \"/a\\0b\"\n",
	    "state_dir must not contain NUL characters");
	load_fail("watches:\n  - {name: w, account: a, api: dds.jobs}\n",
	    "unknown account \"a\"; no accounts are defined");
	load_fail("x: *nope\n", "syntax error");
}

/* Secrets never appear in errors, whatever the mistake. */
static void
test_secret_not_echoed(void **state)
{
	static const char *const cases[] = {
		"      secret_key: TOPSECRETVALUE\n",
		"      secret_key_file: TOPSECRETVALUE\n",
		"      secret_key_env: TOPSECRET-VALUE\n",
		"      secret_key_credential: /TOPSECRETVALUE\n",
	};
	struct config *c;
	char *yaml, *errors;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		yaml = xasprintf(
		    "accounts:\n  - name: a\n    cloud: huawei\n"
		    "    region: r\n    project_id: p\n    auth:\n"
		    "      method: aksk\n      access_key_env: AK\n%s",
		    cases[i]);
		errors = NULL;
		c = load_str(yaml, &errors);
		assert_null(c);
		assert_non_null(errors);
		assert_null(strstr(errors, "TOPSECRET"));
		free(errors);
		free(yaml);
	}
}

/* Name tables and their inverses. */
static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < CONFIG_API_COUNT; i++)
		assert_int_equal(config_api_from_name(config_api_name(i)), i);
	assert_string_equal(config_api_name(CONFIG_API_DDS_JOBS), "dds.jobs");
	assert_int_equal(config_api_from_name("dds.job"), -1);
	assert_int_equal(config_api_from_name(NULL), -1);
	assert_string_equal(config_cloud_name(CONFIG_CLOUD_HUAWEI), "huawei");
	assert_string_equal(config_cloud_name(CONFIG_CLOUD_OTC), "otc");
	assert_string_equal(config_cloud_name(CONFIG_CLOUD_ALIBABA), "alibaba");
	assert_string_equal(
	    config_severity_name(CONFIG_SEVERITY_CRITICAL), "critical");
	assert_int_equal(
	    config_severity_from_name("warning"), CONFIG_SEVERITY_WARNING);
	assert_int_equal(
	    config_severity_from_name("info"), CONFIG_SEVERITY_INFO);
	assert_int_equal(config_severity_from_name("fatal"), -1);
	config_free(NULL);
}

/* Strings that need quoting survive print and load. */
static void
test_quoting(void **state)
{
	struct config *c;
	char *out;

	(void)state;
	c = load_ok(
	    "notifiers:\n"
	    "  - name: h\n    type: webhook\n    url: 'http://x'\n"
	    "    headers:\n"
	    "      A: 'null'\n      B: '~'\n      C: '- x'\n"
	    "      D: \"tab\\there\"\n      E: '[x]'\n      F: 'a: b'\n"
	    "      G: '#x'\n      H: 'x:'\n      I: ' lead'\n"
	    "      J: '*star'\n      K: 'q\"q'\n      L: \"back\\\\s\"\n"
	    "      M: 'true'\n      N: '-1'\n      O: 'ünï'\n"
	    "  - name: e\n    type: exec\n"
	    "    command: [/bin/x, '', 'a,b', '{}', '&x', '!x', '%x', '@x']\n");
	out = print_str(c);
	assert_non_null(strstr(out, "      A: \"null\"\n"));
	assert_non_null(strstr(out, "      D: \"tab\\there\"\n"));
	assert_non_null(strstr(out, "      K: q\"q\n"));
	assert_non_null(strstr(out, "      L: back\\s\n"));
	assert_non_null(strstr(out, "      O: ünï\n"));
	assert_non_null(strstr(out,
	    "[/bin/x, \"\", \"a,b\", \"{}\", \"&x\", "
	    "\"!x\", \"%x\", \"@x\"]"));
	round_trip(c, "quoting");
	assert_string_equal(c->notifiers[0].headers[3].value, "tab\there");
	free(out);
	config_free(c);
}

/* Run the config tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_goldens),
		cmocka_unit_test(test_bad_goldens),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_cannot_open),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_watch_equal),
		cmocka_unit_test(test_clusters_all),
		cmocka_unit_test(test_key_tables),
		cmocka_unit_test(test_api_table),
		cmocka_unit_test(test_api_endpoints),
		cmocka_unit_test(test_endpoint_regions),
		cmocka_unit_test(test_same_identity),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_timezone),
		cmocka_unit_test(test_ha),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_misc_errors),
		cmocka_unit_test(test_secret_not_echoed),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
