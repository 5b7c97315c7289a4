/*
 * Clusters of the cluster-scoped services (DWS, E-HPC): declared by the
 * scenario, the bulk generator or the control API, or created when a task
 * names one.  A request for a cluster that does not exist gets the
 * vendor's error, as the real services answer.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xmalloc.h"

#include "sim.h"

/* The cluster of kind ("dws", "ehpc") with id, or NULL. */
struct sim_cluster *
sim_cluster_find(struct sim *sim, const char *kind, const char *id)
{
	struct sim_cluster *c;

	TAILQ_FOREACH (c, &sim->clusters, entry) {
		if (strcmp(c->kind, kind) == 0 && strcmp(c->id, id) == 0)
			return c;
	}
	return NULL;
}

/*
 * The cluster of kind with id, added if new; a name or region given for an
 * existing cluster replaces the old one.  kind must be a static string.
 */
struct sim_cluster *
sim_cluster_add(struct sim *sim, const char *kind, const char *id,
    const char *name, const char *region)
{
	struct sim_cluster *c;

	if ((c = sim_cluster_find(sim, kind, id)) == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->kind = kind;
		c->id = xstrdup(id);
		c->name = xstrdup(name != NULL ? name : id);
		c->region = xstrdup(region);
		TAILQ_INSERT_TAIL(&sim->clusters, c, entry);
		return c;
	}
	if (name != NULL) {
		free(c->name);
		c->name = xstrdup(name);
	}
	if (region != NULL) {
		free(c->region);
		c->region = xstrdup(region);
	}
	return c;
}

/* Write a cluster as the control API shows it. */
void
sim_cluster_json(struct json_writer *w, const struct sim_cluster *c)
{
	json_w_obj_open(w);
	json_w_kstr(w, "kind", c->kind);
	json_w_kstr(w, "id", c->id);
	json_w_kstr(w, "name", c->name);
	json_w_kstr(w, "region", c->region);
	json_w_obj_close(w);
}

/* Free every cluster. */
void
sim_clusters_free(struct sim *sim)
{
	struct sim_cluster *c;

	while ((c = TAILQ_FIRST(&sim->clusters)) != NULL) {
		TAILQ_REMOVE(&sim->clusters, c, entry);
		free(c->id);
		free(c->name);
		free(c->region);
		free(c);
	}
}
