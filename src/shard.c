/*
 * Static sharding: a poll unit belongs to the shard its name hashes to,
 * with Prometheus' relabel hashmod so that the split is the one an
 * operator computes by hand.  No I/O, no state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"
#include "shard.h"
#include "util.h"
#include "xmalloc.h"

/*
 * Prometheus' hashmod (model/relabel/relabel.go, case HashMod):
 *
 *	hash := md5.Sum([]byte(val))
 *	// Use only the last 8 bytes of the hash to give the same result
 *	// as earlier versions of this code.
 *	mod := binary.BigEndian.Uint64(hash[8:]) % cfg.Modulus
 *
 * Older versions summed all 16 bytes shifted by (15 - i) * 8 into a
 * uint64, where Go drops the first 8: the same value.
 */
uint64_t
shard_hashmod(const char *name, uint64_t mod)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	uint64_t v = 0;
	int i;

	if (EVP_Digest(name, strlen(name), md, &len, EVP_md5(), NULL) != 1 ||
	    len != 16)
		fatalx("MD5 digest failed");
	for (i = 8; i < 16; i++)
		v = v << 8 | md[i];
	return mod > 0 ? v % mod : 0;
}

/* 1 if s owns the unit named unit (every unit when unsharded). */
int
shard_owns(const struct shard *s, const char *unit)
{
	if (s == NULL || s->count <= 1)
		return 1;
	return shard_hashmod(unit, s->count) == s->index;
}

/* The name of a poll unit: "WATCH" or "WATCH/CLUSTER_ID" (caller frees). */
char *
shard_unit(const char *watch, const char *cluster)
{
	if (cluster == NULL)
		return xstrdup(watch);
	return xasprintf("%s" SHARD_UNIT_SEP "%s", watch, cluster);
}

/* 1 if s owns the unit of watch (x cluster, or NULL). */
int
shard_owns_unit(const struct shard *s, const char *watch, const char *cluster)
{
	char *unit;
	int own;

	if (s == NULL || s->count <= 1)
		return 1;
	unit = shard_unit(watch, cluster);
	own = shard_owns(s, unit);
	free(unit);
	return own;
}

/* Read "INDEX/COUNT" into s; -1 with a static *cause. */
int
shard_parse(const char *text, struct shard *s, const char **cause)
{
	const char *slash = strchr(text, '/');
	long long index, count;
	const char *why;
	char *head;
	int ok;

	*cause = "use INDEX/COUNT, e.g. 2/3";
	if (slash == NULL || slash == text)
		return -1;
	head = xstrndup(text, (size_t)(slash - text));
	ok = util_strtonum(head, 0, SHARD_COUNT_MAX - 1, &index, &why) == 0 &&
	    util_strtonum(slash + 1, 1, SHARD_COUNT_MAX, &count, &why) == 0;
	free(head);
	if (!ok) {
		*cause = "INDEX and COUNT must be numbers, COUNT 1..1024";
		return -1;
	}
	if (index >= count) {
		*cause = "INDEX must be less than COUNT (0..COUNT-1)";
		return -1;
	}
	s->index = (unsigned)index;
	s->count = (unsigned)count;
	return 0;
}

/* 1 if a and b are the same shard. */
int
shard_eq(const struct shard *a, const struct shard *b)
{
	return a->count == b->count && a->index == b->index;
}
