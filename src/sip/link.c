/**
 * @file link.c  Link impairment: a lossy network between UAC and UAS
 */
#include <ctype.h>
#include <string.h>
#include <re.h>
#include "wire.h"
#include "sizes.h"
#include "link.h"


enum { REORDER_MS = 1000, MAX_RULES = 32 };

struct rule {
	struct le le;
	struct link_rule r;
	uint32_t seen;           /* matching copies so far              */
};

/* A datagram the link holds back: delayed, reordered, or the copy of a
 * duplicate, handed on when its timer fires. */
struct held {
	struct le le;
	struct link *link;
	int role;
	enum wire_link what;
	struct sa laddr;
	struct sa paddr;
	struct mbuf *mb;
	bool reorder;            /* goes after the next one that passes */
	struct tmr tmr;
};

/* How many messages of one kind (direction, method or status) the
 * random loss has seen: the n-th of a kind is dropped or not whatever
 * came before it of other kinds, so a run with the same seed drops the
 * same messages even when the loop's timing differs a little. */
struct kind {
	struct le le;
	char key[64];
	uint32_t n;
};

struct link {
	struct wire *wire;
	struct list rules;
	struct list held;
	struct list kinds;
	uint32_t loss;           /* percent of every datagram, at random */
	uint64_t seed;           /* from --seed and the test's name      */
};


static void link_destructor(void *arg)
{
	struct link *link = arg;

	list_flush(&link->rules);
	list_flush(&link->held);
	list_flush(&link->kinds);
}


static void held_destructor(void *arg)
{
	struct held *h = arg;

	tmr_cancel(&h->tmr);
	list_unlink(&h->le);
	mem_deref(h->mb);
}


/* The same drops on every run with the same seed: a failing run with
 * --loss replays (rand_u32() would not). */
int link_alloc(struct link **linkp, struct wire *wire, uint32_t loss,
	       uint64_t seed)
{
	struct link *link;

	if (!linkp || !wire)
		return EINVAL;

	link = mem_zalloc(sizeof(*link), link_destructor);
	if (!link)
		return ENOMEM;

	link->wire = wire;
	link->loss = loss;
	link->seed = seed;

	*linkp = link;

	return 0;
}


void link_set_loss(struct link *link, uint32_t percent)
{
	if (link)
		link->loss = min(percent, 100u);
}


int link_add(struct link *link, const struct link_rule *r)
{
	struct rule *rule;

	if (!link || !r)
		return EINVAL;
	if (list_count(&link->rules) >= MAX_RULES)
		return EOVERFLOW;

	rule = mem_zalloc(sizeof(*rule), NULL);
	if (!rule)
		return ENOMEM;

	rule->r = *r;
	list_append(&link->rules, &rule->le, rule);

	return 0;
}


/* "PRACK" (a request), "183" (a response), "200 INVITE" or
 * "200/INVITE" (the response to that request): EINVAL otherwise. */
int link_rule_msg(struct link_rule *r, const char *s)
{
	const char *sep;
	struct pl a, b = PL_INIT;
	size_t i;

	if (!r || !s)
		return EINVAL;

	sep = strpbrk(s, " /");
	pl_set_str(&a, s);
	if (sep) {
		a.l = sep - s;
		pl_set_str(&b, sep + 1);
	}
	if (!a.l || a.l >= sizeof(r->met) || b.l >= sizeof(r->cseq_met) ||
	    (sep && !b.l))
		return EINVAL;

	if (a.l == 3 && isdigit((unsigned char)a.p[0]) &&
	    isdigit((unsigned char)a.p[1]) &&
	    isdigit((unsigned char)a.p[2])) {
		r->scode = (uint16_t)pl_u32(&a);
		if (r->scode < 100 || r->scode > 699)
			return EINVAL;
		for (i = 0; i < b.l; i++)
			if (!isalpha((unsigned char)b.p[i]))
				return EINVAL;
		r->met[0] = '\0';
		r->cseq_met[0] = '\0';
		return b.l ? pl_strcpy(&b, r->cseq_met, sizeof(r->cseq_met))
			: 0;
	}

	if (sep)
		return EINVAL;   /* "PRACK INVITE" means nothing */
	for (i = 0; i < a.l; i++)
		if (!isalpha((unsigned char)a.p[i]))
			return EINVAL;
	r->scode = 0;
	r->cseq_met[0] = '\0';

	return pl_strcpy(&a, r->met, sizeof(r->met));
}


static bool rule_matches(const struct link_rule *r, int role,
			 const struct sip_msg *msg)
{
	if (r->to >= 0 && r->to != role)
		return false;
	if (!r->scode)
		return msg->req && !pl_strcasecmp(&msg->met, r->met);

	return !msg->req && msg->scode == r->scode &&
		(!r->cseq_met[0] || !pl_strcasecmp(&msg->cseq.met,
						   r->cseq_met));
}


/* 0..99 for the n-th message of its kind: a hash of the seed, the kind
 * and n (splitmix64's finaliser) */
static uint32_t rnd_percent(struct link *link, int role,
			    const struct sip_msg *msg)
{
	struct kind *k = NULL;
	char key[64];
	struct le *le;
	uint64_t x;

	(void)re_snprintf(key, sizeof(key), "%d %r %u %r", role, &msg->met,
			  msg->req ? 0 : msg->scode, &msg->cseq.met);
	LIST_FOREACH(&link->kinds, le) {
		if (!strcmp(((struct kind *)le->data)->key, key)) {
			k = le->data;
			break;
		}
	}
	if (!k) {
		k = mem_zalloc(sizeof(*k), NULL);
		if (!k)
			return 100;
		str_ncpy(k->key, key, sizeof(k->key));
		list_append(&link->kinds, &k->le, k);
	}

	x = link->seed ^ hash_joaat_str(key) ^ ((uint64_t)++k->n << 32);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;

	return (uint32_t)(x % 100);
}


/* What the rules (then the random loss) do to this message: each rule
 * counts the copies it matches, and acts on the ones after skip. */
static bool decide(struct link *link, int role, const struct sip_msg *msg,
		   struct link_rule *out)
{
	bool acted = false;
	struct le *le;

	LIST_FOREACH(&link->rules, le) {
		struct rule *rule = le->data;
		const struct link_rule *r = &rule->r;

		if (!rule_matches(r, role, msg))
			continue;
		++rule->seen;
		if (acted || rule->seen <= r->skip ||
		    (r->copies && rule->seen > r->skip + r->copies))
			continue;
		*out = *r;
		acted = true;
	}
	if (acted)
		return true;

	if (link->loss && rnd_percent(link, role, msg) < link->loss) {
		memset(out, 0, sizeof(*out));
		out->action = LINK_DROP;
		return true;
	}

	return false;
}


static void held_deliver(void *arg)
{
	struct held *h = arg;
	const uint8_t *p = h->mb->buf;
	const size_t len = h->mb->end;

	(void)wire_recv_link(h->link->wire, h->role, SIP_TRANSP_UDP,
			     &h->paddr, &h->laddr, p, len, h->what);
	(void)sizes_udp_deliver(&h->laddr, &h->paddr, p, len);
	mem_deref(h);
}


static int hold(struct link *link, int role, enum wire_link what,
		const struct sa *laddr, const struct sa *paddr,
		const struct mbuf *mb, uint32_t ms)
{
	struct held *h;

	h = mem_zalloc(sizeof(*h), held_destructor);
	if (!h)
		return ENOMEM;

	h->mb = mbuf_alloc(mbuf_get_left(mb) + 1);
	if (!h->mb) {
		mem_deref(h);
		return ENOMEM;
	}
	(void)mbuf_write_mem(h->mb, mbuf_buf(mb), mbuf_get_left(mb));
	h->link  = link;
	h->role  = role;
	h->what  = what;
	h->laddr = *laddr;
	h->paddr = *paddr;
	h->reorder = what == WIRE_LINK_REORDERED;
	list_append(&link->held, &h->le, h);
	tmr_start(&h->tmr, ms, held_deliver, h);

	return 0;
}


/* A message passed on to laddr: what was held for reordering there goes
 * right after it. */
static void release_reordered(struct link *link, const struct sa *laddr)
{
	struct le *le;

	LIST_FOREACH(&link->held, le) {
		struct held *h = le->data;

		if (h->reorder && sa_cmp(&h->laddr, laddr, SA_ALL)) {
			h->reorder = false;
			tmr_start(&h->tmr, 0, held_deliver, h);
		}
	}
}


/**
 * A decodable datagram to the test's endpoint role at laddr (sizes.h
 * sizes_link_h): true when the link took it (dropped or held).
 */
bool link_recv(struct link *link, int role, const struct sa *laddr,
	       const struct sa *paddr, struct mbuf *mb)
{
	const size_t pos = mb->pos;
	struct sip_msg *msg = NULL;
	struct link_rule r;
	bool act;

	if (!link || (!link->loss && !link->rules.head && !link->held.head))
		return false;
	if (sip_msg_decode(&msg, mb)) {
		mb->pos = pos;
		return false;
	}
	mb->pos = pos;
	act = decide(link, role, msg, &r);
	mem_deref(msg);

	if (!act) {
		release_reordered(link, laddr);
		return false;
	}

	switch (r.action) {

	case LINK_DROP:
		(void)wire_recv_link(link->wire, role, SIP_TRANSP_UDP, paddr,
				     laddr, mbuf_buf(mb), mbuf_get_left(mb),
				     WIRE_LINK_DROPPED);
		return true;

	case LINK_DUPLICATE:
		/* the original goes on now, the copy after it */
		release_reordered(link, laddr);
		(void)hold(link, role, WIRE_LINK_DUPLICATE, laddr, paddr, mb,
			   r.ms);
		return false;

	case LINK_DELAY:
		return !hold(link, role, WIRE_LINK_DELAYED, laddr, paddr, mb,
			     r.ms);

	case LINK_REORDER:
		return !hold(link, role, WIRE_LINK_REORDERED, laddr, paddr,
			     mb, r.ms ? r.ms : REORDER_MS);
	}

	return false;
}
