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
static const char *const config_auth_names[] = { "none", "aksk", "token", "v2",
	"v3", NULL };

static const char *const config_auth_hw[] = { "aksk", "token", NULL };

static const char *const config_auth_ali[] = { "v2", "v3", NULL };

static const char *const config_auth_any[] = { "aksk", "token", "v2", "v3",
	NULL };

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

/*
 * Per cloud: the domain of its default endpoints, https://HOST.REGION.DOMAIN
 * (HOST from config_services), and the regions it has.
 */
static const struct config_cloud_row {
	const char *domain;
	const char *const *regions;
} config_clouds[CONFIG_CLOUD_COUNT] = {
	[CONFIG_CLOUD_HUAWEI] = { "myhuaweicloud.com", config_regions_huawei },
	[CONFIG_CLOUD_OTC] = { "otc.t-systems.com", config_regions_otc },
	[CONFIG_CLOUD_ALIBABA] = { "aliyuncs.com", config_regions_alibaba },
};

/*
 * The endpoint services, one row each, indexed by enum config_service and
 * printed in that order: the key of endpoints, and per cloud the host of the
 * default endpoint (NULL: the cloud does not have the service).
 */
struct config_service_row {
	const char *name;
	const char *host[CONFIG_CLOUD_COUNT];
};

static const struct config_service_row config_services[CONFIG_SERVICE_COUNT] = {
	[CONFIG_SERVICE_DWS] = { .name = "dws",
	    .host = { [CONFIG_CLOUD_HUAWEI] = "dws",
		[CONFIG_CLOUD_OTC] = "dws" } },
	[CONFIG_SERVICE_DDS] = { .name = "dds",
	    .host = { [CONFIG_CLOUD_HUAWEI] = "dds",
		[CONFIG_CLOUD_OTC] = "dds" } },
	[CONFIG_SERVICE_GAUSSDB] = { .name = "gaussdb",
	    .host = { [CONFIG_CLOUD_HUAWEI] = "gaussdb-opengauss",
		[CONFIG_CLOUD_OTC] = "gaussdb" } },
	[CONFIG_SERVICE_IAM] = { .name = "iam",
	    .host = { [CONFIG_CLOUD_HUAWEI] = "iam",
		[CONFIG_CLOUD_OTC] = "iam" } },
	[CONFIG_SERVICE_EHPC] = { .name = "ehpc",
	    .host = { [CONFIG_CLOUD_ALIBABA] = "ehpc" } },
};

/*
 * The default hosts whose domain is not their cloud's, per service and
 * region, as the region tables of Huawei Cloud's SDKs give them (the
 * huaweicloud-sdk-go-v3 and -python-v3 files services/dws/v2, dds/v3 and
 * iam/v3 .../region): https://HOST.REGION.DOMAIN with this row's DOMAIN.
 * A service the SDK lists under the cloud's own domain for a region has
 * no row; so IAM and DDS keep .com in the .cn regions of DWS.
 */
static const struct config_domain_row {
	enum config_cloud cloud;
	enum config_service service;
	const char *region;
	const char *domain;
} config_domains[] = {
	{ CONFIG_CLOUD_HUAWEI, CONFIG_SERVICE_DWS, "eu-west-101",
	    "myhuaweicloud.eu" },
	{ CONFIG_CLOUD_HUAWEI, CONFIG_SERVICE_DDS, "eu-west-101",
	    "myhuaweicloud.eu" },
	{ CONFIG_CLOUD_HUAWEI, CONFIG_SERVICE_IAM, "eu-west-101",
	    "myhuaweicloud.eu" },
	{ CONFIG_CLOUD_HUAWEI, CONFIG_SERVICE_DWS, "cn-south-4",
	    "myhuaweicloud.cn" },
	{ CONFIG_CLOUD_HUAWEI, CONFIG_SERVICE_DWS, "cn-north-12",
	    "myhuaweicloud.cn" },
	{ CONFIG_CLOUD_HUAWEI, CONFIG_SERVICE_DWS, "cn-east-4",
	    "myhuaweicloud.cn" },
	{ CONFIG_CLOUD_HUAWEI, CONFIG_SERVICE_DWS, "tr-west-1",
	    "myhuaweicloud.cn" },
	{ CONFIG_CLOUD_HUAWEI, CONFIG_SERVICE_DWS, "ap-southeast-4",
	    "myhuaweicloud.cn" },
};

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

/* The row of a service name, or -1. */
static int
config_service_find(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < CONFIG_SERVICE_COUNT; i++) {
		if (strcmp(config_services[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* The names of every service, as config_map_check takes (caller frees). */
static const char **
config_service_names(void)
{
	return config_names_of(
	    config_services, CONFIG_SERVICE_COUNT, sizeof(config_services[0]));
}

/* The names of the services a cloud has, in order (caller frees). */
static const char **
config_cloud_services(enum config_cloud cloud)
{
	const char **v;
	size_t i, n = 0;

	v = xcalloc(CONFIG_SERVICE_COUNT + 1, sizeof(*v));
	for (i = 0; i < CONFIG_SERVICE_COUNT; i++) {
		if ((unsigned)cloud < CONFIG_CLOUD_COUNT &&
		    config_services[i].host[cloud] != NULL)
			v[n++] = config_services[i].name;
	}
	return v;
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
	const char *s, **all, **ours;
	char *where, *by;
	size_t i;

	if (config_map_open(p, ekv->vnode, "endpoints", 1, &m) == -1)
		return;
	all = config_service_names();
	where = xasprintf("in endpoints of %s", desc);
	config_map_check(p, &m, all, NULL, where);
	free(where);
	if (cloud_ok) {
		by = xasprintf("%s accounts", config_cloud_name(a->cloud));
		ours = config_cloud_services(a->cloud);
		config_map_only(p, &m, ours, all, by);
		free(ours);
		free(by);
	}
	free(all);
	for (i = 0; i < CONFIG_SERVICE_COUNT; i++) {
		if ((kv = config_map_find(&m, config_services[i].name)) ==
			NULL ||
		    (s = config_string(p, kv)) == NULL)
			continue;
		a->endpoints[i] = config_url(p, kv->vnode, kv->key, s, 1);
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

/*
 * A region or project ID: letters, digits, "-" and "_", at most the row's
 * max long, into the row's field.
 */
static void
config_account_ident(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	const char *s;

	if ((s = config_string(it->p, kv)) == NULL)
		return;
	if (strlen(s) > k->max || !config_chars_ok(s, "-_"))
		config_error(it->p, kv->vnode,
		    "invalid %s %s: use letters, digits, \"-\" and \"_\"",
		    k->name, config_q(it->p, s));
	else
		*(char **)((char *)it->obj + k->off) = xstrdup(s);
}

/* The project of a huawei or otc account. */
static void
config_account_project(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_account *a = it->obj;

	if (it->cloud_ok && a->cloud == CONFIG_CLOUD_ALIBABA)
		config_error(it->p, kv->knode,
		    "project_id is not used by "
		    "alibaba accounts");
	else
		config_account_ident(it, k, kv);
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

/* Print an account's auth: its method and where its secrets come from. */
static void
config_account_print_auth(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	const struct config_account *a = obj;
	const struct config_auth_row *row =
	    &config_auth_methods[a->auth_method];

	if (a->auth_method == CONFIG_AUTH_NONE)
		return;
	fprintf(fp, "%sauth:\n", in);
	fprintf(fp, "%s  method: %s\n", in, config_auth_names[a->auth_method]);
	if (a->auth_method == CONFIG_AUTH_TOKEN) {
		config_print_kv(fp, "      ", "user", a->user);
		if (a->domain != NULL)
			config_print_kv(fp, "      ", "domain", a->domain);
		config_print_secret(fp, "      ", "password", &a->password);
	} else {
		config_print_secret(fp, "      ", row->id, &a->access_key);
		config_print_secret(fp, "      ", row->secret, &a->secret_key);
	}
}

/* Print the endpoints of the services an account's cloud has. */
static void
config_account_print_endpoints(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	const struct config_account *a = obj;
	const char **svcs, **svc;
	char *ep;

	fprintf(fp, "%sendpoints:\n", in);
	svcs = config_cloud_services(a->cloud);
	for (svc = svcs; *svc != NULL; svc++) {
		ep = config_endpoint(a, *svc);
		config_print_kv(fp, "      ", *svc, ep);
		free(ep);
	}
	free(svcs);
}

/* Print an account's rate limit, if it has one. */
static void
config_account_print_rate(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	const struct config_account *a = obj;

	if (a->rate_limit_count != 0)
		fprintf(fp, "%srate_limit: %u/%s\n", in, a->rate_limit_count,
		    a->rate_limit_per_ms == CONFIG_SEC       ? "s"
			: a->rate_limit_per_ms == CONFIG_MIN ? "m"
							     : "h");
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
	    .max = CONFIG_NAME_MAX,
	    .off = A(region),
	    .parse = config_account_ident },
	{ .name = "project_id",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_IDENTITY,
	    .max = CONFIG_ID_MAX,
	    .off = A(project_id),
	    .parse = config_account_project },
	{ .name = "auth",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_account_auth,
	    .print = config_account_print_auth },
	{ .name = "endpoints",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_account_endpoints,
	    .print = config_account_print_endpoints },
	{ .name = "rate_limit",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_account_rate,
	    .print = config_account_print_rate },
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

/* Free one account's fields: its rows', its secrets', its endpoints. */
void
config_account_free(struct config_account *a)
{
	size_t i;

	config_keys_free(config_account_keys, a);
	config_secret_free(&a->access_key);
	config_secret_free(&a->secret_key);
	free(a->user);
	free(a->domain);
	config_secret_free(&a->password);
	for (i = 0; i < CONFIG_SERVICE_COUNT; i++)
		free(a->endpoints[i]);
}

/* The domain of a default host: a config_domains row's, or the cloud's. */
static const char *
config_domain(enum config_cloud cloud, int service, const char *region)
{
	size_t i;

	for (i = 0; i < sizeof(config_domains) / sizeof(config_domains[0]);
	     i++) {
		if (config_domains[i].cloud == cloud &&
		    (int)config_domains[i].service == service &&
		    strcmp(config_domains[i].region, region) == 0)
			return config_domains[i].domain;
	}
	return config_clouds[cloud].domain;
}

/*
 * The base URL for a service of an account: the configured endpoint or the
 * cloud's default for the region.  NULL for a service the cloud does not
 * have (or an unknown service name).
 */
char *
config_endpoint(const struct config_account *acct, const char *service)
{
	const char *host;
	int i;

	if ((i = config_service_find(service)) == -1)
		return NULL;
	if (acct->endpoints[i] != NULL)
		return xstrdup(acct->endpoints[i]);
	if ((unsigned)acct->cloud >= CONFIG_CLOUD_COUNT ||
	    acct->region == NULL ||
	    (host = config_services[i].host[acct->cloud]) == NULL)
		return NULL;
	return xasprintf("https://%s.%s.%s", host, acct->region,
	    config_domain(acct->cloud, i, acct->region));
}

/* 1 if region is one taskwatchd knows for cloud. */
int
config_region_known(enum config_cloud cloud, const char *region)
{
	return (unsigned)cloud < CONFIG_CLOUD_COUNT && region != NULL &&
	    config_index(config_clouds[cloud].regions, region) != -1;
}

/* 1 if the account's endpoint for service is the cloud's default. */
int
config_endpoint_is_default(
    const struct config_account *acct, const char *service)
{
	int i = config_service_find(service);

	return i != -1 && acct->endpoints[i] == NULL;
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
	for (i = 0; i < CONFIG_SERVICE_COUNT; i++) {
		ea = config_endpoint(a, config_services[i].name);
		eb = config_endpoint(b, config_services[i].name);
		eq = config_streq(ea, eb);
		free(ea);
		free(eb);
		if (!eq)
			return 0;
	}
	return 1;
}
