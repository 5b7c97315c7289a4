/*
 * The provider registry: one const vtable per API, found by its enum, and
 * what callers ask of any provider (scope names, base types).  Helpers the
 * implementations share are in providers/common.c.
 */

#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "provider_impl.h"
#include "xmalloc.h"

static const struct provider *const provider_table[CONFIG_API_COUNT] = {
	[CONFIG_API_DWS_ACTIONS] = &provider_dws_actions,
	[CONFIG_API_DWS_LOGICAL] = &provider_dws_logical,
	[CONFIG_API_DDS_JOBS] = &provider_dds_jobs,
	[CONFIG_API_GAUSSDB_TASKS] = &provider_gaussdb_tasks,
	[CONFIG_API_EHPC_TASKS] = &provider_ehpc_tasks,
	[CONFIG_API_EHPC_OPERATIONS] = &provider_ehpc_operations,
};

/* The provider for an API; never NULL for a valid enum value. */
const struct provider *
provider_find(enum config_api api)
{
	if ((unsigned)api >= CONFIG_API_COUNT)
		return NULL;
	return provider_table[api];
}

/* The name of scope i of a watch's listing (see provider.h). */
int
provider_scope_key(const struct provider *p, const struct config_watch *w,
    size_t i, char **key)
{
	*key = NULL;
	if (p->scope_key == NULL)
		return i == 0 ? 0 : -1;
	return p->scope_key(w, i, key);
}

/*
 * Every scope name of a watch, in listing order ("" for a project-wide
 * one); *n of them.  Free with provider_scope_keys_free.
 */
char **
provider_scope_keys(
    const struct provider *p, const struct config_watch *w, size_t *n)
{
	char **keys = NULL, *key;
	size_t i;

	for (i = 0; provider_scope_key(p, w, i, &key) == 0; i++) {
		keys = xreallocarray(keys, i + 1, sizeof(*keys));
		keys[i] = key != NULL ? key : xstrdup("");
	}
	*n = i;
	return keys;
}

/* Free what provider_scope_keys returned. */
void
provider_scope_keys_free(char **keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* The base type of a task type for p: the provider's, else type itself. */
const char *
provider_base_type(const struct provider *p, const char *type)
{
	const char *base;

	if (type == NULL || p->base_type == NULL ||
	    (base = p->base_type(type)) == NULL)
		return type;
	return base;
}
