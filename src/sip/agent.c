/**
 * @file agent.c  A control connection to a remote UAS's agent
 *
 * JSON-RPC 2.0, one message per line, over one TCP connection per
 * test. Messages from the agent are decoded with libre's odict and kept
 * in arrival order until a wait takes them: a response by its id, a
 * request or notification by its method. Nothing here knows what the
 * methods mean (l_remote.c and runner.c do).
 */
#include <string.h>
#include <re.h>
#include "agent.h"


/* A message longer than this is a broken agent, not a big SDP */
enum { LINE_MAX_BYTES = 1 << 20, JSON_DEPTH = 16 };

struct agent {
	struct tcp_conn *tc;
	struct mbuf *rx;        /* an unfinished line                 */
	struct mbuf *txq;       /* written before the connection is up */
	struct list inl;        /* what arrived and nobody took yet   */
	uint32_t next_id;
	bool estab;
	int err;                /* 0 while the connection is fine     */
	agent_event_h *eh;
	void *arg;
};

struct in_msg {
	struct le le;
	struct odict *od;
};


static void agent_destructor(void *arg)
{
	struct agent *a = arg;

	list_flush(&a->inl);
	mem_deref(a->tc);
	mem_deref(a->rx);
	mem_deref(a->txq);
}


static void in_msg_destructor(void *arg)
{
	struct in_msg *m = arg;

	list_unlink(&m->le);
	mem_deref(m->od);
}


/* The connection is over: every wait sees agent_error() from now on. */
static void fail(struct agent *a, int err)
{
	if (!a->err)
		a->err = err ? err : ECONNRESET;
	a->tc = mem_deref(a->tc);
	a->eh(a->arg);
}


static void keep_line(struct agent *a, const char *p, size_t len)
{
	struct odict *od = NULL;
	struct in_msg *m;

	if (len && p[len - 1] == '\r')
		--len;
	if (!len)
		return;

	if (json_decode_odict(&od, 8, p, len, JSON_DEPTH) ||
	    !odict_lookup(od, "jsonrpc")) {
		mem_deref(od);
		fail(a, EPROTO);
		return;
	}

	m = mem_zalloc(sizeof(*m), in_msg_destructor);
	if (!m) {
		mem_deref(od);
		fail(a, ENOMEM);
		return;
	}
	m->od = od;
	list_append(&a->inl, &m->le, m);
}


static void recv_handler(struct mbuf *mb, void *arg)
{
	struct agent *a = arg;
	const uint8_t *nl;
	size_t start = 0;

	if (mbuf_write_mem(a->rx, mbuf_buf(mb), mbuf_get_left(mb))) {
		fail(a, ENOMEM);
		return;
	}

	while (!a->err && (nl = memchr(a->rx->buf + start, '\n',
				       a->rx->end - start))) {
		size_t len = (size_t)(nl - a->rx->buf) - start;

		keep_line(a, (const char *)a->rx->buf + start, len);
		start += len + 1;
	}
	if (a->err)
		return;

	/* keep only the unfinished line */
	memmove(a->rx->buf, a->rx->buf + start, a->rx->end - start);
	a->rx->end -= start;
	a->rx->pos = a->rx->end;
	if (a->rx->end > LINE_MAX_BYTES) {
		fail(a, EMSGSIZE);
		return;
	}

	a->eh(a->arg);
}


static void estab_handler(void *arg)
{
	struct agent *a = arg;
	int err;

	a->estab = true;
	if (!a->txq->end)
		return;

	a->txq->pos = 0;
	err = tcp_send(a->tc, a->txq);
	mbuf_reset(a->txq);
	if (err)
		fail(a, err);
}


static void close_handler(int err, void *arg)
{
	fail(arg, err);
}


int agent_connect(struct agent **ap, const struct sa *addr,
		  agent_event_h *eh, void *arg)
{
	struct agent *a;
	int err;

	if (!ap || !addr || !eh)
		return EINVAL;

	a = mem_zalloc(sizeof(*a), agent_destructor);
	if (!a)
		return ENOMEM;

	a->eh = eh;
	a->arg = arg;
	a->rx = mbuf_alloc(2048);
	a->txq = mbuf_alloc(512);
	if (!a->rx || !a->txq) {
		err = ENOMEM;
		goto out;
	}

	err = tcp_connect(&a->tc, addr, estab_handler, recv_handler,
			  close_handler, a);

 out:
	if (err)
		mem_deref(a);
	else
		*ap = a;

	return err;
}


/* One line out: now, or once the connection is up. */
static int send_line(struct agent *a, const char *fmt, ...)
{
	struct mbuf *mb;
	va_list ap;
	int err;

	if (a->err)
		return a->err;

	mb = a->estab ? mbuf_alloc(512) : mem_ref(a->txq);
	if (!mb)
		return ENOMEM;

	va_start(ap, fmt);
	err = mbuf_vprintf(mb, fmt, ap);
	va_end(ap);
	if (!err && a->estab) {
		mb->pos = 0;
		err = tcp_send(a->tc, mb);
	}
	mem_deref(mb);

	return err;
}


/* params: JSON text (an object or array), or NULL for none */
int agent_request(struct agent *a, uint32_t *idp, const char *method,
		  const char *params)
{
	uint32_t id;
	int err;

	if (!a || !method)
		return EINVAL;

	id = ++a->next_id;
	err = send_line(a, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":"
			"\"%s\",\"params\":%s}\n", id, method,
			params ? params : "{}");
	if (!err && idp)
		*idp = id;

	return err;
}


/* result: JSON text; or error: the message of a JSON-RPC error */
int agent_respond(struct agent *a, uint32_t id, const char *result,
		  const char *error)
{
	if (!a)
		return EINVAL;

	if (error)
		return send_line(a, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"error\":"
				 "{\"code\":-32000,\"message\":\"%H\"}}\n", id,
				 utf8_encode, error);

	return send_line(a, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"result\":%s}\n",
			 id, result ? result : "{}");
}


static struct odict *take(struct in_msg *m)
{
	struct odict *od = mem_ref(m->od);

	mem_deref(m);

	return od;
}


/* The response to request id (the whole message), or NULL: not yet.
 * An error with id null (the agent could not read a request) answers
 * whichever request is waiting. */
struct odict *agent_response(struct agent *a, uint32_t id)
{
	struct le *le;

	for (le = a ? a->inl.head : NULL; le; le = le->next) {
		struct in_msg *m = le->data;
		uint64_t n;

		if (odict_string(m->od, "method"))
			continue;
		if (odict_get_number(m->od, &n, "id") ? n == id :
		    odict_lookup(m->od, "error") != NULL)
			return take(m);
	}

	return NULL;
}


/* The first request or notification with this method, or NULL. */
struct odict *agent_take(struct agent *a, const char *method)
{
	struct le *le;

	for (le = a ? a->inl.head : NULL; le; le = le->next) {
		struct in_msg *m = le->data;
		const char *met = odict_string(m->od, "method");

		if (met && !strcmp(met, method))
			return take(m);
	}

	return NULL;
}


/* 0 while the connection works; else why it does not (EPROTO: the
 * agent sent a line that is not a JSON-RPC message) */
int agent_error(const struct agent *a)
{
	return a ? a->err : EINVAL;
}


/* "TypeError: Invalid statusCode: 200" from a JSON-RPC error response */
int agent_error_print(struct re_printf *pf, const struct odict *msg)
{
	const struct odict_entry *e = odict_get_type(msg, ODICT_OBJECT,
						     "error");
	const char *text = e ? odict_string(e->u.odict, "message") : NULL;

	return re_hprintf(pf, "%s", text ? text : "(an error without a "
			  "message)");
}
