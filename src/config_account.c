/*
 * The accounts section: a cloud, a region and how to sign, and the
 * endpoints an account's APIs are reached at.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "config_impl.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define A(f) offsetof(struct config_account, f)

static const char *const config_cloud_names[] = { "huawei", "otc", "alibaba",
	NULL };

/* Indexed by enum config_auth_method; "none" is never accepted. */
const char *const config_auth_names[] = { "none", "aksk", "token", "v2", "v3",
	NULL };

static const char *const config_auth_hw[] = { "aksk", "token", NULL };

static const char *const config_auth_ali[] = { "v2", "v3", NULL };

static const char *const config_auth_any[] = { "aksk", "token", "v2", "v3",
	NULL };

/* Endpoint services, in the order they are printed. */
static const char *const config_services[] = { "dws", "dds", "gaussdb", "iam",
	"ehpc", NULL };

static const char *const config_services_huawei[] = { "dws", "dds", "gaussdb",
	"iam", NULL };

static const char *const config_services_otc[] = { "dws", "dds", "iam", NULL };

static const char *const config_services_alibaba[] = { "ehpc", NULL };

static const char *const config_auth_keys[] = { "method", "access_key_file",
	"access_key_env", "access_key_credential", "secret_key_file",
	"secret_key_env", "secret_key_credential", "user", "domain",
	"password_file", "password_env", "password_credential",
	"access_key_id_file", "access_key_id_env", "access_key_id_credential",
	"access_key_secret_file", "access_key_secret_env",
	"access_key_secret_credential", NULL };

/* Inline secrets: known (a specific error), never suggested. */
static const char *const config_auth_inline[] = { "access_key", "secret_key",
	"password", "access_key_id", "access_key_secret", NULL };

static const char *const config_auth_aksk_keys[] = { "method", "access_key",
	"access_key_file", "access_key_env", "access_key_credential",
	"secret_key", "secret_key_file", "secret_key_env",
	"secret_key_credential", NULL };

static const char *const config_auth_token_keys[] = { "method", "user",
	"domain", "password", "password_file", "password_env",
	"password_credential", NULL };

static const char *const config_auth_ali_keys[] = { "method", "access_key_id",
	"access_key_id_file", "access_key_id_env", "access_key_id_credential",
	"access_key_secret", "access_key_secret_file", "access_key_secret_env",
	"access_key_secret_credential", NULL };

/* What each auth method takes: its keys and its two secrets. */
static const struct config_auth_row {
	const char *const *keys;
	const char *id, *secret; /* secret bases; NULL: token */
} config_auth_methods[] = {
	[CONFIG_AUTH_AKSK] = { config_auth_aksk_keys, "access_key",
	    "secret_key" },
	[CONFIG_AUTH_TOKEN] = { config_auth_token_keys, NULL, NULL },
	[CONFIG_AUTH_V2] = { config_auth_ali_keys, "access_key_id",
	    "access_key_secret" },
	[CONFIG_AUTH_V3] = { config_auth_ali_keys, "access_key_id",
	    "access_key_secret" },
};

/* The keys of token auth: user, domain and the password. */
static void
config_auth_token(struct config_parse *p, const struct config_map *m,
    struct config_account *a, const char *at, const char *by, const char *where)
{
	const struct config_pair *kv;

	if ((kv = config_map_find(m, "user")) == NULL)
		config_missing(p, m, "user", where);
	else if (config_string(p, kv) != NULL)
		a->user = xstrdup(config_scalar_value(kv->vnode));
	if ((kv = config_map_find(m, "domain")) != NULL &&
	    config_string(p, kv) != NULL)
		a->domain = xstrdup(config_scalar_value(kv->vnode));
	config_secret(p, m, at, "password", 1, by, &a->password);
}

/* Parse an account's auth mapping. */
static void
config_parse_auth(struct config_parse *p, const struct config_pair *akv,
    struct config_account *a, int cloud_ok, const char *desc, size_t idx)
{
	const struct config_pair *kv;
	const struct config_auth_row *row;
	const char *const *methods;
	struct config_map m;
	const char *s;
	char *where, *by, at[64];
	int i;

	snprintf(at, sizeof(at), "accounts[%zu].auth", idx - 1);

	if (config_map_open(p, akv->vnode, "auth", 0, &m) == -1)
		return;
	where = xasprintf("in auth of %s", desc);
	config_map_check(p, &m, config_auth_keys, config_auth_inline, where);
	if (!cloud_ok)
		methods = config_auth_any;
	else if (a->cloud == CONFIG_CLOUD_ALIBABA)
		methods = config_auth_ali;
	else
		methods = config_auth_hw;
	if ((kv = config_map_find(&m, "method")) == NULL) {
		config_missing(p, &m, "method", where);
		goto out;
	}
	if (cloud_ok && kv->vnode->type == YAML_SCALAR_NODE &&
	    (s = config_scalar_value(kv->vnode)) != NULL &&
	    config_index(methods, s) == -1 &&
	    config_index(config_auth_any, s) != -1) {
		config_error(p, kv->vnode,
		    "auth method %s is not used by %s "
		    "accounts; expected one of: %s, %s",
		    config_q(p, s), config_cloud_name(a->cloud), methods[0],
		    methods[1]);
		goto out;
	}
	if ((i = config_enum(p, kv, methods, "auth method")) == -1)
		goto out;
	a->auth_method = config_index(config_auth_names, methods[i]);
	by = xasprintf("%s auth", methods[i]);
	row = &config_auth_methods[a->auth_method];
	config_map_only(p, &m, row->keys, config_auth_keys, by);
	config_map_only(p, &m, row->keys, config_auth_inline, by);
	if (a->auth_method == CONFIG_AUTH_TOKEN)
		config_auth_token(p, &m, a, at, by, where);
	else {
		config_secret(p, &m, at, row->id, 1, by, &a->access_key);
		config_secret(p, &m, at, row->secret, 1, by, &a->secret_key);
	}
	free(by);
out:
	free(where);
	config_map_close(&m);
}

/* The endpoint field of an account for a service name, or NULL. */
static char **
config_endpoint_field(struct config_account *a, const char *svc)
{
	if (strcmp(svc, "dws") == 0)
		return &a->endpoint_dws;
	if (strcmp(svc, "dds") == 0)
		return &a->endpoint_dds;
	if (strcmp(svc, "gaussdb") == 0)
		return &a->endpoint_gaussdb;
	if (strcmp(svc, "iam") == 0)
		return &a->endpoint_iam;
	if (strcmp(svc, "ehpc") == 0)
		return &a->endpoint_ehpc;
	return NULL;
}

/* The services a cloud has endpoints for. */
const char *const *
config_cloud_services(enum config_cloud cloud)
{
	switch (cloud) {
	case CONFIG_CLOUD_HUAWEI:
		return config_services_huawei;
	case CONFIG_CLOUD_OTC:
		return config_services_otc;
	default:
		return config_services_alibaba;
	}
}

/* Parse an account's endpoints mapping. */
static void
config_account_endpoints(struct config_item *it, const struct config_key *k,
    const struct config_pair *ekv)
{
	struct config_parse *p = it->p;
	struct config_account *a = it->obj;
	const char *desc = it->desc;
	int cloud_ok = it->cloud_ok;
	const struct config_pair *kv;
	struct config_map m;
	const char *s;
	char *where, *by, **dst;
	size_t i;

	if (config_map_open(p, ekv->vnode, "endpoints", 1, &m) == -1)
		return;
	where = xasprintf("in endpoints of %s", desc);
	config_map_check(p, &m, config_services, NULL, where);
	free(where);
	if (cloud_ok) {
		by = xasprintf("%s accounts", config_cloud_name(a->cloud));
		config_map_only(p, &m, config_cloud_services(a->cloud),
		    config_services, by);
		free(by);
	}
	for (i = 0; config_services[i] != NULL; i++) {
		if ((kv = config_map_find(&m, config_services[i])) == NULL ||
		    (s = config_string(p, kv)) == NULL)
			continue;
		dst = config_endpoint_field(a, config_services[i]);
		*dst = config_url(p, kv->vnode, kv->key, s, 1);
	}
	config_map_close(&m);
}

/* Parse a rate limit "N/s", "N/m" or "N/h". */
static void
config_account_rate(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_parse *p = it->p;
	struct config_account *a = it->obj;
	const char *s, *slash, *cause;
	char *num;
	long long n;
	uint64_t per;
	int rc;

	if ((s = config_scalar(p, kv, "a string")) == NULL)
		return;
	slash = strchr(s, '/');
	per = 0;
	if (slash != NULL && strcmp(slash, "/s") == 0)
		per = CONFIG_SEC;
	else if (slash != NULL && strcmp(slash, "/m") == 0)
		per = CONFIG_MIN;
	else if (slash != NULL && strcmp(slash, "/h") == 0)
		per = CONFIG_HOUR;
	if (per == 0) {
		config_error(p, kv->vnode,
		    "invalid rate_limit %s (use e.g. "
		    "10/s, 100/m, 1000/h)",
		    config_q(p, s));
		return;
	}
	num = xstrndup(s, slash - s);
	rc = util_strtonum(num, 1, 1000000, &n, &cause);
	free(num);
	if (rc == -1) {
		config_error(p, kv->vnode,
		    "invalid rate_limit %s: the count "
		    "must be 1..1000000",
		    config_q(p, s));
		return;
	}
	a->rate_limit_count = (unsigned)n;
	a->rate_limit_per_ms = per;
}

/* The cloud of an account; the keys after it are checked against it. */
static void
config_account_cloud(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	if (config_key_read(it->p, k, kv, it->obj) == 0)
		it->cloud_ok = 1;
}

/* The region of an account: letters, digits, "-" and "_". */
static void
config_account_region(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_account *a = it->obj;
	const char *s;

	if ((s = config_string(it->p, kv)) == NULL)
		return;
	if (strlen(s) > CONFIG_NAME_MAX || !config_chars_ok(s, "-_"))
		config_error(it->p, kv->vnode,
		    "invalid region %s: use "
		    "letters, digits, \"-\" and \"_\"",
		    config_q(it->p, s));
	else
		a->region = xstrdup(s);
}

/* The project of a huawei or otc account. */
static void
config_account_project(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_account *a = it->obj;
	const char *s;

	if (it->cloud_ok && a->cloud == CONFIG_CLOUD_ALIBABA)
		config_error(it->p, kv->knode,
		    "project_id is not used by "
		    "alibaba accounts");
	else if ((s = config_string(it->p, kv)) == NULL)
		;
	else if (strlen(s) > CONFIG_ID_MAX || !config_chars_ok(s, "-_"))
		config_error(it->p, kv->vnode,
		    "invalid project_id %s: use "
		    "letters, digits, \"-\" and \"_\"",
		    config_q(it->p, s));
	else
		a->project_id = xstrdup(s);
}

/* The auth mapping of an account; empty, it lacks its method. */
static void
config_account_auth(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	if (config_is_null(kv->vnode))
		config_error(it->p, kv->knode,
		    "missing required key "
		    "\"method\" in auth of %s",
		    it->desc);
	else
		config_parse_auth(
		    it->p, kv, it->obj, it->cloud_ok, it->desc, it->idx);
}

/*
 * The keys of an account.  IDENTITY: where its tasks live; a watch whose
 * account changes one of them starts afresh on a reload.
 */
const struct config_key config_account_keys[] = {
	{ .name = "name",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_REQUIRED,
	    .off = A(name),
	    .parse = config_item_name },
	{ .name = "cloud",
	    .type = CONFIG_T_ENUM,
	    .flags = CONFIG_K_REQUIRED | CONFIG_K_IDENTITY,
	    .names = config_cloud_names,
	    .noun = "cloud",
	    .off = A(cloud),
	    .parse = config_account_cloud },
	{ .name = "region",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_REQUIRED | CONFIG_K_IDENTITY,
	    .off = A(region),
	    .parse = config_account_region },
	{ .name = "project_id",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_IDENTITY,
	    .off = A(project_id),
	    .parse = config_account_project },
	{ .name = "auth",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_account_auth },
	{ .name = "endpoints",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_account_endpoints },
	{ .name = "rate_limit",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_account_rate },
	{ .name = "tls_ca_file", .type = CONFIG_T_PATH, .off = A(tls_ca_file) },
	{ .name = NULL },
};

/* The accounts section. */
const struct config_list config_accounts = {
	.key = "accounts",
	.noun = "account",
	.size = sizeof(struct config_account),
	.items = offsetof(struct config, accounts),
	.count = offsetof(struct config, naccounts),
	.line = A(line),
	.col = A(col),
	.keys = config_account_keys,
};

/* Free one account's fields. */
void
config_account_free(struct config_account *a)
{
	free(a->name);
	free(a->region);
	free(a->project_id);
	config_secret_free(&a->access_key);
	config_secret_free(&a->secret_key);
	free(a->user);
	free(a->domain);
	config_secret_free(&a->password);
	free(a->endpoint_dws);
	free(a->endpoint_dds);
	free(a->endpoint_gaussdb);
	free(a->endpoint_iam);
	free(a->endpoint_ehpc);
	free(a->tls_ca_file);
}

/*
 * The base URL for a service of an account: the configured endpoint or the
 * cloud's default for the region.  NULL for a service the cloud does not
 * have (or an unknown service name).
 */
char *
config_endpoint(const struct config_account *acct, const char *service)
{
	const char *const *svc;
	char **field;
	const char *host;

	field = config_endpoint_field((struct config_account *)acct, service);
	if (field == NULL)
		return NULL;
	if (*field != NULL)
		return xstrdup(*field);
	for (svc = config_cloud_services(acct->cloud); *svc != NULL; svc++) {
		if (strcmp(*svc, service) == 0)
			break;
	}
	if (*svc == NULL || acct->region == NULL)
		return NULL;
	switch (acct->cloud) {
	case CONFIG_CLOUD_HUAWEI:
		host = strcmp(service, "gaussdb") == 0 ? "gaussdb-opengauss"
						       : service;
		return xasprintf(
		    "https://%s.%s.myhuaweicloud.com", host, acct->region);
	case CONFIG_CLOUD_OTC:
		return xasprintf(
		    "https://%s.%s.otc.t-systems.com", service, acct->region);
	default:
		return xasprintf("https://ehpc.%s.aliyuncs.com", acct->region);
	}
}

/*
 * The regions taskwatchd knows per cloud: an account in another region still
 * works with explicit endpoints, but its default ones are guessed.
 */
static const char *const config_regions_huawei[] = { "af-north-1", "af-south-1",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "cn-east-2", "cn-east-3", "cn-east-4", "cn-east-5",
	"cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-11",
	"cn-north-12", "cn-south-1", "cn-south-2", "cn-south-4",
	"cn-southwest-2", "eu-west-0", "eu-west-101", "la-north-2",
	"la-south-2", "me-east-1", "my-kualalumpur-1", "na-mexico-1",
	"ru-moscow-1", "ru-northwest-2", "sa-brazil-1", "tr-west-1", NULL };

static const char *const config_regions_otc[] = { "eu-de", "eu-nl", "eu-ch2",
	NULL };

static const char *const config_regions_alibaba[] = { "cn-qingdao",
	"cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu",
	"cn-hangzhou", "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen",
	"cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong",
	"ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
	"ap-southeast-3", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ap-south-1", "us-east-1", "us-west-1", "eu-west-1", "eu-central-1",
	"me-east-1", "me-central-1", "na-south-1", NULL };

/* 1 if region is one taskwatchd knows for cloud. */
int
config_region_known(enum config_cloud cloud, const char *region)
{
	const char *const *list = cloud == CONFIG_CLOUD_HUAWEI
	    ? config_regions_huawei
	    : cloud == CONFIG_CLOUD_OTC ? config_regions_otc
					: config_regions_alibaba;

	return region != NULL && config_index(list, region) != -1;
}

/* 1 if the account's endpoint for service is the cloud's default. */
int
config_endpoint_is_default(
    const struct config_account *acct, const char *service)
{
	char **field;

	field = config_endpoint_field((struct config_account *)acct, service);
	return field != NULL && *field == NULL;
}

/* "huawei" / "otc" / "alibaba". */
const char *
config_cloud_name(enum config_cloud cloud)
{
	if ((int)cloud < 0 || cloud > CONFIG_CLOUD_ALIBABA)
		return "unknown";
	return config_cloud_names[cloud];
}

/* Compare two secret sources. */
static int
config_secret_eq(const struct config_secret *a, const struct config_secret *b)
{
	return config_streq(a->file, b->file) && config_streq(a->env, b->env) &&
	    config_streq(a->credential, b->credential);
}

/* Return 1 if two accounts reach the same API the same way. */
int
config_account_eq(
    const struct config_account *a, const struct config_account *b)
{
	char *ea, *eb;
	size_t i;
	int eq;

	if (a->cloud != b->cloud || !config_streq(a->region, b->region) ||
	    !config_streq(a->project_id, b->project_id) ||
	    a->auth_method != b->auth_method ||
	    !config_secret_eq(&a->access_key, &b->access_key) ||
	    !config_secret_eq(&a->secret_key, &b->secret_key) ||
	    !config_streq(a->user, b->user) ||
	    !config_streq(a->domain, b->domain) ||
	    !config_secret_eq(&a->password, &b->password) ||
	    a->rate_limit_count != b->rate_limit_count ||
	    a->rate_limit_per_ms != b->rate_limit_per_ms ||
	    !config_streq(a->tls_ca_file, b->tls_ca_file))
		return 0;
	for (i = 0; config_services[i] != NULL; i++) {
		ea = config_endpoint(a, config_services[i]);
		eb = config_endpoint(b, config_services[i]);
		eq = config_streq(ea, eb);
		free(ea);
		free(eb);
		if (!eq)
			return 0;
	}
	return 1;
}
