/*
 * For provider implementations only (src/provider.c, src/providers/):
 * the vtables the registry lists, and small helpers every provider needs to
 * turn hostile JSON fields into task record values.
 */
#ifndef PROVIDER_IMPL_H
#define PROVIDER_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "provider.h"

extern const struct provider provider_dds_jobs;

/*
 * A progress value: "60%", "60", "60.5%" or a JSON number, clamped to
 * 0..100; TASK_PROGRESS_NONE for null, "", absent or garbage.
 */
int provider_progress(const struct json *v);
/* A timestamp string via util_parse_time; TASK_TIME_NONE if unusable. */
int64_t provider_time(const struct json *v, int default_offset_s);
/* A copy of a string member, or NULL if absent, not a string (or empty). */
char *provider_str(const struct json *obj, const char *key, int empty_ok);
/*
 * The members of obj whose keys are not in mapped (NULL-terminated), as
 * compact JSON object text; NULL when there are none.
 */
char *provider_detail(const struct json *obj, const char *const *mapped);
/* The error code of an error body (Huawei or Alibaba shape), or NULL. */
char *provider_error_code(const char *body, size_t len);

#endif
