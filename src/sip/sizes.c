/**
 * @file sizes.c  How big a message siptap carries, and what it lost
 *
 * libre's SIP transports make their sockets inside sip_transp_add() and
 * when a connection opens, and hand none of them out. So siptap defines
 * udp_listen, udp_send, tcp_accept and tcp_connect itself: libre calls
 * these through its PLT, the dynamic linker binds those calls to the
 * executable's definitions, and each one calls libre's own (dlsym
 * RTLD_NEXT) and then does what libre 1.1.0 has no option for:
 *
 * - a UDP socket reads whole datagrams (udp_rxsz_set: 8 KB otherwise,
 *   the rest cut off unseen) and gets a larger receive buffer;
 * - a datagram to one of siptap's own UDP sockets waits while that
 *   socket's receive buffer is full (the kernel would drop it: a
 *   thousand provisionals sent in one go), and a send the kernel
 *   refuses for now (EAGAIN, ENOBUFS) is tried again;
 * - a SIP connection libre opens or accepts takes whole messages up to
 *   SIZES_STREAM_MAX: a framing helper above TLS holds the bytes until
 *   a message is complete (libre's own reader closes the connection
 *   when more than 64 KB wait), and its send queue holds that much.
 *
 * - every datagram at a watched socket and every message of a SIP
 *   connection goes to the raw handler as bytes before libre parses
 *   it; what libre cannot parse goes no further (libre would print
 *   "sip: msg decode err" and drop a datagram, and wait for ever or
 *   close the connection on a stream). siptap frames streams itself,
 *   by Content-Length: libre's parser may not be asked where a message
 *   it cannot parse ends.
 *
 * What siptap still loses (a datagram the kernel dropped at its socket,
 * a message over the limit, a send that kept failing) goes to the loss
 * handler, which makes it a harness error of the test that owns the
 * socket. This is process-wide state, as the sockets are: the registry
 * of watched UDP sockets and the connections' framers.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>
#include <re.h>
#include "hdrdec.h"
#include "sizes.h"
#include "wire.h"
#include "ws.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

enum {
	UDP_RXSZ       = 65536,            /* over the largest datagram */
	UDP_RCVBUF     = 4 * 1024 * 1024,  /* asked for; the kernel caps */
	TCP_RXSZ       = 65536,
	TCP_TXQSZ      = 4 * SIZES_STREAM_MAX,
	FRAMER_LAYER   = 1000,             /* above TLS (layer 0)        */
	SNIFF_LAYER    = -1000,            /* below TLS: sees its records */
	CUT_CHECK_MS   = 20,
	TLS_HANDSHAKE  = 0x16,             /* RFC 8446 5.1 content type  */
	RETRY_MS       = 1,
	GIVE_UP_MS     = 2000,
	DGRAM_COST     = 1024,             /* over 2x its bytes, at most */
	ROOM_SLACK     = 2048,
	BUDGET_PART    = 4,                /* of the receive buffer      */
};

/* One of siptap's own UDP sockets (a test's UAC or UAS). */
struct sizes_udp {
	struct le le;              /* in watch_ports, by port number    */
	struct le sock_le;         /* in watch_socks, by udp_sock       */
	struct udp_sock *us;       /* libre's; no reference            */
	int fd;
	struct sa laddr;
	size_t budget;             /* bytes it surely has room for      */
	bool forced;               /* its buffer by SO_RCVBUFFORCE      */
	struct udp_helper *tap;    /* the raw tap, below libre's handler */
	udp_recv_h *rh;            /* libre's own: sizes_udp_deliver()  */
	void *rarg;
	uint32_t drops0;           /* the kernel's drops when it was lent */
	bool pooled;               /* holds us: given back, not closed  */
	bool idle;                 /* given back: nobody's now          */
	bool reused;               /* lent before: a call of its ended  */
};

/* A datagram waiting for room at its destination, or for the kernel. */
struct pending {
	struct le le;
	struct sizes_udp *from;
	struct sa dst;
	struct mbuf *mb;
	uint64_t since;
};

/* The reader of one SIP connection: whole messages, or nothing yet. */
struct framer {
	struct le le;
	struct tcp_helper *th;     /* a reference: tells when tc is gone */
	struct tcp_helper *sniff;  /* below TLS: is it TLS?             */
	struct tcp_conn *tc;
	struct mbuf *acc;
	bool lost;
	bool tap;                  /* a SIP transport's: raw handler     */
	bool deaf;                 /* bytes that were no SIP came        */
	bool tls;
	bool sniffed;
	struct sa laddr;           /* the connection's, for the tap      */
	struct sa paddr;
	struct tmr tmr;            /* a message cut short by the close   */
};

/* The watched sockets, found by socket on every send and by address
 * for every datagram to one: hashed, as siptap load has thousands. */
static struct hash *watch_ports;
static struct hash *watch_socks;
static struct list pendings;
static struct list framers;
static struct tmr pending_tmr;
static struct udp_sock *udp_last;   /* the last udp_listen()ed socket */
static struct sa udp_last_addr;     /* ... its address, once asked    */
static bool udp_last_forced;        /* ... SO_RCVBUFFORCE took        */
static uint32_t rcvbuf_forced;      /* what the kernel made of that   */
static struct sizes_udp *udp_last_lent;  /* ... when one given back */
static bool udp_last_any;           /* ... on a port the kernel chose  */
static struct tcp_sock *tcp_last;   /* the last tcp_listen()ed socket */
static udp_recv_h *udp_last_rh;     /* ... and libre's handler of it   */
static void *udp_last_rarg;
static sizes_link_h *link_handler;
static sizes_loss_h *loss_handler;
static sizes_raw_h *raw_handler;
static sizes_known_h *known_handler;
static sizes_callid_h *callid_handler;
static size_t refused_len;
static enum sip_transp refused_tp;
static bool refused_conn;

typedef int (udp_listen_f)(struct udp_sock **, const struct sa *,
			   udp_recv_h *, void *);
typedef int (udp_send_f)(struct udp_sock *, const struct sa *,
			 struct mbuf *);
typedef int (udp_local_get_f)(const struct udp_sock *, struct sa *);
typedef int (tcp_listen_f)(struct tcp_sock **, const struct sa *,
			   tcp_conn_h *, void *);
typedef int (tcp_accept_f)(struct tcp_conn **, struct tcp_sock *,
			   tcp_estab_h *, tcp_recv_h *, tcp_close_h *,
			   void *);
typedef int (tcp_connect_f)(struct tcp_conn **, const struct sa *,
			    tcp_estab_h *, tcp_recv_h *, tcp_close_h *,
			    void *);


static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}


static void loss(enum sip_transp tp, const struct sa *laddr,
		 const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);

	if (loss_handler)
		loss_handler(tp, laddr, why);
	else
		re_fprintf(stderr, "siptap: %s\n", why);
}


/* A message siptap could not take at laddr (ws.c: over the limit). */
void sizes_lost(enum sip_transp tp, const struct sa *laddr, const char *why)
{
	loss(tp, laddr, "%s", why);
}


void sizes_init(sizes_loss_h *lossh)
{
	loss_handler = lossh;
}


/* Who may hold back or drop datagrams to siptap's UDP sockets. */
void sizes_link_handler(sizes_link_h *linkh)
{
	link_handler = linkh;
}


/* Where the bytes of every message at siptap's SIP sockets go. */
void sizes_raw_handler(sizes_raw_h *rawh)
{
	raw_handler = rawh;
}


/* Who may vouch for a datagram's bytes (see tap_recv). */
void sizes_known_handler(sizes_known_h *knownh)
{
	known_handler = knownh;
}


/* Who knows the Call-IDs of the call a socket is lent to (see
 * sizes_udp_release). */
void sizes_callid_handler(sizes_callid_h *callidh)
{
	callid_handler = callidh;
}


static void raw(const struct sa *laddr, const struct sa *paddr,
		enum sip_transp tp, const uint8_t *p, size_t len,
		const char *why)
{
	if (raw_handler)
		raw_handler(laddr, paddr, tp, p, len, why);
}


/* Only CR LF (a keepalive, RFC 5626 4.4.1), or nothing. */
static bool keepalive(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;

	return true;
}


size_t sizes_max(enum sip_transp tp)
{
	return tp == SIP_TRANSP_UDP ? SIZES_UDP_MAX : SIZES_STREAM_MAX;
}


/* Before a message goes out: EMSGSIZE when it is over what the
 * transport carries (sizes_refused() then prints why). */
int sizes_check(enum sip_transp tp, size_t len)
{
	if (len <= sizes_max(tp))
		return 0;

	refused_len = len;
	refused_tp  = tp;

	return EMSGSIZE;
}


/* A send refused because the WebSocket client's connection it must go
 * down is closed (uac.c): ENOTCONN, which sizes_strerror() explains. */
int sizes_no_conn(void)
{
	refused_conn = true;

	return ENOTCONN;
}


/* What a send that failed with err says: for EMSGSIZE, the size of the
 * last message sizes_check() refused and the limit it is over. */
const char *sizes_strerror(int err)
{
	static char why[160];

	if (err == ENOTCONN && refused_conn) {
		refused_conn = false;
		return "the WebSocket client's connection is closed (siptap "
			"reaches a WebSocket client over the connection it "
			"registered on only)";
	}

	if (err != EMSGSIZE || !refused_len)  /* the kernel's, not ours */
		return strerror(err);

	if (refused_tp == SIP_TRANSP_UDP)
		(void)re_snprintf(why, sizeof(why), "the message would be %zu "
				  "bytes, over the %u siptap sends in one UDP "
				  "datagram (TCP and TLS carry up to %u)",
				  refused_len, (unsigned)SIZES_UDP_MAX,
				  (unsigned)SIZES_STREAM_MAX);
	else
		(void)re_snprintf(why, sizeof(why), "the message would be %zu "
				  "bytes, over the %u siptap sends in one "
				  "message over TCP or TLS", refused_len,
				  (unsigned)SIZES_STREAM_MAX);
	refused_len = 0;

	return why;
}


/* --- UDP --------------------------------------------------------------- */

static bool meminfo(int fd, uint32_t mi[SK_MEMINFO_VARS])
{
	socklen_t len = SK_MEMINFO_VARS * sizeof(uint32_t);

	memset(mi, 0, len);

	return getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0;
}


enum { WATCH_BUCKETS = 4096 };


static uint32_t sock_key(const struct udp_sock *us)
{
	return hash_fast((const char *)&us, sizeof(us));
}


static bool sock_cmp(struct le *le, void *arg)
{
	return ((struct sizes_udp *)le->data)->us == arg;
}


static bool addr_cmp(struct le *le, void *arg)
{
	return sa_cmp(&((struct sizes_udp *)le->data)->laddr, arg, SA_ALL);
}


static struct sizes_udp *watch_by_sock(const struct udp_sock *us)
{
	struct le *le = hash_lookup(watch_socks, sock_key(us), sock_cmp,
				    (void *)us);

	return le ? le->data : NULL;
}


static struct sizes_udp *watch_by_addr(const struct sa *addr)
{
	struct le *le = hash_lookup(watch_ports, sa_port(addr), addr_cmp,
				    (void *)addr);

	return le ? le->data : NULL;
}


/* The budget from what the kernel said of the socket (mi): a quarter
 * of its buffer at most; what is free in it is returned. */
static size_t budget_set(struct sizes_udp *w,
			 const uint32_t mi[SK_MEMINFO_VARS])
{
	const size_t used = mi[SK_MEMINFO_RMEM_ALLOC];
	const size_t size = mi[SK_MEMINFO_RCVBUF];
	const size_t free = used + ROOM_SLACK < size ?
		size - used - ROOM_SLACK : 0;

	if (w->forced)
		rcvbuf_forced = (uint32_t)size;
	w->budget = min(free, size / BUDGET_PART);

	return free;
}


/* Room for len more bytes in the receive buffer of our socket at dst?
 * A datagram costs the kernel more than its bytes (twice, to be safe);
 * an empty buffer takes anything, so a big datagram never waits for
 * ever. Someone else's socket: we cannot know, so yes.
 *
 * Asking the kernel (SO_MEMINFO) before every send was a syscall a
 * datagram, 8 of siptap's 80 syscalls a call. A socket keeps a budget
 * instead: what was free when the kernel was last asked (a quarter of
 * the buffer at most) less what siptap sent to it since, each datagram
 * at what it can cost the kernel (DGRAM_COST: measured on loopback, 832
 * bytes for 1, 16,640 for 9,000), as if nobody read it. Reading only
 * frees room, so the kernel is asked again only when the budget runs
 * out; a datagram of someone else's read at the socket spends it all
 * (tap_recv), and the cap leaves room for others' not read yet. */
static bool room(const struct sa *dst, size_t len)
{
	struct sizes_udp *w = watch_by_addr(dst);
	const size_t cost = 2 * len + DGRAM_COST;
	uint32_t mi[SK_MEMINFO_VARS];
	size_t used, free;

	if (!w)
		return true;

	if (w->budget >= cost) {
		w->budget -= cost;
		return true;
	}

	if (!meminfo(w->fd, mi))
		return true;

	free = budget_set(w, mi);
	used = mi[SK_MEMINFO_RMEM_ALLOC];
	if (used && 2 * len > free) {
		w->budget = 0;
		return false;
	}
	w->budget -= min(w->budget, cost);

	return true;
}


static bool retryable(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS ||
		err == ENOMEM;
}


static void pending_destructor(void *arg)
{
	struct pending *p = arg;

	list_unlink(&p->le);
	mem_deref(p->mb);
}


static udp_send_f *real_send(void);


static void pending_tmr_handler(void *arg)
{
	udp_send_f *send = real_send();
	struct le *le;
	(void)arg;

	while ((le = pendings.head)) {
		struct pending *p = le->data;
		const bool late = tmr_jiffies() - p->since >= GIVE_UP_MS;
		int err;

		/* a socket nobody reads holds the others up 2 s at most;
		 * what the kernel drops then is counted at the socket */
		/* the copy's whole length: its pos is past the end */
		if (!late && !room(&p->dst, p->mb->end))
			break;

		p->mb->pos = 0;
		err = send(p->from->us, &p->dst, p->mb);
		if (retryable(err) && !late)
			break;
		if (err)
			loss(SIP_TRANSP_UDP, &p->from->laddr,
			     "siptap could not send a "
			     "datagram of %zu bytes from %J to %J: %m",
			     p->mb->end, &p->from->laddr,
			     &p->dst, err);
		mem_deref(p);
	}

	if (pendings.head)
		tmr_start(&pending_tmr, RETRY_MS, pending_tmr_handler, NULL);
}


static int pending_add(struct sizes_udp *from, const struct sa *dst,
		       struct mbuf *mb)
{
	struct pending *p;

	p = mem_zalloc(sizeof(*p), pending_destructor);
	if (!p)
		return ENOMEM;

	/* a copy: the sender may write into its buffer again */
	p->mb = mbuf_alloc(mbuf_get_left(mb) + 1);
	if (!p->mb || mbuf_write_mem(p->mb, mbuf_buf(mb),
				     mbuf_get_left(mb))) {
		mem_deref(p);
		return ENOMEM;
	}
	p->from  = from;
	p->dst   = *dst;
	p->since = tmr_jiffies();
	list_append(&pendings, &p->le, p);

	if (!tmr_isrunning(&pending_tmr))
		tmr_start(&pending_tmr, RETRY_MS, pending_tmr_handler, NULL);

	return 0;
}


/* --- making a socket ----------------------------------------------------- */

/* libre makes each socket blocking, then asks for its flags and sets
 * them non-blocking (two fcntl), and gives a TCP listener SO_LINGER off
 * (off already): 10 of the 80 syscalls of a call under siptap load,
 * whose tests make four sockets each. While libre makes a listener for
 * siptap (udp_listen, tcp_listen below; siptap's own definitions of
 * socket, setsockopt and net_sockopt_blocking_set take libre's calls
 * through its PLT), the socket is made non-blocking at once, and
 * close-on-exec (nothing siptap starts needs a test's sockets), and
 * those calls for it are answered here. Any other socket is as libre
 * makes it. */
static bool making;
static int made_fd = -1;

/* Sockets made so, in this process (the prepare handler of a fork
 * forgets them all: the child shares them): see epoll_ctl below. */
enum { OWN_FDS = 65536 };
static uint8_t own[OWN_FDS / 8];
static bool own_atfork;

typedef int (socket_f)(int, int, int);
typedef int (setsockopt_f)(int, int, int, const void *, socklen_t);
typedef int (blocking_set_f)(int, bool);


static void own_forget(void);


static void making_begin(void)
{
	if (!own_atfork)
		own_atfork = !pthread_atfork(own_forget, NULL, NULL);

	/* without the handler a fork would go unseen: nothing is own */
	making = true;
}


/* err, after the listener was made: the window is closed */
static int made(int err)
{
	making  = false;
	made_fd = -1;

	return err;
}


static bool own_get(int fd)
{
	return fd >= 0 && fd < OWN_FDS && (own[fd / 8] & (1u << fd % 8));
}


static void own_set(int fd, bool on)
{
	if (fd < 0 || fd >= OWN_FDS)
		return;

	if (on)
		own[fd / 8] |= (uint8_t)(1u << fd % 8);
	else
		own[fd / 8] &= (uint8_t)~(1u << fd % 8);
}


static void del_flush(void);


/* pthread_atfork prepare: the child gets a copy of every socket, so
 * none is this process's alone any more */
static void own_forget(void)
{
	del_flush();
	memset(own, 0, sizeof(own));
}


int socket(int domain, int type, int protocol)
{
	static socket_f *sock;
	int fd;

	if (!sock)
		sock = real("socket");
	if (!making)
		return sock(domain, type, protocol);

	fd = sock(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	made_fd = fd;
	if (own_atfork)
		own_set(fd, true);

	return fd;
}


int net_sockopt_blocking_set(int fd, bool blocking)
{
	static blocking_set_f *set;

	if (making && fd >= 0 && fd == made_fd && !blocking)
		return 0;   /* made so */
	if (!set)
		set = real("net_sockopt_blocking_set");

	return set(fd, blocking);
}


int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static setsockopt_f *set;

	/* a new socket does not linger: the default */
	if (making && fd >= 0 && fd == made_fd && level == SOL_SOCKET &&
	    name == SO_LINGER && val && len >= sizeof(struct linger) &&
	    !((const struct linger *)val)->l_onoff)
		return 0;
	if (!set)
		set = real("setsockopt");

	return set(fd, level, name, val, len);
}


/* libre takes a socket out of its epoll set (fd_close: EPOLL_CTL_DEL)
 * and closes it next; the close takes it out as well when no other
 * descriptor (a dup, a forked child's copy) shares the socket: the
 * kernel drops a file's epoll entries with its last reference. So for a
 * socket made above the DEL waits, and the close that follows settles
 * it; any other epoll call or wait first makes the DEL after all.
 * 4 syscalls of the 60 of a call. */
static int del_fd = -1;
static int del_epfd = -1;

typedef int (epoll_ctl_f)(int, int, int, struct epoll_event *);
typedef int (epoll_wait_f)(int, struct epoll_event *, int, int);
typedef int (close_f)(int);


static epoll_ctl_f *real_epoll_ctl(void)
{
	static epoll_ctl_f *ctl;

	if (!ctl)
		ctl = real("epoll_ctl");

	return ctl;
}


static void del_flush(void)
{
	struct epoll_event ev;
	const int fd = del_fd;

	if (fd < 0)
		return;

	del_fd = -1;
	memset(&ev, 0, sizeof(ev));
	(void)real_epoll_ctl()(del_epfd, EPOLL_CTL_DEL, fd, &ev);
}


int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	del_flush();

	if (op == EPOLL_CTL_DEL && own_get(fd)) {
		del_fd   = fd;
		del_epfd = epfd;
		return 0;
	}

	return real_epoll_ctl()(epfd, op, fd, ev);
}


int epoll_wait(int epfd, struct epoll_event *evs, int max, int ms)
{
	static epoll_wait_f *wait;

	del_flush();
	if (!wait)
		wait = real("epoll_wait");

	return wait(epfd, evs, max, ms);
}


int close(int fd)
{
	static close_f *cls;

	if (fd >= 0 && fd == del_fd)
		del_fd = -1;
	own_set(fd, false);
	if (!cls)
		cls = real("close");

	return cls(fd);
}


/* --- sockets given back (siptap load) ---------------------------------- */

/*
 * Under siptap load every call made two UDP sockets and closed them at
 * its end (socket, bind, SO_RCVBUFFORCE, getsockname, epoll_ctl, close).
 * A call's world gives them back instead (sizes_udp_release), and a
 * later call's endpoint takes one (sizes_udp_pool, then libre's
 * sip_transp_add -> udp_listen below): the same socket on the same
 * port, with its watch, never out of libre's epoll set. The one given
 * back longest ago is taken first.
 *
 * A socket given back reads nothing: what reaches it is dropped, as a
 * closed socket's would be. What reaches a socket lent again may still
 * be for a call that ended (a peer's late retransmission, a datagram
 * queued when that call ended). The Call-IDs of the calls that ended
 * are kept (ended[]: the last ENDED_WAYS of each of ENDED_SETS sets,
 * 64-bit hashes, FNV-1a); a datagram a peer sent there (decoded here,
 * not siptap's own other endpoint's) whose Call-ID is one of them and
 * not one the new tenant's wire has (sizes_callid_h) is dropped unseen.
 * Anything else goes to the new tenant's wire, as a message to a port
 * the kernel gave again would. 32768 Call-IDs, about the last 8000
 * calls of a worker to 98 % (a set holds its last four), 256 KB made
 * once (sizes_udp_pool_init).
 */
enum {
	POOL_MAX   = 1024,   /* sockets given back, at most       */
	TAKE_SCAN  = 8,      /* given back ones looked at for one  */
	ENDED_SETS = 8192,
	ENDED_WAYS = 4,
};

static void watch_quiet(struct sizes_udp *w);

static struct list idle;     /* given back, the longest idle first */
static size_t idle_n;
static bool pool_on;         /* udp_listen may take one            */
static uint64_t *ended;      /* [ENDED_SETS][ENDED_WAYS], newest first */
static size_t late_n;        /* datagrams of ended calls dropped    */


static uint64_t id_hash(const struct pl *id)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < id->l; i++) {
		h ^= (uint8_t)id->p[i];
		h *= 0x100000001b3ULL;
	}

	return h ? h : 1;   /* 0: an empty slot */
}


static uint64_t *ended_set(uint64_t h)
{
	return &ended[(h % ENDED_SETS) * ENDED_WAYS];
}


/* Whether id is a Call-ID of a call that ended */
static bool ended_had(const struct pl *id)
{
	const uint64_t h = id_hash(id);
	const uint64_t *set;
	size_t i;

	if (!ended)
		return false;
	set = ended_set(h);
	for (i = 0; i < ENDED_WAYS; i++)
		if (set[i] == h)
			return true;

	return false;
}


/* One given back with local's address (port 0: any), taken out of the
 * idle list, when the caller asked (sizes_udp_pool) and one is free:
 * only its watch holds it (a decoded message may hold one a while). */
static struct sizes_udp *idle_take(const struct sa *local)
{
	struct le *le;
	unsigned n = 0;

	if (!pool_on || !local || sa_port(local))
		return NULL;

	for (le = idle.head; le && n < TAKE_SCAN; le = le->next, n++) {
		struct sizes_udp *w = le->data;

		if (mem_nrefs(w->us) != 1 ||
		    !sa_cmp(&w->laddr, local, SA_ADDR))
			continue;
		list_unlink(&w->le);
		--idle_n;
		return w;
	}

	return NULL;
}


/**
 * Makes the table of the calls that ended, before the first call (its
 * 256 KB are the worker's, not a call's). 0 or ENOMEM.
 */
int sizes_udp_pool_init(void)
{
	if (ended)
		return 0;
	ended = mem_alloc(ENDED_SETS * ENDED_WAYS * sizeof(*ended), NULL);
	if (!ended)
		return ENOMEM;
	memset(ended, 0, ENDED_SETS * ENDED_WAYS * sizeof(*ended));

	return 0;
}


static void idle_add(struct sizes_udp *w)
{
	w->idle = true;
	w->reused = true;
	list_append(&idle, &w->le, w);
	++idle_n;
}


/**
 * Whether the UDP sockets libre makes next (sip_transp_add) may be ones
 * given back (sizes_udp_release), and be given back in their turn.
 * siptap load's calls ask; siptap run's tests never do. One taken and
 * not watched when the asking ends (the endpoint failed after it) goes
 * back at once: its transport, while it lasts, hears nothing.
 */
void sizes_udp_pool(bool on)
{
	pool_on = on;
	if (on || !udp_last_lent)
		return;

	idle_add(udp_last_lent);
	udp_last_lent = NULL;
	udp_last = NULL;
}


/**
 * Lets go of a watch (and of its socket, once libre's transport lets
 * go): a socket of sizes_udp_pool() is given back for another call;
 * any other goes.
 */
void sizes_udp_release(struct sizes_udp *w)
{
	if (!w)
		return;
	if (!w->pooled || !ended || idle_n >= POOL_MAX) {
		mem_deref(w);
		return;
	}

	watch_quiet(w);
	hash_unlink(&w->le);
	idle_add(w);
}


/** Keeps id as a Call-ID of a call that ended (sizes_udp_pool_init). */
void sizes_udp_ended(const struct pl *id)
{
	uint64_t h, *set;
	size_t i;

	if (!ended || !id)
		return;

	/* the newest first: one that is there already moves up */
	h = id_hash(id);
	set = ended_set(h);
	for (i = 0; i < ENDED_WAYS - 1 && set[i] != h; i++)
		;
	for (; i > 0; i--)
		set[i] = set[i - 1];
	set[0] = h;
}


/** Datagrams of calls that ended dropped at sockets lent again. */
size_t sizes_udp_late(void)
{
	return late_n;
}


/** Closes the sockets given back. */
void sizes_udp_pool_flush(void)
{
	struct le *le;

	while ((le = idle.head)) {
		list_unlink(le);
		mem_deref(le->data);
	}
	idle_n = 0;
}


/* libre's, then: whole datagrams, a larger receive buffer */
int udp_listen(struct udp_sock **usp, const struct sa *local,
	       udp_recv_h *rh, void *arg)
{
	/* (dlsym'd once: two calls a call under siptap load, each a
	 * look-up in every loaded object) */
	static udp_listen_f *listen;
	int err, fd, sz = UDP_RCVBUF;
	bool forced;

	if (!listen)
		listen = real("udp_listen");

	udp_last_lent = idle_take(local);
	if (udp_last_lent) {
		struct sizes_udp *w = udp_last_lent;

		*usp = mem_ref(w->us);
		udp_handler_set(w->us, rh, arg);
		udp_last_rh     = rh;
		udp_last_rarg   = arg;
		udp_last        = w->us;
		udp_last_forced = w->forced;
		udp_last_addr   = w->laddr;
		return 0;
	}

	making_begin();
	err = made(listen(usp, local, rh, arg));
	if (err)
		return err;
	udp_last_any = local && !sa_port(local);

	udp_rxsz_set(*usp, UDP_RXSZ);
	udp_last_rh   = rh;
	udp_last_rarg = arg;
	fd = udp_sock_fd(*usp, local ? sa_af(local) : AF_INET);
	forced = fd >= 0 && !setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
					sizeof(sz));
	if (fd >= 0 && !forced)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	udp_last        = *usp;
	udp_last_forced = forced;
	sa_init(&udp_last_addr, AF_UNSPEC);

	return 0;
}


/* libre's udp_send (dlsym'd once: a look-up per datagram cost more
 * than the send's own bookkeeping) */
static udp_send_f *real_send(void)
{
	static udp_send_f *send;

	if (!send)
		send = real("udp_send");

	return send;
}


/* From a watched socket, in order: now when there is room, later when
 * there is not or the kernel says try again. */
int udp_send(struct udp_sock *us, const struct sa *dst, struct mbuf *mb)
{
	udp_send_f *send = real_send();
	struct sizes_udp *from = watch_by_sock(us);
	int err;

	if (!from || !dst || !mb)
		return send(us, dst, mb);

	if (!pendings.head && room(dst, mbuf_get_left(mb))) {
		err = send(us, dst, mb);
		if (!retryable(err))
			return err;
	}

	return pending_add(from, dst, mb);
}


/* libre's asks the kernel (getsockname) for the socket's address, and
 * libre's sip_transp_send() asks on every message it sends, for the
 * trace handler: a watched socket's address is known (sizes_udp_watch
 * took it from here), and so is the last made one's once asked
 * (sip_transp_add() asks, then sizes_udp_watch), so those ask no more. */
int udp_local_get(const struct udp_sock *us, struct sa *local)
{
	static udp_local_get_f *local_get;
	const struct sizes_udp *w = us && local && watch_socks ?
		watch_by_sock(us) : NULL;
	int err;

	if (w) {
		*local = w->laddr;
		return 0;
	}
	if (us && local && us == udp_last && sa_isset(&udp_last_addr, SA_ALL)) {
		*local = udp_last_addr;
		return 0;
	}
	if (!local_get)
		local_get = real("udp_local_get");

	err = local_get(us, local);
	if (!err && us && local && us == udp_last)
		udp_last_addr = *local;

	return err;
}


/* A watch's tenant goes: what still waits to or from its socket goes
 * too (nobody reads it), and a decoding kept for it */
static void watch_quiet(struct sizes_udp *w)
{
	struct le *le = pendings.head;

	wire_kept_forget(w->us);
	while (le) {
		struct pending *p = le->data;

		le = le->next;
		if (p->from == w || sa_cmp(&p->dst, &w->laddr, SA_ALL))
			mem_deref(p);
	}
	if (!pendings.head)
		tmr_cancel(&pending_tmr);
}


static void watch_destructor(void *arg)
{
	struct sizes_udp *w = arg;

	hash_unlink(&w->le);
	hash_unlink(&w->sock_le);
	mem_deref(w->tap);
	watch_quiet(w);
	if (w->pooled)
		mem_deref(w->us);
}


/* The decoding of the datagram tap_recv() just let through, for libre's
 * SIP transport, which decodes it next (sip_msg_decode below): mb at
 * pos..end as tap_recv() saw it, and where libre's decoding would leave
 * mb->pos (at the body). */
static struct {
	const struct mbuf *mb;
	size_t pos, end, after;
	struct sip_msg *msg;
} armed;


static void arm(struct mbuf *mb, struct sip_msg *msg, size_t after)
{
	mem_deref(armed.msg);
	armed.mb    = mb;
	armed.pos   = mb->pos;
	armed.end   = mb->end;
	armed.after = after;
	armed.msg   = msg;
}


/**
 * libre's (hdrdec.c's copy of it, the same message), but a datagram at one of siptap's UDP sockets is decoded once
 * only: libre 1.1.0's UDP transport decodes what a helper let through,
 * and tap_recv() had a decoding of those very bytes at hand (its own,
 * or the one the sender's wire made: wire_kept_take). The first call
 * after tap_recv() gets it when it asks for that datagram (the same mb,
 * at the same place); any other call decodes, as libre does.
 */
int sip_msg_decode(struct sip_msg **msgp, struct mbuf *mb)
{
	struct sip_msg *msg = armed.msg;

	armed.msg = NULL;
	if (msg && msgp && mb == armed.mb && mb->pos == armed.pos &&
	    mb->end == armed.end) {
		mb->pos = armed.after;
		*msgp = msg;
		return 0;
	}
	mem_deref(msg);

	return hdrdec_msg(msgp, mb);
}


/* udp_helper_recv_h, before libre's SIP transport: every datagram to
 * the raw handler; one libre cannot decode stops here. libre itself
 * skips datagrams of up to 4 bytes and answers STUN (RFC 5626 8.4
 * keepalives): those go on as they are, and only CR LF is no message. */
static bool tap_recv(struct sa *src, struct mbuf *mb, void *arg)
{
	struct sizes_udp *w = arg;
	const uint8_t *p = mbuf_buf(mb);
	const size_t len = mbuf_get_left(mb);
	struct stun_unknown_attr ua;
	struct stun_msg *stun = NULL;
	struct sip_msg *msg = NULL;
	size_t after;
	char why[256];
	int err;

	/* given back: as if closed */
	if (w->idle)
		return true;

	/* someone else's bytes took room siptap's sends did not count */
	if (w->budget && !watch_by_addr(src))
		w->budget = 0;

	if (keepalive(p, len))
		return false;

	if (len > 4 && !stun_msg_decode(&stun, mb, &ua)) {
		mem_deref(stun);
		mb->pos = p - mb->buf;
		return false;
	}
	mb->pos = p - mb->buf;

	/* between siptap's own UAC and UAS every datagram is decoded on
	 * the sender's wire already, and that decoding is kept for libre
	 * (sip_msg_decode above); a datagram of anyone else's is decoded
	 * here, and this decoding is libre's */
	if (len <= 4)
		err = EBADMSG;
	else if ((msg = wire_kept_take(p, len)))
		err = 0;
	else if (known_handler && known_handler(&w->laddr, p, len))
		err = 0;
	else if (!(err = sip_msg_decode(&msg, mb)) && w->reused &&
		 ended_had(&msg->callid) && !(callid_handler &&
		 callid_handler(&w->laddr, &msg->callid))) {
		/* a peer's, late, to a call that ended */
		mem_deref(msg);
		++late_n;
		return true;
	}
	/* where libre's own decoding would leave mb->pos: at the body */
	after = !msg ? 0 : msg->mb == mb ? mb->pos :
		(size_t)(p - mb->buf) + msg->mb->pos;
	mb->pos = p - mb->buf;
	if (!err && wire_start_reason(why, sizeof(why), p, len))
		err = EBADMSG;
	else if (err)
		(void)re_snprintf(why, sizeof(why), "libre could not decode "
				  "it: %m", err);
	if (!err && link_handler && link_handler(&w->laddr, src, mb)) {
		mem_deref(msg);
		return true;
	}
	mb->pos = p - mb->buf;
	wire_fresh(p, len, msg);
	raw(&w->laddr, src, SIP_TRANSP_UDP, p, len, err ? why : NULL);
	wire_fresh(NULL, 0, NULL);

	/* after raw(): the wire may decode on its own meanwhile */
	mb->pos = p - mb->buf;
	if (!err && msg)
		arm(mb, msg, after);
	else
		mem_deref(msg);

	return err != 0;
}


/* The watch of the socket udp_listen() just lent again, for its new
 * tenant: its drops counted from now, its budget what is free now (a
 * datagram of an earlier tenant's may wait in it). */
static int watch_lend(struct sizes_udp **wp)
{
	struct sizes_udp *w = udp_last_lent;
	uint32_t mi[SK_MEMINFO_VARS];

	udp_last_lent = NULL;
	udp_last = NULL;
	w->idle = false;
	w->budget = 0;
	w->drops0 = 0;
	if (meminfo(w->fd, mi)) {
		w->drops0 = mi[SK_MEMINFO_DROPS];
		(void)budget_set(w, mi);
	}
	hash_append(watch_ports, sa_port(&w->laddr), &w->le, w);
	*wp = w;

	return 0;
}


/* Watches the UDP socket libre just made on laddr (sip_transp_add):
 * datagrams to it are paced, and its drops counted from now on. */
int sizes_udp_watch(struct sizes_udp **wp, const struct sa *laddr)
{
	struct sizes_udp *w;
	struct sa a;
	int err;

	if (!wp || !laddr || !udp_last || udp_local_get(udp_last, &a) ||
	    !sa_cmp(&a, laddr, SA_ALL))
		return ENOENT;
	if (udp_last_lent && udp_last_lent->us == udp_last)
		return watch_lend(wp);
	if ((!watch_ports && hash_alloc(&watch_ports, WATCH_BUCKETS)) ||
	    (!watch_socks && hash_alloc(&watch_socks, WATCH_BUCKETS)))
		return ENOMEM;

	w = mem_zalloc(sizeof(*w), watch_destructor);
	if (!w)
		return ENOMEM;

	w->us    = udp_last;
	w->rh    = udp_last_rh;
	w->rarg  = udp_last_rarg;
	w->fd    = udp_sock_fd(udp_last, sa_af(laddr));
	w->laddr = *laddr;
	/* made a moment ago: empty, nothing dropped yet, and its buffer
	 * as big as the last one made the same way (the kernel is asked
	 * when it is first unknown) */
	w->forced = udp_last_forced;
	if (w->forced && rcvbuf_forced > ROOM_SLACK)
		w->budget = min(rcvbuf_forced - ROOM_SLACK,
				rcvbuf_forced / BUDGET_PART);
	hash_append(watch_ports, sa_port(laddr), &w->le, w);
	hash_append(watch_socks, sock_key(w->us), &w->sock_le, w);
	/* to be given back: it holds its socket past libre's transport
	 * (not a port asked for: --uas-listen binds it again) */
	if (pool_on && udp_last_any) {
		w->pooled = true;
		mem_ref(w->us);
	}

	/* the lowest layer: its receive handler runs first */
	err = udp_register_helper(&w->tap, udp_last, INT_MIN, NULL,
				  tap_recv, w);
	udp_last = NULL;
	if (err) {
		mem_deref(w);
		return err;
	}
	*wp = w;

	return 0;
}


/* A datagram the link handler took, to libre now as if it had just
 * come (its wire entry is the link's to make). ENOENT: the socket is
 * gone. */
int sizes_udp_deliver(const struct sa *laddr, const struct sa *paddr,
		      const uint8_t *p, size_t len)
{
	struct sizes_udp *w = watch_by_addr(laddr);
	struct mbuf *mb;
	struct sa src = *paddr;

	if (!w || !w->rh)
		return ENOENT;

	mb = mbuf_alloc(len + 1);
	if (!mb)
		return ENOMEM;
	(void)mbuf_write_mem(mb, p, len);
	mb->pos = 0;
	w->rh(&src, mb, w->rarg);
	mem_deref(mb);

	return 0;
}


/* Datagrams the kernel dropped at the socket (its receive buffer was
 * full) since it was made. */
unsigned sizes_udp_drops(const struct sizes_udp *w)
{
	uint32_t mi[SK_MEMINFO_VARS];

	if (!w || !meminfo(w->fd, mi))
		return 0;

	return mi[SK_MEMINFO_DROPS] - w->drops0;
}


/* --- TCP and TLS --------------------------------------------------------- */

static void framer_destructor(void *arg)
{
	struct framer *f = arg;

	list_unlink(&f->le);
	tmr_cancel(&f->tmr);
	mem_deref(f->th);
	mem_deref(f->acc);
}


static void cut_deliver(struct framer *f);


/* Framers whose connection is gone: theirs is the last reference. What
 * one still held is a message cut short, on the wire as such. */
void sizes_sweep(void)
{
	struct le *le = framers.head;

	ws_sweep();
	while (le) {
		struct framer *f = le->data;

		le = le->next;
		if (mem_nrefs(f->th) == 1) {
			cut_deliver(f);
			mem_deref(f);
		}
	}
}


/* Where the head at p ends (after its empty line, CR LF or a bare LF:
 * a peer that ends lines with LF alone is still framed), 0 when the
 * empty line is not here yet. ws.c's messages end the same way. */
size_t sizes_head_end(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}

	return 0;
}


/* The first line at p is whole and no SIP start line could be it (three
 * parts, text only): bytes a stream cannot be read on from. */
static bool not_sip(const uint8_t *p, size_t len)
{
	const uint8_t *nl = memchr(p, '\n', len);
	size_t i, n;

	if (!nl)
		return false;

	n = nl - p;
	if (n && p[n - 1] == '\r')
		--n;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\t')
			return true;

	return re_regex((const char *)p, n, "[^ \t]+ [^ \t]+ [^\r\n]*", NULL,
			NULL, NULL) != 0;
}


/* The value of the head's Content-Length (or "l"), -1 when it has none
 * or one that is no number. */
static long clen_get(const uint8_t *p, size_t n)
{
	struct pl line, name, val;
	const char *q = (const char *)p, *end = q + n;

	/* the start line first: it is no header */
	while (q < end && *q != '\n')
		++q;

	while (++q < end) {
		const char *eol = memchr(q, '\n', end - q);

		line.p = q;
		line.l = (eol ? eol : end) - q;
		q = eol ? eol : end;

		if (re_regex(line.p, line.l,
			     "[^ \t:]+[ \t]*:[ \t]*[0-9]+[ \t\r]*",
			     &name, NULL, NULL, &val, NULL) ||
		    name.p != line.p)
			continue;
		if (pl_strcasecmp(&name, "content-length") &&
		    pl_strcasecmp(&name, "l"))
			continue;
		if (val.l > 9)
			return LONG_MAX / 2;

		return (long)pl_u32(&val);
	}

	return -1;
}


enum frame { FRAME_WAIT, FRAME_MSG, FRAME_JUNK, FRAME_OVER };

static const char CLOSED[] = "no SIP message: siptap closed the connection "
	"(a next message could start anywhere)";
static const char DEAF[] = "no SIP message: siptap takes nothing more from "
	"this connection (a next message could start anywhere)";

/* What the bytes at p begin with: a whole message of *size bytes
 * (*clen false: it has no Content-Length, and ends at its empty line),
 * not yet a whole one, bytes that are no SIP (JUNK, all of them), or a
 * message over SIZES_STREAM_MAX (*size). */
static enum frame frame_next(const uint8_t *p, size_t len, size_t *size,
			     bool *clen)
{
	const size_t he = sizes_head_end(p, len);
	long cl;

	*size = len;
	*clen = false;
	if (not_sip(p, len))
		return FRAME_JUNK;
	if (!he)
		return len > SIZES_STREAM_MAX ? FRAME_OVER : FRAME_WAIT;

	cl = clen_get(p, he);
	if (cl < 0) {
		*size = he;
		return FRAME_MSG;
	}

	*clen = true;
	*size = he + (size_t)cl;
	if (*size > SIZES_STREAM_MAX)
		return FRAME_OVER;

	return len < *size ? FRAME_WAIT : FRAME_MSG;
}


static void framer_lost(struct framer *f, size_t size)
{
	struct sa laddr, paddr;

	sa_init(&laddr, AF_UNSPEC);
	sa_init(&paddr, AF_UNSPEC);
	(void)tcp_conn_local_get(f->tc, &laddr);
	(void)tcp_conn_peer_get(f->tc, &paddr);
	f->lost = true;
	loss(f->tls ? SIP_TRANSP_TLS : SIP_TRANSP_TCP, &laddr,
	     "siptap could not take a message of %zu bytes from %J "
	     "at %J: over its limit of %u bytes for a message over TCP or "
	     "TLS; it closed the connection", size, &paddr, &laddr,
	     (unsigned)SIZES_STREAM_MAX);
}


/* One message of a SIP connection, at pos of acc: to the raw handler,
 * and true when libre is to get it (it decodes, and has the
 * Content-Length libre needs on a stream: without, libre would close
 * the connection). A peer's connection (not tap) takes everything. */
static bool frame_deliver(struct framer *f, struct mbuf *acc, size_t pos,
			  size_t size, bool clen, const char *junk)
{
	const size_t end = acc->end;
	struct sip_msg *msg = NULL;
	char why[160];
	int err;

	if (!f->tap)
		return true;

	acc->pos = pos;
	acc->end = pos + size;
	err = junk ? EBADMSG : sip_msg_decode(&msg, acc);
	acc->end = end;

	if (junk)
		str_ncpy(why, junk, sizeof(why));
	else if (!err && wire_start_reason(why, sizeof(why), acc->buf + pos,
					   size))
		err = EBADMSG;
	else if (err)
		(void)re_snprintf(why, sizeof(why), "libre could not decode "
				  "it: %m", err);
	else if (!clen)
		str_ncpy(why, "it has no Content-Length, which a message "
			 "over a stream must have (RFC 3261 18.3, 20.14); "
			 "siptap took it to end at its empty line",
			 sizeof(why));

	/* the wire takes its head from this decoding */
	wire_fresh(acc->buf + pos, size, msg);
	raw(&f->laddr, &f->paddr, f->tls ? SIP_TRANSP_TLS : SIP_TRANSP_TCP,
	    acc->buf + pos, size, err || !clen ? why : NULL);
	wire_fresh(NULL, 0, NULL);
	mem_deref(msg);

	return !err && clen;
}


/* While the start of a message waits: when the connection is gone (the
 * framer holds the last reference to its helper), the bytes are what
 * the peer sent, cut short; they go on the wire as such. */
static void cut_deliver(struct framer *f)
{
	char why[128];

	if (!f->acc || !f->tap)
		return;

	(void)re_snprintf(why, sizeof(why), "the connection closed before "
			  "the message was whole (%zu bytes came)",
			  f->acc->end);
	(void)frame_deliver(f, f->acc, 0, f->acc->end, true, why);
	f->acc = mem_deref(f->acc);
}


static void cut_check(void *arg)
{
	struct framer *f = arg;

	if (f->acc && mem_nrefs(f->th) > 1)
		tmr_start(&f->tmr, CUT_CHECK_MS, cut_check, f);
	else
		cut_deliver(f);
}


/* tcp_helper_recv_h: whole messages go up, each to the raw handler
 * first; what libre is not to get stays here, and so does the start of
 * a message not whole yet. Bytes that are no SIP close the connection
 * (there is no telling where a message would start again), or, after
 * whole messages in the same read, leave it deaf. */
static bool framer_recv(int *err, struct mbuf *mb, bool *estab, void *arg)
{
	struct framer *f = arg;
	struct mbuf *up = NULL;
	size_t pos = 0, size;
	bool clen, any;
	(void)estab;

	if (f->lost)
		return true;

	if (!sa_isset(&f->laddr, SA_ALL)) {
		(void)tcp_conn_local_get(f->tc, &f->laddr);
		(void)tcp_conn_peer_get(f->tc, &f->paddr);
	}

	if (f->deaf) {
		raw(&f->laddr, &f->paddr, f->tls ? SIP_TRANSP_TLS :
		    SIP_TRANSP_TCP, mbuf_buf(mb), mbuf_get_left(mb), DEAF);
		return true;
	}

	if (!f->acc) {
		f->acc = mbuf_alloc(mbuf_get_left(mb) + 1);
		if (!f->acc) {
			*err = ENOMEM;
			return true;
		}
	}
	f->acc->pos = f->acc->end;
	*err = mbuf_write_mem(f->acc, mbuf_buf(mb), mbuf_get_left(mb));
	if (*err)
		return true;

	up = mbuf_alloc(mbuf_get_left(mb) + 1);
	if (!up) {
		*err = ENOMEM;
		return true;
	}

	while (!*err && pos < f->acc->end) {
		const uint8_t *p = f->acc->buf + pos;
		const size_t left = f->acc->end - pos;
		enum frame fr;

		/* keepalives go up as they are: libre answers them */
		if (left >= 2 && !memcmp(p, "\r\n", 2)) {
			*err = mbuf_write_mem(up, p, 2);
			pos += 2;
			continue;
		}

		fr = frame_next(p, left, &size, &clen);
		if (fr == FRAME_WAIT)
			break;
		if (fr == FRAME_OVER) {
			framer_lost(f, size);
			*err = EOVERFLOW;
			break;
		}
		/* after no SIP, a next message could start anywhere: the
		 * connection closes, or, when whole messages came before in
		 * this read (libre is to get them), goes deaf */
		if (fr == FRAME_JUNK && f->tap)
			f->deaf = up->end > 0;
		if (frame_deliver(f, f->acc, pos, size, clen, fr != FRAME_JUNK
				  ? NULL : f->deaf ? DEAF : CLOSED))
			*err = mbuf_write_mem(up, p, size);
		pos += size;
		if (fr == FRAME_JUNK && f->tap && !f->deaf)
			*err = EBADMSG;
	}

	/* the rest waits for more */
	if (pos >= f->acc->end) {
		f->acc = mem_deref(f->acc);
	}
	else if (pos) {
		memmove(f->acc->buf, f->acc->buf + pos, f->acc->end - pos);
		f->acc->end -= pos;
	}

	any = up->end > 0;
	if (!*err && any) {
		mb->pos = mb->end = 0;
		*err = mbuf_write_mem(mb, up->buf, up->end);
		mb->pos = 0;
	}
	if (*err == EOVERFLOW || *err == EBADMSG)
		f->acc = mem_deref(f->acc);
	if (f->acc && f->tap && !tmr_isrunning(&f->tmr))
		tmr_start(&f->tmr, CUT_CHECK_MS, cut_check, f);
	mem_deref(up);

	return *err || !any;
}


/* tcp_helper_recv_h below TLS: the first bytes of a connection tell
 * whether it is TLS (a handshake record), for the raw handler. */
static bool sniff_recv(int *err, struct mbuf *mb, bool *estab, void *arg)
{
	struct framer *f = arg;
	(void)err;
	(void)estab;

	if (!f->sniffed && mbuf_get_left(mb)) {
		f->tls     = mbuf_buf(mb)[0] == TLS_HANDSHAKE;
		f->sniffed = true;
	}

	return false;
}


static int frame(struct tcp_conn *tc, bool tap)
{
	struct framer *f;
	int err;

	sizes_sweep();
	f = mem_zalloc(sizeof(*f), framer_destructor);
	if (!f)
		return ENOMEM;

	f->tc  = tc;
	f->tap = tap;
	err = tcp_register_helper(&f->th, tc, FRAMER_LAYER, NULL, NULL,
				  framer_recv, f);
	if (!err && tap)
		err = tcp_register_helper(&f->sniff, tc, SNIFF_LAYER, NULL,
					  NULL, sniff_recv, f);
	if (err) {
		mem_deref(f);
		return err;
	}
	mem_ref(f->th);
	list_append(&framers, &f->le, f);

	return 0;
}


/* Frames a connection of siptap's own (the hostile peer's): its receive
 * handler gets whole messages, each as it came, and one over
 * SIZES_STREAM_MAX is a loss (the connection closes). */
int sizes_frame(struct tcp_conn *tc)
{
	return frame(tc, false);
}


/* On every connection: reads of 64 KB, a send queue for big messages;
 * libre's (the SIP transports') framed, or, to or from a WebSocket
 * listener (ts accepted it, or it goes to peer), upgraded and framed by
 * ws.c instead. */
static void conn_setup(struct tcp_conn *tc, struct tcp_sock *ts,
		       const struct sa *peer, const void *caller)
{
	static Dl_info libre;
	Dl_info ci;

	tcp_conn_rxsz_set(tc, TCP_RXSZ);
	tcp_conn_txqsz_set(tc, TCP_TXQSZ);

	if (!libre.dli_fbase && !dladdr(real("tcp_connect"), &libre))
		return;
	if (!dladdr(caller, &ci) || ci.dli_fbase != libre.dli_fbase)
		return;   /* siptap's own: the peer frames its, the agent not */

	if (!ws_attach(tc, ts, peer))
		(void)frame(tc, true);
}


int tcp_accept(struct tcp_conn **tcp, struct tcp_sock *ts, tcp_estab_h *eh,
	       tcp_recv_h *rh, tcp_close_h *ch, void *arg)
{
	tcp_accept_f *accept = real("tcp_accept");
	int err;

	err = accept(tcp, ts, eh, rh, ch, arg);
	if (!err)
		conn_setup(*tcp, ts, NULL, __builtin_return_address(0));

	return err;
}


int tcp_connect(struct tcp_conn **tcp, const struct sa *peer,
		tcp_estab_h *eh, tcp_recv_h *rh, tcp_close_h *ch, void *arg)
{
	tcp_connect_f *connect = real("tcp_connect");
	int err;

	err = connect(tcp, peer, eh, rh, ch, arg);
	if (!err)
		conn_setup(*tcp, NULL, peer, __builtin_return_address(0));

	return err;
}


/* libre's, remembering the socket: sip_transp_add() keeps it to itself,
 * and a WebSocket listener (ws.c) is known by it. */
int tcp_listen(struct tcp_sock **tsp, const struct sa *local,
	       tcp_conn_h *ch, void *arg)
{
	tcp_listen_f *listen = real("tcp_listen");
	int err;

	making_begin();
	err = made(listen(tsp, local, ch, arg));
	if (!err)
		tcp_last = *tsp;

	return err;
}


/* The socket the last tcp_listen() made (then forgotten here). */
struct tcp_sock *sizes_tcp_last(void)
{
	struct tcp_sock *ts = tcp_last;

	tcp_last = NULL;
	return ts;
}
