/*
 * What the files of the configuration share and nothing else includes: the
 * state of one load, the YAML node walker (config_yaml.c) the sections are
 * parsed with, and the key tables of the sections.
 */
#ifndef CONFIG_IMPL_H
#define CONFIG_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* How a key's value is read, and the type of the field it is stored in. */
enum config_ktype {
	CONFIG_T_STRING,       /* char *: a non-empty string */
	CONFIG_T_PATH,         /* char *: an absolute path */
	CONFIG_T_DURATION,     /* uint64_t ms in [min, max] */
	CONFIG_T_DURATION_OFF, /* uint64_t ms: 0 (off) or in [min, max] */
	CONFIG_T_SIZE,         /* uint64_t bytes in [min, max] */
	CONFIG_T_UINT,         /* unsigned in [min, max] */
	CONFIG_T_BOOL,         /* int: true or false */
	CONFIG_T_ENUM,         /* int: the index of the value in names */
	CONFIG_T_INT,          /* int, read by the row's parse */
	CONFIG_T_LIST,   /* struct config_strlist, read by the row's parse */
	CONFIG_T_OTHER,  /* read by the row's parse (none: with another) */
	CONFIG_T_INLINE, /* an inline secret: known only to be refused */
};

#define CONFIG_K_REQUIRED 0x1 /* a missing key is an error */
/*
 * Of a watch or its account: the key names what is watched, and a reload
 * that changes it starts the watch afresh (config_watch_same_identity).
 */
#define CONFIG_K_IDENTITY 0x2
/* Of a watch: the key is how it is watched; a reload keeps its tasks. */
#define CONFIG_K_TUNING 0x4
/* Of a notifier: read with the kind, whose row gives its default and range. */
#define CONFIG_K_KIND 0x8
/* The row's parse is called when the key is absent too (kv NULL). */
#define CONFIG_K_ABSENT 0x10

#define CONFIG_NOFIELD ((size_t)-1)

struct config_item;
struct config_key;

/* Read a key of an item; kv is NULL when absent (CONFIG_K_ABSENT). */
typedef void (*config_key_cb)(struct config_item *, const struct config_key *,
    const struct config_pair *);

/* Print a key of an item for -nv (config_print_value prints by type). */
typedef void (*config_print_cb)(
    FILE *, const char *in, const struct config_key *, const void *obj);

/*
 * One key of a section, as tmux's options-table.c has an option: the
 * parser, the defaults, the reload rule and the docs check read the rows.
 */
struct config_key {
	const char *name;
	enum config_ktype type;
	int flags;                /* CONFIG_K_* */
	uint64_t min, max;        /* a number's range; max: an ID's length */
	uint64_t def;             /* default of a number, bool or enum */
	const char *def_str;      /* default of a string; NULL: none */
	const char *const *names; /* CONFIG_T_ENUM: the values */
	const char *noun;         /* CONFIG_T_ENUM: the value in messages */
	size_t off;               /* offsetof the field, or CONFIG_NOFIELD */
	unsigned kinds;           /* notifiers: NOTIFIER_KIND()s; 0: all */
	config_key_cb parse;      /* NULL: read by type */
	config_print_cb print;    /* NULL: printed by type */
};

/* A list section (accounts, watches, notifiers, rules). */
struct config_list {
	const char *key;  /* "accounts" */
	const char *noun; /* "account" */
	size_t size;      /* of one item */
	size_t items;     /* offsetof the array in struct config */
	size_t count;     /* offsetof its size_t count */
	size_t line,
	    col; /* offsetof the item's int line and col (or NOFIELD) */
	int default_name; /* an item without name is NOUN-N */
	const struct config_key *keys;
	/* The keys that are no row of keys but are allowed (NULL: none). */
	const char *const *hidden;
};

/* One item of a list section while it is read. */
struct config_item {
	struct config_parse *p;
	const struct config_list *list;
	struct config_map m;
	void *obj;    /* the struct being filled */
	size_t idx;   /* 1-based position in the file's list */
	size_t pos;   /* its index in the array */
	char *desc;   /* "watch \"x\"" or "watch #2" */
	char *where;  /* "in watch \"x\"" */
	int kind;     /* the item's api (watches), kind (notifiers); -1 */
	int cloud_ok; /* accounts: the cloud is known */
};

/* config.c: the key tables. */
void config_keys_default(const struct config_key *keys, int kind, void *obj);
void config_keys_free(const struct config_key *keys, void *obj);
int config_key_read(struct config_parse *p, const struct config_key *k,
    const struct config_pair *kv, void *obj);
void config_keys_walk(struct config_item *it, const struct config_key *keys);
const char **config_key_names(const struct config_key *keys, int inline_keys);
void config_map_check_keys(struct config_parse *p, const struct config_map *m,
    const struct config_key *keys, const char *where);
int config_key_field_eq(
    const struct config_key *k, const void *a, const void *b);
const struct config_key *config_key_find(
    const struct config_key *keys, const char *name);
void config_item_name(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv);
const char **config_names_of(const void *rows, size_t n, size_t stride);
size_t config_list_count(
    const struct config *conf, const struct config_list *l);
void *config_list_item(
    const struct config *conf, const struct config_list *l, size_t i);
const char **config_list_names(
    const struct config *conf, const struct config_list *l);
extern const struct config_list config_accounts, config_watches,
    config_notifiers, config_rules;
extern const struct config_key config_daemon_keys[];
extern const struct config_key config_account_keys[];
extern const struct config_key config_watch_keys[];
extern const struct config_key config_notifier_keys[];
extern const struct config_key config_rule_keys[];

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
int config_strlist_eq(
    const struct config_strlist *a, const struct config_strlist *b);
void config_strlist_add(struct config_strlist *l, const char *s);
#define CONFIG_LIST_SCALAR 0x1 /* config_strlist: one string is a list */
#define CONFIG_LIST_ARGV 0x2   /* config_strlist: an argv, may repeat */
int config_strlist(struct config_parse *p, const struct config_pair *kv,
    int flags, struct config_strlist *out, yaml_node_t ***nodes);
int config_seq(struct config_parse *p, const struct config_pair *kv,
    yaml_node_item_t **first, size_t *n);
void config_secret_free(struct config_secret *s);
int config_secret_set(const struct config_secret *s);
void config_secret(struct config_parse *p, const struct config_map *m,
    const char *at, const char *base, int required, const char *needer,
    struct config_secret *out);

/* config_daemon.c */
extern const struct config_key config_ha_keys[];
void config_parse_daemon(struct config_parse *p, const struct config_pair *dkv);
void config_ha_free(struct config_ha *ha);
/* config_account.c */
void config_account_free(struct config_account *a);
int config_account_eq(
    const struct config_account *a, const struct config_account *b);
/* config_watch.c */
extern const char *const config_on_start_names[];
extern const char *const config_format_names[];
extern const char *const config_starttls_names[];
extern const char *const config_hook_per_names[];
extern const char *const config_cooldown_per_names[];
/* config_notifier.c */
extern const struct config_key config_retry_keys[];
void config_notifier_free(struct config_notifier *nf);
/* config_rule.c */
extern const struct config_key config_match_keys[];
void config_rule_free(struct config_rule *r);
void config_rule_match(struct config_item *it, const struct config_key *rk,
    const struct config_pair *mkv);
void config_rule_print_match(
    FILE *fp, const char *in, const struct config_key *rk, const void *obj);
/* config_maintenance.c */
extern const struct config_list config_maintenance_windows;
extern const struct config_key config_maintenance_keys[];
void config_maintenance_free(struct config_maintenance *mw);
/* config_print.c */
void config_print_kv(
    FILE *fp, const char *indent, const char *key, const char *v);
void config_print_list(FILE *fp, const char *indent, const char *key,
    const struct config_strlist *l);
void config_print_secret(FILE *fp, const char *indent, const char *base,
    const struct config_secret *s);
void config_print_value(
    FILE *fp, const char *in, const struct config_key *k, const void *obj);
void config_print_rows(
    FILE *fp, const struct config_key *keys, const void *obj);
/* config.c */
void config_parse_root(struct config_parse *p, yaml_node_t *root);
void config_dangling(struct config_parse *p, const yaml_node_t *n,
    const char *s, const struct config_list *l);
int config_streq(const char *a, const char *b);

#endif
