/*
 * The normalised printer behind -nv: every default filled in, secrets
 * named by source only; reload compares notifiers and rules by its text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "api.h"
#include "config_impl.h"
#include "notifier_kind.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* Return 1 if s can be printed as a plain YAML scalar and read back. */
static int
config_plain_ok(const char *s)
{
	static const char *const reserved[] = { "~", "null", "Null", "NULL",
		"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
		"YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"y", "Y", "n", "N", NULL };
	size_t len = strlen(s);
	const char *c;

	if (len == 0 || config_index(reserved, s) != -1)
		return 0;
	if (strchr("?:,[]{}#&*!|>'\"%@` \t", s[0]) != NULL)
		return 0;
	if (s[0] == '-' && (s[1] == '\0' || s[1] == ' '))
		return 0;
	/* "+08:00", "-1": numbers (sexagesimal too) to other YAML readers */
	if (s[0] == '+' || (s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
		return 0;
	if (s[len - 1] == ' ' || s[len - 1] == ':')
		return 0;
	for (c = s; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f ||
		    strchr(",[]{}", *c) != NULL)
			return 0;
		if ((c[0] == ':' && c[1] == ' ') ||
		    (c[0] == ' ' && c[1] == '#'))
			return 0;
	}
	return 1;
}

/* Print a string as a YAML scalar, double-quoted when needed. */
static void
config_print_scalar(FILE *fp, const char *s)
{
	unsigned char c;

	if (config_plain_ok(s)) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/* Print "indent key: value" with the value quoted as needed. */
void
config_print_kv(FILE *fp, const char *indent, const char *key, const char *v)
{
	fprintf(fp, "%s%s: ", indent, key);
	config_print_scalar(fp, v);
	fputc('\n', fp);
}

/* Print "indent key: duration". */
static void
config_print_dur(FILE *fp, const char *indent, const char *key, uint64_t ms)
{
	char s[32];

	util_format_duration(ms, s, sizeof(s));
	fprintf(fp, "%s%s: %s\n", indent, key, s);
}

/* Print "indent key: [a, b]". */
void
config_print_list(FILE *fp, const char *indent, const char *key,
    const struct config_strlist *l)
{
	size_t i;

	fprintf(fp, "%s%s: [", indent, key);
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			fputs(", ", fp);
		config_print_scalar(fp, l->v[i]);
	}
	fputs("]\n", fp);
}

/* Print the source keys of a secret, if set. */
void
config_print_secret(FILE *fp, const char *indent, const char *base,
    const struct config_secret *s)
{
	char key[64];

	if (s->file != NULL) {
		snprintf(key, sizeof(key), "%s_file", base);
		config_print_kv(fp, indent, key, s->file);
	} else if (s->env != NULL) {
		snprintf(key, sizeof(key), "%s_env", base);
		config_print_kv(fp, indent, key, s->env);
	} else if (s->credential != NULL) {
		snprintf(key, sizeof(key), "%s_credential", base);
		config_print_kv(fp, indent, key, s->credential);
	}
}

/*
 * Print a key/value mapping block, if not empty.  With redact (headers), a
 * value from a secret source or under a credential-like name is printed as
 * <redacted>.
 */
static void
config_print_kvs(FILE *fp, const char *indent, const char *key,
    const struct config_kv *kvs, size_t n, int redact)
{
	size_t i;

	if (n == 0)
		return;
	fprintf(fp, "%s%s:\n", indent, key);
	for (i = 0; i < n; i++) {
		fprintf(fp, "%s  ", indent);
		config_print_scalar(fp, kvs[i].key);
		fputs(": ", fp);
		if (kvs[i].value == NULL ||
		    (redact &&
			util_header_sensitive(kvs[i].key, strlen(kvs[i].key))))
			fputs("<redacted>", fp);
		else
			config_print_scalar(fp, kvs[i].value);
		fputc('\n', fp);
	}
}

/* Print one account. */
static void
config_print_account(FILE *fp, const void *a)
{
	config_print_rows(fp, config_account_keys, a);
}

/* Print a key's value by its row's type. */
void
config_print_value(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	const void *f = (const char *)obj + k->off;
	char s[32];

	switch (k->type) {
	case CONFIG_T_STRING:
	case CONFIG_T_PATH:
		if (*(char *const *)f != NULL)
			config_print_kv(fp, in, k->name, *(char *const *)f);
		break;
	case CONFIG_T_DURATION:
	case CONFIG_T_DURATION_OFF:
		config_print_dur(fp, in, k->name, *(const uint64_t *)f);
		break;
	case CONFIG_T_SIZE:
		util_format_size(*(const uint64_t *)f, s, sizeof(s));
		fprintf(fp, "%s%s: %s\n", in, k->name, s);
		break;
	case CONFIG_T_UINT:
		fprintf(fp, "%s%s: %u\n", in, k->name, *(const unsigned *)f);
		break;
	case CONFIG_T_BOOL:
		fprintf(fp, "%s%s: %s\n", in, k->name,
		    *(const int *)f ? "true" : "false");
		break;
	case CONFIG_T_ENUM:
		fprintf(
		    fp, "%s%s: %s\n", in, k->name, k->names[*(const int *)f]);
		break;
	case CONFIG_T_LIST:
		config_print_list(fp, in, k->name, f);
		break;
	default:
		break;
	}
}

/* Print an item of a list section row by row, the first as "  - ". */
void
config_print_rows(FILE *fp, const struct config_key *keys, const void *obj)
{
	const struct config_key *k;

	for (k = keys; k->name != NULL; k++) {
		if (k->print != NULL)
			k->print(fp, "    ", k, obj);
		else
			config_print_value(
			    fp, k == keys ? "  - " : "    ", k, obj);
	}
}

/* Print a notifier's retry block. */
static void
config_print_retry(FILE *fp, const struct config_retry *r)
{
	const struct config_key *k;

	fputs("    retry:\n", fp);
	for (k = config_retry_keys; k->name != NULL; k++)
		config_print_value(fp, "      ", k, r);
}

/* Print the keys of an exec notifier. */
static void
config_print_exec(FILE *fp, const char *in, const struct config_notifier *nf)
{
	config_print_list(fp, in, "command", &nf->command);
	config_print_dur(fp, in, "timeout", nf->timeout_ms);
	fprintf(fp, "%smax_concurrent: %u\n", in, nf->max_concurrent);
	config_print_dur(fp, in, "cooldown", nf->cooldown_ms);
	fprintf(fp, "%scooldown_per: %s\n", in,
	    config_cooldown_per_names[nf->cooldown_per]);
	fprintf(fp, "%smax_runs: %u\n", in, nf->max_runs);
	config_print_dur(fp, in, "per_window", nf->per_window_ms);
	fprintf(fp, "%sper: %s\n", in, config_hook_per_names[nf->per]);
	fprintf(fp, "%sbreak_after: %u\n", in, nf->break_after);
	config_print_dur(fp, in, "break_for", nf->break_for_ms);
	if (nf->user != NULL)
		config_print_kv(fp, in, "user", nf->user);
	fprintf(
	    fp, "%sallow_root: %s\n", in, nf->allow_root ? "true" : "false");
	fprintf(fp, "%sdry_run: %s\n", in, nf->dry_run ? "true" : "false");
}

/* Print one notifier. */
static void
config_print_notifier(FILE *fp, const void *obj)
{
	const struct config_notifier *nf = obj;
	const char *in = "    ";
	size_t i;

	config_print_kv(fp, "  - ", "name", nf->name);
	fprintf(fp, "%stype: %s\n", in, notifier_kind_name(nf->type));
	if (notifier_kind_get(nf->type)->silenceable)
		fprintf(fp, "%ssend_silenced: %s\n", in,
		    nf->send_silenced ? "true" : "false");
	switch (nf->type) {
	case CONFIG_NOTIFIER_WEBHOOK:
		config_print_kv(fp, in, "url", nf->url);
		fprintf(
		    fp, "%sformat: %s\n", in, config_format_names[nf->format]);
		if (nf->template != NULL)
			config_print_kv(fp, in, "template", nf->template);
		if (nf->link != NULL)
			config_print_kv(fp, in, "link", nf->link);
		config_print_kvs(
		    fp, in, "headers", nf->headers, nf->nheaders, 1);
		config_print_secret(fp, in, "secret", &nf->secret);
		config_print_dur(fp, in, "timeout", nf->timeout_ms);
		config_print_retry(fp, &nf->retry);
		break;
	case CONFIG_NOTIFIER_ALERTMANAGER:
		config_print_list(fp, in, "urls", &nf->urls);
		config_print_dur(fp, in, "resolve_after", nf->resolve_after_ms);
		config_print_dur(fp, in, "repeat", nf->repeat_ms);
		config_print_kvs(fp, in, "labels", nf->labels, nf->nlabels, 0);
		config_print_dur(fp, in, "timeout", nf->timeout_ms);
		config_print_retry(fp, &nf->retry);
		break;
	case CONFIG_NOTIFIER_SYSLOG:
		for (i = 0; config_facilities[i].name != NULL; i++) {
			if (config_facilities[i].facility == nf->facility)
				fprintf(fp, "%sfacility: %s\n", in,
				    config_facilities[i].name);
		}
		break;
	case CONFIG_NOTIFIER_PAGERDUTY:
		config_print_kv(fp, in, "url", nf->url);
		config_print_secret(fp, in, "routing_key", &nf->routing_key);
		if (nf->link != NULL)
			config_print_kv(fp, in, "link", nf->link);
		config_print_dur(fp, in, "timeout", nf->timeout_ms);
		config_print_retry(fp, &nf->retry);
		break;
	case CONFIG_NOTIFIER_EMAIL:
		config_print_kv(fp, in, "url", nf->url);
		fprintf(fp, "%sstarttls: %s\n", in,
		    config_starttls_names[nf->starttls]);
		if (nf->tls_ca_file != NULL)
			config_print_kv(fp, in, "tls_ca_file", nf->tls_ca_file);
		config_print_kv(fp, in, "from", nf->from);
		config_print_list(fp, in, "to", &nf->to);
		if (nf->user != NULL)
			config_print_kv(fp, in, "user", nf->user);
		config_print_secret(fp, in, "password", &nf->password);
		config_print_dur(fp, in, "group_window", nf->group_window_ms);
		config_print_dur(fp, in, "timeout", nf->timeout_ms);
		config_print_retry(fp, &nf->retry);
		break;
	case CONFIG_NOTIFIER_EXEC:
		config_print_exec(fp, in, nf);
		break;
	}
}

/* Print one watch. */
static void
config_print_watch(FILE *fp, const void *w)
{
	config_print_rows(fp, config_watch_keys, w);
}

/* Print one rule. */
static void
config_print_rule(FILE *fp, const void *r)
{
	config_print_rows(fp, config_rule_keys, r);
}

/* Print one maintenance window. */
static void
config_print_maintenance(FILE *fp, const void *mw)
{
	config_print_rows(fp, config_maintenance_keys, mw);
}

/* Print a list section: its key, then its items by print. */
static void
config_print_section(FILE *fp, const struct config *conf,
    const struct config_list *l, void (*print)(FILE *, const void *))
{
	size_t i, n = config_list_count(conf, l);

	fprintf(fp, "%s:%s\n", l->key, n == 0 ? " []" : "");
	for (i = 0; i < n; i++)
		print(fp, config_list_item(conf, l, i));
}

/* Print daemon.ha, if given: the password by its source only. */
static void
config_print_ha(FILE *fp, const struct config_ha *ha)
{
	const struct config_strlist etcd = { ha->etcd, ha->netcd };
	const struct config_key *k;

	if (ha->netcd == 0)
		return;
	fputs("  ha:\n", fp);
	config_print_list(fp, "    ", "etcd", &etcd);
	for (k = config_ha_keys; k->name != NULL; k++) {
		if (k->off != CONFIG_NOFIELD)
			config_print_value(fp, "    ", k, ha);
	}
	config_print_secret(fp, "    ", "password", &ha->password);
}

/* Print the normalised config (every default filled in) as YAML. */
void
config_print(const struct config *conf, FILE *fp)
{
	const struct config_daemon *d = &conf->daemon;
	char s[32];

	fputs("daemon:\n", fp);
	config_print_kv(fp, "  ", "state_dir", d->state_dir);
	config_print_kv(fp, "  ", "listen", d->listen);
	config_print_kv(fp, "  ", "control_socket", d->control_socket);
	config_print_dur(fp, "  ", "shutdown_timeout", d->shutdown_timeout_ms);
	fprintf(fp, "  max_concurrent_polls: %u\n", d->max_concurrent_polls);
	util_format_size(d->max_response_bytes, s, sizeof(s));
	fprintf(fp, "  max_response_bytes: %s\n", s);
	util_format_size(d->audit_max_size, s, sizeof(s));
	fprintf(fp, "  audit_max_size: %s\n", s);
	if (d->shard.count > 0)
		fprintf(fp, "  shard:\n    index: %u\n    count: %u\n",
		    d->shard.index, d->shard.count);
	config_print_ha(fp, &d->ha);

	config_print_section(fp, conf, &config_accounts, config_print_account);
	config_print_section(fp, conf, &config_watches, config_print_watch);
	config_print_section(
	    fp, conf, &config_notifiers, config_print_notifier);
	config_print_section(fp, conf, &config_rules, config_print_rule);
	if (conf->nmaintenance > 0)
		config_print_section(fp, conf, &config_maintenance_windows,
		    config_print_maintenance);
}

/* What print writes of obj, as a string (caller frees). */
static char *
config_print_text(void (*print)(FILE *, const void *), const void *obj)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	print(fp, obj);
	fclose(fp);
	return text;
}

/* A notifier as -nv prints it, to tell whether a reload changed it. */
char *
config_notifier_text(const struct config_notifier *nf)
{
	return config_print_text(config_print_notifier, nf);
}

/* A rule as -nv prints it, to tell whether a reload changed it. */
char *
config_rule_text(const struct config_rule *r)
{
	return config_print_text(config_print_rule, r);
}
