/*
 * The table of task APIs (see api.h).  Data only: the configuration reads
 * it to check and print a watch, the docs check reads it to compare the
 * manual's API table with the code.
 */
#include <stddef.h>
#include <string.h>

#include "api.h"

const struct api api_table[CONFIG_API_COUNT] = {
	[CONFIG_API_DWS_ACTIONS] = { "dws.actions",
	    API_CLOUD(CONFIG_CLOUD_HUAWEI) | API_CLOUD(CONFIG_CLOUD_OTC), "dws",
	    API_SCOPE_CLUSTERS, API_WINDOW_CURRENT, 1, 0, API_TZ_WATCH, "404" },
	[CONFIG_API_DWS_LOGICAL] = { "dws.logical_tasks",
	    API_CLOUD(CONFIG_CLOUD_HUAWEI) | API_CLOUD(CONFIG_CLOUD_OTC), "dws",
	    API_SCOPE_CLUSTERS, API_WINDOW_CURRENT, 0, 0, API_TZ_WATCH },
	[CONFIG_API_DDS_JOBS] = { "dds.jobs",
	    API_CLOUD(CONFIG_CLOUD_HUAWEI) | API_CLOUD(CONFIG_CLOUD_OTC), "dds",
	    API_SCOPE_PROJECT, API_WINDOW_LOOKBACK, 0, 1, API_TZ_ZONED },
	[CONFIG_API_GAUSSDB_TASKS] = { "gaussdb.tasks",
	    API_CLOUD(CONFIG_CLOUD_HUAWEI) | API_CLOUD(CONFIG_CLOUD_OTC),
	    "gaussdb", API_SCOPE_PROJECT, API_WINDOW_LOOKBACK, 0, 1,
	    API_TZ_ZONED },
	[CONFIG_API_EHPC_TASKS] = { "ehpc.tasks",
	    API_CLOUD(CONFIG_CLOUD_ALIBABA), "ehpc", API_SCOPE_CLUSTERS,
	    API_WINDOW_CURRENT, 0, 1, API_TZ_ZONED },
	[CONFIG_API_EHPC_OPERATIONS] = { "ehpc.operations",
	    API_CLOUD(CONFIG_CLOUD_ALIBABA), "ehpc", API_SCOPE_CLUSTERS,
	    API_WINDOW_LOOKBACK, 0, 1, API_TZ_WATCH },
};

/* The row of an API; NULL if api is out of range. */
const struct api *
api_get(enum config_api api)
{
	if ((int)api < 0 || api >= CONFIG_API_COUNT)
		return NULL;
	return &api_table[api];
}

/* The API named name, or -1. */
int
api_from_name(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < CONFIG_API_COUNT; i++) {
		if (strcmp(api_table[i].name, name) == 0)
			return i;
	}
	return -1;
}
