/*
 * libFuzzer target: src/sip/hdrdec.c against libre's own decoders,
 * reached past siptap's definitions with dlsym(RTLD_NEXT). The first
 * byte picks the parameter name msg_param_decode is asked for, the rest
 * is the header value, read as a Via, a CSeq, a name-addr, a URI and
 * parameters. Where a
 * fast reader is sure and its answer differs from libre's (return
 * value, or a field's pointer or length), it traps.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "hdrdec.h"


static const char *const names[] = {
	"tag", "branch", "received", "rport", "transport", "expires",
	"TaG", "lr", "a[b", "a\\b", "",
};


/* A fast reader against libre's decoder (found past siptap's by its
 * name) on the same bytes, both results filled alike first: sure means
 * the same return value and the same struct, byte for byte */
#define SAME(type, fast, name, in)                                       \
	do {                                                             \
		static int (*libre_)(type *, const struct pl *);         \
		type a_, b_;                                             \
		int e_;                                                  \
									 \
		if (!libre_)                                             \
			libre_ = dlsym(RTLD_NEXT, name);                 \
		memset(&a_, 0xa5, sizeof(a_));                           \
		memset(&b_, 0xa5, sizeof(b_));                           \
		e_ = fast(&a_, in);                                      \
		if (e_ != HDRDEC_UNSURE &&                               \
		    (e_ != libre_(&b_, in) || memcmp(&a_, &b_, sizeof(a_)))) \
			abort();                                         \
	} while (0)


static void param(const struct pl *pl, const char *name)
{
	static hdrdec_param_f *libre;
	struct pl a = {NULL, 7}, b = a;
	int ea;

	if (!libre)
		libre = (hdrdec_param_f *)dlsym(RTLD_NEXT, "msg_param_decode");
	ea = hdrdec_param(pl, name, &a);
	if (ea == HDRDEC_UNSURE)
		return;
	if (ea != libre(pl, name, &b) || a.p != b.p || a.l != b.l)
		abort();
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pl pl;
	char *copy;

	if (!len)
		return 0;

	/* a buffer of its own: reading past the value is caught */
	copy = malloc(len - 1 ? len - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, len - 1);
	pl.p = copy;
	pl.l = len - 1;

	SAME(struct sip_via, hdrdec_via, "sip_via_decode", &pl);
	SAME(struct sip_cseq, hdrdec_cseq, "sip_cseq_decode", &pl);
	SAME(struct uri, hdrdec_uri, "uri_decode", &pl);
	SAME(struct sip_addr, hdrdec_addr, "sip_addr_decode", &pl);
	param(&pl, names[data[0] % (sizeof(names) / sizeof(names[0]))]);
	free(copy);
	return 0;
}
