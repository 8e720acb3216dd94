/*
 * libFuzzer target: the message view scenarios read peer bytes through
 * (src/sip/msgview.c). Every function gets the bytes as they came, and every
 * slice it hands back must lie inside them.
 */
#include <string.h>
#include <re.h>
#include "msgview.h"

static const uint8_t *base;
static size_t size;

static void inside(const struct pl *pl)
{
	if (pl->l && ((const uint8_t *)pl->p < base ||
		      (const uint8_t *)pl->p + pl->l > base + size))
		__builtin_trap();
}

static bool each(const struct pl *name, const struct pl *val, void *arg)
{
	(void)arg;
	inside(name);
	inside(val);
	(void)msgview_name_eq(name, "Via");
	(void)msgview_name_eq(name, "i");
	(void)msgview_long_name(name);

	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pl line, body;

	base = data;
	size = len;

	(void)msgview_start_line(data, len, &line);
	inside(&line);
	(void)msgview_headers(data, len, each, NULL);
	(void)msgview_body(data, len, &body);
	inside(&body);

	return 0;
}
