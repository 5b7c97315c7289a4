/*
 * What the files of the configuration share and nothing else includes: the
 * state of one load, the YAML node walker (config_yaml.c) the sections are
 * parsed with, and the key tables of the sections.
 */
#ifndef CONFIG_IMPL_H
#define CONFIG_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "buf.h"
#include "config.h"

#define CONFIG_NAME_MAX 64
#define CONFIG_ID_MAX 128
#define CONFIG_NQ 4
#define CONFIG_QLEN 100

#define CONFIG_SEC 1000ULL
#define CONFIG_MIN (60 * CONFIG_SEC)
#define CONFIG_HOUR (60 * CONFIG_MIN)
#define CONFIG_DAY (24 * CONFIG_HOUR)

/* One collected error; sorted by position before they are joined. */
struct config_err {
	size_t line;
	size_t col;
	size_t seq;
	char *msg;
};

/* State of one config_load. */
struct config_parse {
	const char *path;
	yaml_document_t *doc;
	struct config *conf;
	struct config_err *errs;
	size_t nerrs;
	char q[CONFIG_NQ][CONFIG_QLEN]; /* config_q ring */
	unsigned qi;
};

/* A key of a mapping with its nodes. */
struct config_pair {
	const char *key;
	yaml_node_t *knode;
	yaml_node_t *vnode;
};

/* The pairs of one mapping, duplicates removed. */
struct config_map {
	yaml_node_t *node;
	struct config_pair *v;
	size_t n;
};

/* A syslog facility by name. */
struct config_facility {
	const char *name;
	int facility;
};
extern const struct config_facility config_facilities[];

/* config_yaml.c: the node walker; errors are collected, never fatal. */
int config_index(const char *const *list, const char *s);
void config_join(struct buf *b, const char *const *list);
void config_error(struct config_parse *p, const yaml_node_t *n, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
const char *config_q(struct config_parse *p, const char *s);
const char *config_suggest_prefix(const char *word, const char *const *list);
void config_hint(
    struct buf *b, const char *word, const char *const *list, const char *noun);
int config_index_nocase(const char *const *list, const char *s);
const char **config_copy_list(const char *const *list);
int config_is_null(const yaml_node_t *n);
const char *config_kind(const yaml_node_t *n);
const char *config_scalar_value(const yaml_node_t *n);
int config_map_open(struct config_parse *p, yaml_node_t *node, const char *what,
    int null_ok, struct config_map *m);
void config_map_close(struct config_map *m);
const struct config_pair *config_map_find(
    const struct config_map *m, const char *key);
void config_map_check(struct config_parse *p, const struct config_map *m,
    const char *const *known, const char *const *hidden, const char *where);
void config_map_only(struct config_parse *p, const struct config_map *m,
    const char *const *allowed, const char *const *all, const char *by);
void config_missing(struct config_parse *p, const struct config_map *m,
    const char *key, const char *where);
const char *config_scalar(
    struct config_parse *p, const struct config_pair *kv, const char *noun);
const char *config_string(struct config_parse *p, const struct config_pair *kv);
int config_chars_ok(const char *s, const char *extra);
char *config_name(
    struct config_parse *p, const struct config_pair *kv, const char *kind);
char *config_item_desc(struct config_parse *p, const struct config_map *m,
    const char *kind, size_t idx);
int config_enum(struct config_parse *p, const struct config_pair *kv,
    const char *const *names, const char *noun);
int config_duration(struct config_parse *p, const struct config_pair *kv,
    uint64_t min, uint64_t max, int zero_ok, uint64_t *out);
int config_size(struct config_parse *p, const struct config_pair *kv,
    uint64_t min, uint64_t max, uint64_t *out);
int config_uint(struct config_parse *p, const struct config_pair *kv,
    unsigned min, unsigned max, unsigned *out);
int config_bool(struct config_parse *p, const struct config_pair *kv, int *out);
char *config_abspath(struct config_parse *p, const struct config_pair *kv);
char *config_url(struct config_parse *p, const yaml_node_t *n, const char *key,
    const char *s, int strip);
void config_strlist_free(struct config_strlist *l);
void config_strlist_add(struct config_strlist *l, const char *s);
int config_strlist(struct config_parse *p, const struct config_pair *kv,
    int scalar_ok, struct config_strlist *out, yaml_node_t ***nodes);
int config_seq(struct config_parse *p, const struct config_pair *kv,
    yaml_node_item_t **first, size_t *n);
void config_secret_free(struct config_secret *s);
int config_secret_set(const struct config_secret *s);
void config_secret(struct config_parse *p, const struct config_map *m,
    const char *at, const char *base, int required, const char *needer,
    struct config_secret *out);

/* The sections. */
void config_parse_daemon(struct config_parse *p, const struct config_pair *dkv);
extern const char *const config_auth_names[];
const char *const *config_cloud_services(enum config_cloud cloud);
void config_parse_account(struct config_parse *p, yaml_node_t *node,
    struct config_account *a, size_t idx);
void config_account_free(struct config_account *a);
int config_account_eq(
    const struct config_account *a, const struct config_account *b);
extern const char *const config_api_names[];
extern const char *const config_on_start_names[];
void config_parse_watch(struct config_parse *p, yaml_node_t *node,
    struct config_watch *w, size_t idx);
extern const char *const config_notifier_names[];
void config_parse_notifier(struct config_parse *p, yaml_node_t *node,
    struct config_notifier *nf, size_t idx);
void config_notifier_free(struct config_notifier *nf);
extern const char *const config_match_keys[];
void config_parse_rule(struct config_parse *p, yaml_node_t *node,
    struct config_rule *r, size_t idx);
void config_rule_free(struct config_rule *r);
void config_parse_root(struct config_parse *p, yaml_node_t *root);
void config_dangling(
    struct config_parse *p, const yaml_node_t *n, const char *s, int notifiers);
int config_streq(const char *a, const char *b);

#endif
