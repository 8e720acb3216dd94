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

typedef int (via_f)(struct sip_via *, const struct pl *);
typedef int (cseq_f)(struct sip_cseq *, const struct pl *);
typedef int (param_f)(const struct pl *, const char *, struct pl *);
typedef int (uri_f)(struct uri *, const struct pl *);
typedef int (addr_f)(struct sip_addr *, const struct pl *);

static const char *const names[] = {
	"tag", "branch", "received", "rport", "transport", "expires",
	"TaG", "lr", "a[b", "a\\b", "",
};


static void same(const struct pl *a, const struct pl *b)
{
	if (a->p != b->p || a->l != b->l)
		abort();
}


static void via(const struct pl *pl)
{
	static via_f *libre;
	struct sip_via a, b;
	int ea;

	if (!libre)
		libre = (via_f *)dlsym(RTLD_NEXT, "sip_via_decode");
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	ea = hdrdec_via(&a, pl);
	if (ea == HDRDEC_UNSURE)
		return;
	if (ea != libre(&b, pl))
		abort();
	same(&a.sentby, &b.sentby);
	same(&a.params, &b.params);
	same(&a.branch, &b.branch);
	same(&a.val, &b.val);
	if (a.tp != b.tp || memcmp(&a.addr, &b.addr, sizeof(a.addr)))
		abort();
}


static void cseq(const struct pl *pl)
{
	static cseq_f *libre;
	struct sip_cseq a, b;
	int ea;

	if (!libre)
		libre = (cseq_f *)dlsym(RTLD_NEXT, "sip_cseq_decode");
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	ea = hdrdec_cseq(&a, pl);
	if (ea == HDRDEC_UNSURE)
		return;
	if (ea != libre(&b, pl) || memcmp(&a, &b, sizeof(a)))
		abort();
}


static void uri(const struct pl *pl)
{
	static uri_f *libre;
	struct uri a, b;
	int ea;

	if (!libre)
		libre = (uri_f *)dlsym(RTLD_NEXT, "uri_decode");
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	ea = hdrdec_uri(&a, pl);
	if (ea == HDRDEC_UNSURE)
		return;
	if (ea != libre(&b, pl) || memcmp(&a, &b, sizeof(a)))
		abort();
}


static void addr(const struct pl *pl)
{
	static addr_f *libre;
	struct sip_addr a, b;
	int ea;

	if (!libre)
		libre = (addr_f *)dlsym(RTLD_NEXT, "sip_addr_decode");
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	ea = hdrdec_addr(&a, pl);
	if (ea == HDRDEC_UNSURE)
		return;
	if (ea != libre(&b, pl) || memcmp(&a, &b, sizeof(a)))
		abort();
}


static void param(const struct pl *pl, const char *name)
{
	static param_f *libre;
	struct pl a = {NULL, 7}, b = a;
	int ea;

	if (!libre)
		libre = (param_f *)dlsym(RTLD_NEXT, "msg_param_decode");
	ea = hdrdec_param(pl, name, &a);
	if (ea == HDRDEC_UNSURE)
		return;
	if (ea != libre(pl, name, &b))
		abort();
	same(&a, &b);
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

	via(&pl);
	cseq(&pl);
	uri(&pl);
	addr(&pl);
	param(&pl, names[data[0] % (sizeof(names) / sizeof(names[0]))]);
	free(copy);
	return 0;
}
