/*
 * Static sharding: which poll units (a watch, or a watch x one cluster)
 * an instance of a set of shards polls.  Pure: a unit's owner follows
 * from its name and the shard count alone, as Prometheus' relabel hashmod
 * computes it, so an operator can predict it.
 */
#ifndef SHARD_H
#define SHARD_H

#include <stddef.h>
#include <stdint.h>

#define SHARD_COUNT_MAX 1024
#define SHARD_UNIT_SEP "/" /* WATCH/CLUSTER_ID */

/* This instance's shard; count 0: unsharded (it owns every unit). */
struct shard {
	unsigned index; /* 0..count-1 */
	unsigned count; /* 1..SHARD_COUNT_MAX, or 0 */
};

/*
 * Prometheus' hashmod of name: the last 8 bytes of its MD5 digest as a
 * big-endian integer, modulo mod (mod > 0).
 */
uint64_t shard_hashmod(const char *name, uint64_t mod);
/* 1 if s owns the unit named unit (every unit when unsharded). */
int shard_owns(const struct shard *s, const char *unit);
/*
 * The name of a poll unit: "WATCH" for a project-wide watch (cluster
 * NULL), "WATCH/CLUSTER_ID" for a watch x one cluster (caller frees).
 */
char *shard_unit(const char *watch, const char *cluster);
/* 1 if s owns the unit of watch (x cluster, or NULL). */
int shard_owns_unit(
    const struct shard *s, const char *watch, const char *cluster);
/*
 * Read "INDEX/COUNT" (the -S flag) into s: 0, or -1 with *cause (static)
 * when it is not two decimal numbers with index < count <= 1024.
 */
int shard_parse(const char *text, struct shard *s, const char **cause);
/* 1 if a and b are the same shard (both unsharded, or the same pair). */
int shard_eq(const struct shard *a, const struct shard *b);

#endif
