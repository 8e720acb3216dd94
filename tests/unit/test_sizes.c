/**
 * @file test_sizes.c  Unit tests of src/sip/sizes.c: the limits, the
 * sender's refusal, the framer on a real 127.0.0.1 TCP connection, and
 * the sockets libre makes for siptap (flags, epoll entries) and those
 * siptap load gives back and lends again
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <re.h>
#include "sizes.h"


static void limits(void **state)
{
	(void)state;

	assert_int_equal(sizes_check(SIP_TRANSP_UDP, 65507), 0);
	assert_int_equal(sizes_check(SIP_TRANSP_UDP, 65508), EMSGSIZE);
	assert_string_equal(sizes_strerror(EMSGSIZE), "the message would be "
			    "65508 bytes, over the 65507 siptap sends in one "
			    "UDP datagram (TCP and TLS carry up to 4194304)");
	assert_int_equal(sizes_check(SIP_TRANSP_TCP, 4194304), 0);
	assert_int_equal(sizes_check(SIP_TRANSP_TLS, 4194305), EMSGSIZE);
	assert_non_null(strstr(sizes_strerror(EMSGSIZE), "4194305 bytes, "
			       "over the 4194304"));
	/* the kernel's own EMSGSIZE, after ours was told */
	assert_string_equal(sizes_strerror(EMSGSIZE), strerror(EMSGSIZE));
}


/* A server connection framed by sizes_frame(); the client writes a
 * stream in one go, the kernel and libre cut it as they like. */
struct pair {
	struct tcp_sock *ts;
	struct tcp_conn *srv;
	struct tcp_conn *cli;
	struct mbuf *out;          /* what the client sends           */
	struct mbuf *got;          /* what the server's handler got   */
	size_t endv[8];            /* where each message ends in out  */
	size_t endc;
	bool split;                /* a delivery ended mid-message    */
	int closed;                /* the server's close error        */
	size_t lost;
	struct tmr tmr;
};

static struct pair *the_pair;


static bool at_end(const struct pair *p, size_t off)
{
	size_t i;

	for (i = 0; i < p->endc; i++)
		if (p->endv[i] == off)
			return true;

	return false;
}


static void srv_recv(struct mbuf *mb, void *arg)
{
	struct pair *p = arg;

	(void)mbuf_write_mem(p->got, mbuf_buf(mb), mbuf_get_left(mb));
	if (!at_end(p, p->got->end))
		p->split = true;
	if (p->got->end == p->out->end)
		re_cancel();
}


static void srv_close(int err, void *arg)
{
	struct pair *p = arg;

	p->closed = err ? err : -1;
	re_cancel();
}


static void conn_handler(const struct sa *peer, void *arg)
{
	struct pair *p = arg;
	(void)peer;

	assert_int_equal(tcp_accept(&p->srv, p->ts, NULL, srv_recv,
				    srv_close, p), 0);
	assert_int_equal(sizes_frame(p->srv), 0);
}


static void cli_estab(void *arg)
{
	struct pair *p = arg;

	p->out->pos = 0;
	assert_int_equal(tcp_send(p->cli, p->out), 0);
}


static void cli_close(int err, void *arg)
{
	(void)err;
	(void)arg;
}


static void timeout(void *arg)
{
	(void)arg;
	re_cancel();
}


static void loss(enum sip_transp tp, const struct sa *laddr,
		 const char *why)
{
	const char *n = strstr(why, "a message of ");

	(void)tp;
	(void)laddr;
	the_pair->lost = n ? strtoul(n + 13, NULL, 10) : 1;
}


/* A request with a body of blen bytes, its end noted. */
static void add_msg(struct pair *p, size_t blen, const char *clen)
{
	size_t i;

	(void)mbuf_printf(p->out, "MESSAGE sip:a@127.0.0.1 SIP/2.0\r\n"
			  "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK%zu\r\n"
			  "Call-ID: c%zu\r\nCSeq: 1 MESSAGE\r\n"
			  "l: %s\r\n\r\n", p->endc, p->endc, clen);
	for (i = 0; i < blen; i++)
		(void)mbuf_write_u8(p->out, (uint8_t)('a' + i % 26));
	p->endv[p->endc++] = p->out->end;
}


static void run(struct pair *p)
{
	struct sa a;

	the_pair = p;
	sizes_init(loss);
	sa_set_str(&a, "127.0.0.1", 0);
	assert_int_equal(tcp_listen(&p->ts, &a, conn_handler, p), 0);
	assert_int_equal(tcp_local_get(p->ts, &a), 0);
	assert_int_equal(tcp_connect(&p->cli, &a, cli_estab, NULL, cli_close,
				     p), 0);
	tmr_start(&p->tmr, 5000, timeout, NULL);
	(void)re_main(NULL);
	tmr_cancel(&p->tmr);
}


static void pair_free(struct pair *p)
{
	mem_deref(p->cli);
	mem_deref(p->srv);
	mem_deref(p->ts);
	mem_deref(p->out);
	mem_deref(p->got);
	sizes_sweep();
}


/* 1 KB, a keepalive, 1 MB and 10 bytes in one write: every delivery
 * ends where a message (or the keepalive) does, and all arrive. */
static void framer_whole(void **state)
{
	struct pair p;
	char clen[16];
	(void)state;

	memset(&p, 0, sizeof(p));
	p.out = mbuf_alloc(1100000);
	p.got = mbuf_alloc(1100000);
	add_msg(&p, 1024, "1024");
	(void)mbuf_write_str(p.out, "\r\n\r\n");
	p.endv[p.endc++] = p.out->end;
	(void)re_snprintf(clen, sizeof(clen), "%u", 1024 * 1024);
	add_msg(&p, 1024 * 1024, clen);
	add_msg(&p, 10, "10");

	run(&p);

	assert_int_equal(p.got->end, p.out->end);
	assert_memory_equal(p.got->buf, p.out->buf, p.out->end);
	assert_false(p.split);
	assert_int_equal(p.closed, 0);
	assert_int_equal(p.lost, 0);
	pair_free(&p);
}


/* A head that says 5 MB: a loss with that size, the connection closed,
 * nothing delivered. */
static void framer_over(void **state)
{
	struct pair p;
	(void)state;

	memset(&p, 0, sizeof(p));
	p.out = mbuf_alloc(1024);
	p.got = mbuf_alloc(1024);
	add_msg(&p, 10, "5000000");

	run(&p);

	assert_int_equal(p.got->end, 0);
	assert_int_equal(p.closed, EOVERFLOW);
	assert_true(p.lost > 5000000);
	pair_free(&p);
}


/* The fd of the newest listening TCP socket at addr */
static int tcp_listener_fd(const struct sa *addr)
{
	int fd, on;

	for (fd = 1023; fd > 2; fd--) {
		socklen_t len = sizeof(on);
		struct sa a;

		sa_init(&a, AF_INET);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) ||
		    !on || getsockname(fd, &a.u.sa, &a.len))
			continue;
		if (sa_cmp(&a, addr, SA_ALL))
			return fd;
	}

	return -1;
}


/* A listener libre makes for siptap is non-blocking and close-on-exec
 * from its socket() on, and a TCP one does not linger: sizes.c answers
 * libre's fcntl calls and its SO_LINGER {0, 0} for it. */
static void made_sockets(void **state)
{
	struct udp_sock *us = NULL;
	struct tcp_sock *ts = NULL;
	struct linger lg;
	socklen_t len = sizeof(lg);
	struct sa a;
	int fd;
	(void)state;

	sa_set_str(&a, "127.0.0.1", 0);
	assert_int_equal(udp_listen(&us, &a, NULL, NULL), 0);
	fd = udp_sock_fd(us, AF_INET);
	assert_true(fd > 2);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	assert_int_equal(tcp_listen(&ts, &a, NULL, NULL), 0);
	assert_int_equal(tcp_sock_local_get(ts, &a), 0);
	fd = tcp_listener_fd(&a);
	assert_true(fd > 2);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	assert_int_equal(lg.l_onoff, 0);

	mem_deref(ts);
	mem_deref(us);
}


/* libre's epoll fd (anon_inode:[eventpoll]), -1 when none */
static int epoll_fd(void)
{
	char path[64], target[64];
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		ssize_t n;

		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, "eventpoll"))
			return fd;
	}

	return -1;
}


/* Whether the epoll set ep has an entry for the file of inode ino */
static bool epoll_has(int ep, unsigned long ino)
{
	char path[64], line[256];
	bool has = false;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, " ino:");

		if (!strncmp(line, "tfd:", 4) && p &&
		    strtoul(p + 5, NULL, 16) == ino)
			has = true;
	}
	(void)fclose(f);

	return has;
}


static unsigned long udp_ino(struct udp_sock *us)
{
	struct stat st;

	assert_int_equal(fstat(udp_sock_fd(us, AF_INET), &st), 0);

	return (unsigned long)st.st_ino;
}


/* A socket of siptap's leaves libre's epoll set when it goes: by its
 * close alone when it is the process's (sizes.c spares the DEL), by the
 * DEL when a forked child has a copy (the close would leave its entry,
 * and the loop would be woken for a socket nobody reads). */
static void epoll_entries(void **state)
{
	struct udp_sock *us = NULL;
	unsigned long ino;
	struct sa a;
	int ep, p[2];
	pid_t pid;
	char c;
	(void)state;

	sa_set_str(&a, "127.0.0.1", 0);
	assert_int_equal(udp_listen(&us, &a, NULL, NULL), 0);
	ep = epoll_fd();
	assert_true(ep > 2);
	ino = udp_ino(us);
	assert_true(epoll_has(ep, ino));
	mem_deref(us);
	assert_false(epoll_has(ep, ino));

	/* made before a fork: the child holds it while the parent closes */
	assert_int_equal(udp_listen(&us, &a, NULL, NULL), 0);
	ino = udp_ino(us);
	assert_true(epoll_has(ep, ino));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		(void)close(p[1]);
		(void)read(p[0], &c, 1);
		_exit(0);
	}
	(void)close(p[0]);
	mem_deref(us);
	assert_false(epoll_has(ep, ino));
	(void)close(p[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* --- sockets given back (siptap load) --- */

struct lent {
	unsigned got;          /* datagrams libre's handler took      */
	unsigned raw;          /* ... the raw handler saw             */
	bool ours;             /* sizes_callid_h's answer             */
	struct tmr tmr;
};

static struct lent *the_lent;


static void lent_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct lent *l = arg;
	(void)src;
	(void)mb;

	++l->got;
}


static void lent_raw(const struct sa *laddr, const struct sa *paddr,
		     enum sip_transp tp, const uint8_t *p, size_t len,
		     const char *why)
{
	(void)laddr;
	(void)paddr;
	(void)tp;
	(void)p;
	(void)len;
	(void)why;
	++the_lent->raw;
}


static bool lent_callid(const struct sa *laddr, const struct pl *callid)
{
	(void)laddr;
	(void)callid;

	return the_lent->ours;
}


static void lent_stop(void *arg)
{
	(void)arg;
	re_cancel();
}


/* An OPTIONS of Call-ID id from fd to dst, then the loop for 50 ms */
static void lent_send(struct lent *l, int fd, const struct sa *dst,
		      const char *id)
{
	char msg[512];
	int n;

	n = snprintf(msg, sizeof(msg), "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK%s\r\n"
		     "From: <sip:b@127.0.0.1>;tag=1\r\n"
		     "To: <sip:a@127.0.0.1>\r\nCall-ID: %s\r\n"
		     "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
		     "Content-Length: 0\r\n\r\n", id, id);
	assert_int_equal(sendto(fd, msg, (size_t)n, 0, &dst->u.sa, dst->len),
			 n);
	tmr_start(&l->tmr, 50, lent_stop, NULL);
	(void)re_main(NULL);
}


/* A socket given back is lent again (the same socket, port and watch)
 * and reads nothing meanwhile; once lent, a datagram of a call that
 * ended is dropped unseen unless the new tenant has its Call-ID, and
 * any other reaches the raw handler and libre's. */
static void lent_again(void **state)
{
	struct udp_sock *us = NULL, *us2 = NULL;
	struct sizes_udp *w = NULL, *w2 = NULL;
	struct lent l;
	struct sa a, laddr;
	struct pl ended_id = PL("ended-1");
	int fd;
	(void)state;

	memset(&l, 0, sizeof(l));
	the_lent = &l;
	sizes_raw_handler(lent_raw);
	sizes_callid_handler(lent_callid);
	assert_int_equal(sizes_udp_pool_init(), 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd > 2);

	sa_set_str(&a, "127.0.0.1", 0);
	sizes_udp_pool(true);
	assert_int_equal(udp_listen(&us, &a, lent_recv, &l), 0);
	assert_int_equal(udp_local_get(us, &laddr), 0);
	assert_int_equal(sizes_udp_watch(&w, &laddr), 0);
	sizes_udp_pool(false);

	/* its call ends: the socket given back reads nothing */
	sizes_udp_ended(&ended_id);
	sizes_udp_release(w);
	mem_deref(us);   /* libre's transport lets go */
	lent_send(&l, fd, &laddr, "any-1");
	assert_int_equal(l.raw, 0);
	assert_int_equal(l.got, 0);

	/* not given back unless asked */
	assert_int_equal(udp_listen(&us2, &a, lent_recv, &l), 0);
	assert_ptr_not_equal(us2, us);
	us2 = mem_deref(us2);

	sizes_udp_pool(true);
	assert_int_equal(udp_listen(&us2, &a, lent_recv, &l), 0);
	assert_ptr_equal(us2, us);
	assert_int_equal(udp_local_get(us2, &a), 0);
	assert_true(sa_cmp(&a, &laddr, SA_ALL));
	assert_int_equal(sizes_udp_watch(&w2, &laddr), 0);
	assert_ptr_equal(w2, w);
	sizes_udp_pool(false);
	assert_int_equal(sizes_udp_drops(w2), 0);

	lent_send(&l, fd, &laddr, "ended-1");
	assert_int_equal(l.raw, 0);
	assert_int_equal(l.got, 0);
	assert_int_equal(sizes_udp_late(), 1);

	lent_send(&l, fd, &laddr, "new-1");
	assert_int_equal(l.raw, 1);
	assert_int_equal(l.got, 1);

	l.ours = true;   /* the new tenant's own Call-ID, an ended one's too */
	lent_send(&l, fd, &laddr, "ended-1");
	assert_int_equal(l.raw, 2);
	assert_int_equal(l.got, 2);
	assert_int_equal(sizes_udp_late(), 1);

	/* taken, then the endpoint failed before its watch: back at once */
	sizes_udp_release(w2);
	mem_deref(us2);
	sa_set_port(&a, 0);
	sizes_udp_pool(true);
	assert_int_equal(udp_listen(&us2, &a, lent_recv, &l), 0);
	assert_ptr_equal(us2, us);
	sizes_udp_pool(false);
	mem_deref(us2);
	sizes_udp_pool(true);
	assert_int_equal(udp_listen(&us2, &a, lent_recv, &l), 0);
	assert_ptr_equal(us2, us);
	assert_int_equal(sizes_udp_watch(&w2, &laddr), 0);
	assert_ptr_equal(w2, w);
	sizes_udp_pool(false);

	(void)close(fd);
	mem_deref(w2);
	mem_deref(us2);
	sizes_udp_pool_flush();
	sizes_raw_handler(NULL);
	sizes_callid_handler(NULL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(limits),
		cmocka_unit_test(framer_whole),
		cmocka_unit_test(framer_over),
		cmocka_unit_test(made_sockets),
		cmocka_unit_test(epoll_entries),
		cmocka_unit_test(lent_again),
	};
	int r;

	if (libre_init())
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();

	return r;
}
