/**
 * @file worker.c  Tests in processes of their own
 *
 * Why processes and not only a Lua hook: the hook (sandbox.c) stops any
 * Lua loop, pcall or coroutine included, but it never runs while a C
 * function runs, and Lua's pattern matcher can backtrack for hours on a
 * short string. A process can always be killed, and it keeps a test's
 * crash away from the others. Workers live for many tests: a fork per
 * test would pay for OpenSSL's and the loader's start-up in each one.
 * The run itself never polls with libre, so each worker starts libre's
 * loop afresh.
 *
 * The run sends a worker a test's number (4 bytes); the worker answers
 * with one frame: its length (4 bytes), a fixed header, then
 * length-prefixed strings (a length of UINT32_MAX is NULL).
 */
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <lua.h>
#include <re.h>
#include "runner.h"
#include "worker.h"


enum { WHERE_SIZE = 4096 };

struct result_head {
	uint32_t magic;
	uint32_t points;
	uint32_t failed;
	uint32_t todo_failed;
	uint32_t errored;
	uint32_t findings;
	uint64_t elapsed_usec;
};

static const uint32_t RESULT_MAGIC = 0x53495054;  /* "SIPT" */


uint64_t worker_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);

	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}


/* --- the child's side ------------------------------------------------- */

static int put_str(struct mbuf *mb, const char *s, size_t len)
{
	uint32_t n = s ? (uint32_t)len : UINT32_MAX;
	int err = mbuf_write_mem(mb, (const uint8_t *)&n, sizeof(n));

	if (!err && s)
		err = mbuf_write_mem(mb, (const uint8_t *)s, len);

	return err;
}


static int put_cstr(struct mbuf *mb, const char *s)
{
	return put_str(mb, s, s ? strlen(s) : 0);
}


static int put_mbuf(struct mbuf *mb, const struct mbuf *v)
{
	return put_str(mb, v ? (const char *)v->buf : NULL, v ? v->end : 0);
}


static int encode(struct mbuf *mb, const struct test *t)
{
	struct result_head h = {
		.magic        = RESULT_MAGIC,
		.points       = t->points,
		.failed       = t->failed,
		.todo_failed  = t->todo_failed,
		.errored      = t->errored,
		.findings     = list_count(&t->findings),
		.elapsed_usec = t->elapsed_usec,
	};
	struct le *le;
	int err;

	err  = mbuf_write_mem(mb, (const uint8_t *)&h, sizeof(h));
	err |= put_mbuf(mb, t->out);
	err |= put_cstr(mb, t->first_failure);
	err |= put_mbuf(mb, t->wire_log);
	err |= put_cstr(mb, t->remote_name);

	for (le = t->findings.head; le && !err; le = le->next) {
		const struct finding *f = le->data;

		err  = mbuf_write_u8(mb, f->todo);
		err |= put_cstr(mb, f->point);
		err |= put_cstr(mb, f->rule);
		err |= put_cstr(mb, f->what);
		err |= put_cstr(mb, f->raw);
	}

	return err ? ENOMEM : 0;
}


/* Writes all of buf, however the pipe takes it. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errno ? errno : EPIPE;
		off += (size_t)n;
	}

	return 0;
}


/* The worker's answer: the test's result as one frame. */
void worker_child_send(struct test *t, struct worker *w)
{
	struct mbuf *mb = mbuf_alloc(4096);
	uint32_t len;

	if (!mb || mbuf_write_u32(mb, 0) || encode(mb, t)) {
		mem_deref(mb);
		return;
	}

	len = (uint32_t)(mb->end - sizeof(len));
	memcpy(mb->buf, &len, sizeof(len));
	(void)write_all(w->res, mb->buf, mb->end);
	mem_deref(mb);
}


/* The next test's number from the run; ENOENT when the run is done. */
int worker_child_next(struct worker *w, size_t *testp)
{
	uint32_t n;
	size_t got = 0;

	while (got < sizeof(n)) {
		ssize_t r = read(w->cmd, (uint8_t *)&n + got, sizeof(n) - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return ENOENT;
		got += (size_t)r;
	}

	*testp = n;

	return 0;
}


/* The child's watch: when the Lua hook could not stop the test at
 * --timeout (it is inside a C function), SIGALRM notes the scenario
 * line that called into C on the shared page, for the run to report
 * when it kills the child. The Lua state is consistent while a C
 * function runs: reading its stack takes no allocation. Signals know
 * no context: the one test of this process is kept here. */
static struct test *watched;
static char *watched_where;


static size_t put_uint(char *p, unsigned v)
{
	char d[12];
	size_t n = 0, i;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(d));

	for (i = 0; i < n; i++)
		p[i] = d[n - 1 - i];

	return n;
}


static void alarm_handler(int sig)
{
	lua_State *co = watched ? watched->co : NULL;
	lua_Debug ar;
	int level;

	(void)sig;
	if (!co || !watched_where)
		return;

	for (level = 0; lua_getstack(co, level, &ar); level++) {
		size_t n;

		if (!lua_getinfo(co, "Sl", &ar) || ar.currentline < 0)
			continue;
		n = strlen(ar.short_src);
		if (n > WHERE_SIZE - 16)
			n = WHERE_SIZE - 16;
		memcpy(watched_where, ar.short_src, n);
		watched_where[n++] = ':';
		n += put_uint(watched_where + n, (unsigned)ar.currentline);
		watched_where[n] = '\0';
		return;
	}
}


void worker_child_watch(struct test *t, struct worker *w)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	watched = t;
	watched_where = w->where;
	w->where[0] = '\0';
	(void)signal(SIGALRM, alarm_handler);
	it.it_value.tv_sec  = t->conf->timeout_s;
	it.it_value.tv_usec = 500000;
	(void)setitimer(ITIMER_REAL, &it, NULL);
}


void worker_child_unwatch(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	(void)setitimer(ITIMER_REAL, &it, NULL);
	watched = NULL;
}


/* --- the run's side --------------------------------------------------- */

void worker_init(struct worker *w)
{
	memset(w, 0, sizeof(*w));
	w->cmd = w->res = -1;
	w->test = -1;
}


/* Forks a worker. Returns 0 in the run (w->pid set) and in the worker
 * (w->pid 0; w->cmd and w->res its ends of the pipes). */
int worker_fork(struct worker *w)
{
	int cmd[2], res[2];
	pid_t pid;

	worker_init(w);
	w->where = mmap(NULL, WHERE_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w->where == MAP_FAILED) {
		w->where = NULL;
		return errno;
	}
	w->where[0] = '\0';
	w->in = mbuf_alloc(4096);
	if (!w->in || pipe(cmd))
		goto fail;
	if (pipe(res)) {
		(void)close(cmd[0]);
		(void)close(cmd[1]);
		goto fail;
	}

	(void)fflush(stdout);
	(void)fflush(stderr);
	pid = fork();
	if (pid == 0) {
		/* the run decides when to stop: a Ctrl-C on the terminal
		 * reaches the whole process group, the run kills us; and
		 * if the run dies, so do we */
		(void)signal(SIGINT, SIG_IGN);
		(void)signal(SIGTERM, SIG_IGN);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		(void)close(cmd[1]);
		(void)close(res[0]);
		w->cmd = cmd[0];
		w->res = res[1];
		return 0;
	}

	(void)close(cmd[0]);
	(void)close(res[1]);
	w->cmd = cmd[1];
	w->res = res[0];
	if (pid < 0)
		goto fail;
	(void)fcntl(w->res, F_SETFL, O_NONBLOCK);
	w->pid = pid;

	return 0;

 fail:
	worker_close(w);
	return errno ? errno : ENOMEM;
}


/* Hands the idle worker a test. */
int worker_give(struct worker *w, size_t test, uint32_t timeout_s)
{
	uint32_t n = (uint32_t)test;
	int err = write_all(w->cmd, (const uint8_t *)&n, sizeof(n));

	if (err)
		return err;

	w->test = (long)test;
	w->in->pos = w->in->end = 0;
	w->kill_at = worker_now_ms() + (uint64_t)timeout_s * 1000 +
		WORKER_GRACE_MS;

	return 0;
}


/* Reads what the worker has sent. Returns 0 once a whole frame is
 * there, EAGAIN while more is to come, EPIPE when the worker is gone
 * (its pipe closed before the frame was whole). */
int worker_read(struct worker *w)
{
	for (;;) {
		uint32_t len;
		ssize_t n;
		int err;

		if (w->in->end >= sizeof(len)) {
			memcpy(&len, w->in->buf, sizeof(len));
			if (w->in->end >= sizeof(len) + len)
				return 0;
		}

		err = mbuf_resize(w->in, w->in->end + 65536);
		if (err)
			return err;
		n = read(w->res, w->in->buf + w->in->end,
			 w->in->size - w->in->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? EAGAIN : errno;
		if (n == 0)
			return EPIPE;
		w->in->end += (size_t)n;
	}
}


static int get_str(struct mbuf *mb, char **sp, size_t *lenp)
{
	uint32_t n;

	if (mbuf_get_left(mb) < sizeof(n))
		return EPROTO;
	(void)mbuf_read_mem(mb, (uint8_t *)&n, sizeof(n));
	*sp = NULL;
	if (n == UINT32_MAX)
		return 0;
	if (mbuf_get_left(mb) < n)
		return EPROTO;

	*sp = mem_alloc(n + 1, NULL);
	if (!*sp)
		return ENOMEM;
	(void)mbuf_read_mem(mb, (uint8_t *)*sp, n);
	(*sp)[n] = '\0';
	if (lenp)
		*lenp = n;

	return 0;
}


static int get_mbuf(struct mbuf *mb, struct mbuf **vp)
{
	char *s;
	size_t len = 0;
	int err = get_str(mb, &s, &len);

	if (err || !s)
		return err;

	*vp = mbuf_alloc(len + 1);
	if (*vp)
		err = mbuf_write_mem(*vp, (uint8_t *)s, len);
	else
		err = ENOMEM;
	mem_deref(s);

	return err;
}


static int get_finding(struct mbuf *mb, struct test *t)
{
	struct finding *f;
	int err;

	if (!mbuf_get_left(mb))
		return EPROTO;

	f = runner_finding_new(t);
	if (!f)
		return ENOMEM;

	f->todo = mbuf_read_u8(mb) != 0;
	err = get_str(mb, &f->point, NULL);
	if (!err)
		err = get_str(mb, &f->rule, NULL);
	if (!err)
		err = get_str(mb, &f->what, NULL);
	if (!err)
		err = get_str(mb, &f->raw, NULL);

	return err;
}


/* The child's record into the run's struct test. EPROTO: the child
 * died before it sent a whole one. */
int worker_result(struct worker *w, struct test *t)
{
	struct mbuf *mb = w->in;
	struct result_head h;
	uint32_t i;
	int err;

	mb->pos = sizeof(uint32_t);   /* past the frame's length */
	if (mbuf_get_left(mb) < sizeof(h))
		return EPROTO;
	(void)mbuf_read_mem(mb, (uint8_t *)&h, sizeof(h));
	if (h.magic != RESULT_MAGIC)
		return EPROTO;

	t->out = mem_deref(t->out);
	err = get_mbuf(mb, &t->out);
	if (!err)
		err = get_str(mb, &t->first_failure, NULL);
	if (!err)
		err = get_mbuf(mb, &t->wire_log);
	if (!err)
		err = get_str(mb, &t->remote_name, NULL);
	for (i = 0; !err && i < h.findings; i++)
		err = get_finding(mb, t);
	if (err)
		return err;

	w->test = -1;
	t->points       = h.points;
	t->failed       = h.failed;
	t->todo_failed  = h.todo_failed;
	t->errored      = h.errored != 0;
	t->elapsed_usec = h.elapsed_usec;

	return 0;
}


void worker_kill(struct worker *w)
{
	if (w->pid > 0)
		(void)kill(w->pid, SIGKILL);
}


/* Reaps the child, which is gone or going: its pipe closed, or it
 * was killed. Returns its wait status, or -1. */
int worker_reap(struct worker *w)
{
	int status = -1;

	if (w->pid <= 0)
		return -1;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	w->pid = 0;

	return status;
}


/* Closes the pipes (an idle worker then ends), reaps the worker and
 * unmaps the shared page. */
void worker_close(struct worker *w)
{
	if (w->cmd >= 0)
		(void)close(w->cmd);
	if (w->res >= 0)
		(void)close(w->res);
	w->cmd = w->res = -1;

	(void)worker_reap(w);
	w->in = mem_deref(w->in);
	w->test = -1;

	if (w->where)
		(void)munmap(w->where, WHERE_SIZE);
	w->where = NULL;
}
