/*
 * Cluster discovery for watches with clusters: all: per API, the request
 * that lists the account's clusters and the parser of its answers into
 * (id, name) pairs.  Like a provider it does no I/O: the watch sends the
 * requests and hands the answers here, so it is unit-testable on bodies.
 */
#ifndef DISCOVER_H
#define DISCOVER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "provider.h"
#include "sign.h"

/* One cluster of a list-clusters answer. */
struct discover_cluster {
	char *id;
	char *name; /* "" when the answer gave none */
};

/* The clusters of a discovery, in the order the answers gave them. */
struct discover_list {
	struct discover_cluster *v;
	size_t n;
	size_t skipped; /* entries without a usable id */
	/*
	 * Clusters of another generation, which the watch's API cannot
	 * watch (E-HPC 2.0 ones for ehpc.tasks): how many, the first one's
	 * id, and what to say about them.
	 */
	size_t other;
	char *other_first;
	const char *other_hint;
};

/* Where a discovery is: the page asked next.  Zeroed at the start. */
struct discover_cursor {
	uint64_t page; /* 0-based */
	uint64_t seen; /* entries read so far */
	int done;      /* the last page was read */
};

/* The list-clusters call of an API (a row of discover.c's table). */
struct discover_api;

/* The call that lists the clusters of api's watches; NULL if it has none. */
const struct discover_api *discover_find(enum config_api api);
/* The call's name for messages: "DWS ListClusters". */
const char *discover_name(const struct discover_api *da);
/*
 * Describe the request for the cursor's page in req (new: GET "/"); the
 * caller puts it under the account's endpoint for the watch's service.
 * -1 with *cause.
 */
int discover_req(const struct discover_api *da, const struct provider_ctx *ctx,
    const struct discover_cursor *cursor, struct sign_req *req, char **cause);
/*
 * Parse one answer (status 2xx): append its clusters to out (entries that
 * are no object or have no valid id are counted in out->skipped) and move
 * the cursor on, setting done after the last page.  -1 with *cause
 * (caller frees) when the answer is unusable.
 */
int discover_parse(const struct discover_api *da, long status, const char *body,
    size_t len, struct discover_list *out, struct discover_cursor *cursor,
    char **cause);
/* 1 if a cluster name matches one of globs (fnmatch), or globs is empty. */
int discover_name_matches(const struct config_strlist *globs, const char *name);
/* 1 if id can be a cluster id (as the config accepts literal ones). */
int discover_id_ok(const char *id);
/* The cluster with id in l, or NULL. */
struct discover_cluster *discover_list_find(
    const struct discover_list *l, const char *id);
/* Append a copy of (id, name) to l (name NULL: ""). */
void discover_list_add(
    struct discover_list *l, const char *id, const char *name);
/* Free the clusters of l and zero it. */
void discover_list_clear(struct discover_list *l);

#endif
