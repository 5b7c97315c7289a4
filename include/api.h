/*
 * The task APIs taskwatchd polls, as data: one row per API with what the
 * configuration, the watches and the docs check need to know of it.  A
 * new API is one row here plus its provider.
 */
#ifndef API_H
#define API_H

#include "config.h"

/* What a listing walks: the watch's cluster IDs, or the whole project. */
enum api_scope {
	API_SCOPE_CLUSTERS, /* clusters: required */
	API_SCOPE_PROJECT,  /* clusters: not used */
};

/* Which tasks a listing shows. */
enum api_window {
	API_WINDOW_CURRENT,  /* those the API still holds; lookback: not used */
	API_WINDOW_LOOKBACK, /* those started since now - lookback */
};

/* How the API writes times. */
enum api_tz {
	API_TZ_ZONED, /* with a zone or as epoch: timezone has no effect */
	API_TZ_WATCH, /* zone-less: read in the watch's timezone */
};

/* A bit per enum config_cloud, for struct api's clouds. */
#define API_CLOUD(c) (1U << (c))

/* One task API. */
struct api {
	const char *name;       /* "dds.jobs": the watch's api value */
	unsigned clouds;        /* API_CLOUD() of the clouds that have it */
	const char *service;    /* the endpoints key its requests go to */
	enum api_scope scope;   /* what clusters means for it */
	enum api_window window; /* whether lookback applies */
	int actions;            /* takes the DWS actions key */
	int lookup;             /* has a single-task lookup */
	enum api_tz tz;         /* what timezone means for it */
	/*
	 * The error answer that means "nothing here" by default (a watch's
	 * absent_status), as text; NULL: the API has no such answer.
	 */
	const char *absent;
};

/* Indexed by enum config_api. */
extern const struct api api_table[CONFIG_API_COUNT];

/* The row of an API; NULL if api is out of range. */
const struct api *api_get(enum config_api api);
/* The API named name, or -1. */
int api_from_name(const char *name);

#endif
