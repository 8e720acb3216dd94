/*
 * libFuzzer target: src/sip/hdrdec.c against libre's own decoders,
 * reached past siptap's definitions with dlsym(RTLD_NEXT). The first
 * byte picks the parameter name msg_param_decode is asked for, the rest
 * is the header value, read as a Via, a CSeq, a name-addr, a URI and
 * parameters. Where a
 * fast reader is sure and its answer differs from libre's (return
 * value, or a field's pointer or length), it traps. The rest is also a
 * whole message for hdrdec_msg() and libre's sip_msg_decode(): a
 * different return value, position, struct sip_msg, list of lines or
 * header found by id traps.
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


/* The headers of id in a message's table, one after the other: equal
 * in a and b (the same slices, in the same order) */
static bool ids_same(const struct sip_msg *a, const struct sip_msg *b,
		     enum sip_hdrid id)
{
	struct le *x = list_head(hash_list(a->hdrht, id));
	struct le *y = list_head(hash_list(b->hdrht, id));

	for (;;) {
		const struct sip_hdr *h, *k;

		while (x && ((const struct sip_hdr *)x->data)->id != id)
			x = x->next;
		while (y && ((const struct sip_hdr *)y->data)->id != id)
			y = y->next;
		if (!x || !y)
			return !x && !y;
		h = x->data;
		k = y->data;
		if (h->val.p != k->val.p || h->val.l != k->val.l ||
		    h->name.p != k->name.p || h->name.l != k->name.l)
			return false;
		x = x->next;
		y = y->next;
	}
}


static void msg(const char *p, size_t l)
{
	static int (*libre)(struct sip_msg **, struct mbuf *);
	struct mbuf *mb = mbuf_alloc(l ? l : 1);  /* (exactly: reading past
						   the bytes is caught) */
	struct sip_msg *a = NULL, *b = NULL, x, y;
	struct le *la, *lb;
	size_t pos;
	int ea;

	if (!libre)
		libre = dlsym(RTLD_NEXT, "sip_msg_decode");
	if (!mb || mbuf_write_mem(mb, (const uint8_t *)p, l))
		abort();
	mb->pos = 0;
	ea = hdrdec_msg(&a, mb);
	pos = mb->pos;
	mb->pos = 0;
	if (ea != libre(&b, mb) || pos != mb->pos)
		abort();
	mem_deref(mb);
	if (ea)
		return;

	x = *a;
	y = *b;
	x.tag = y.tag = 0;
	x.hdrht = y.hdrht = NULL;
	memset(&x.hdrl, 0, sizeof(x.hdrl));
	memset(&y.hdrl, 0, sizeof(y.hdrl));
	if (memcmp(&x, &y, sizeof(x)))
		abort();
	for (la = a->hdrl.head, lb = b->hdrl.head; la || lb;
	     la = la->next, lb = lb->next) {
		const struct sip_hdr *h = la ? la->data : NULL;
		const struct sip_hdr *k = lb ? lb->data : NULL;

		if (!h || !k || h->id != k->id || h->val.p != k->val.p ||
		    h->val.l != k->val.l || h->name.p != k->name.p ||
		    h->name.l != k->name.l || !ids_same(a, b, h->id))
			abort();
	}
	mem_deref(a);
	mem_deref(b);
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
	msg(copy, len - 1);
	free(copy);
	return 0;
}
