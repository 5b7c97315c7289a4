/*
 * The body of a webhook's request by its format: the event document
 * (standard), a Slack incoming-webhook message, an Adaptive Card in the
 * envelope of a Teams workflow, or the notifier's own template.  The
 * presets are templates (template.h) too, of the event document plus
 * "link", the notifier's rendered link when it has one.
 */
#ifndef NOTIFY_FORMAT_H
#define NOTIFY_FORMAT_H

#include <stddef.h>

#include "config.h"

struct notify_format;

/*
 * The format of a webhook's config: its preset or its template file
 * (read now), and its link.  NULL with *cause (caller frees; "file:line:
 * col: what" for a template file, "line:col: what" for the link) when a
 * template does not compile or the file cannot be read.
 */
struct notify_format *notify_format_new(
    const struct config_notifier *conf, char **cause);
/* Free a format; NULL is a no-op. */
void notify_format_free(struct notify_format *f);
/* 1 if the body is the event document itself (format standard). */
int notify_format_standard(const struct notify_format *f);
/*
 * The body for the event document doc (len bytes); caller frees.  NULL
 * with *cause if doc is not a JSON object.
 */
char *notify_format_render(const struct notify_format *f, const char *doc,
    size_t len, size_t *out_len, char **cause);

#endif
