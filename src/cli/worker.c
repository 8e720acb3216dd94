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
#include <poll.h>
#include <lua.h>
#include <re.h>
#include "runner.h"
#include "frame.h"
#include "clock.h"
#include "worker.h"


enum { PAGE_SIZE = 256 * 1024 };

struct result_head {
	uint32_t magic;
	uint32_t index;           /* the test's, in the run's list */
	uint32_t points;
	uint32_t failed;
	uint32_t todo_failed;
	uint32_t errored;
	uint32_t findings;
	uint32_t spare;           /* no padding: all bytes written */
	uint64_t elapsed_usec;
};

static const uint32_t RESULT_MAGIC = 0x53495054;  /* "SIPT" */


/* --- the child's side ------------------------------------------------- */

static int put_mbuf(struct mbuf *mb, const struct mbuf *v)
{
	return frame_put(mb, v ? (const char *)v->buf : NULL, v ? v->end : 0);
}


static int encode(struct mbuf *mb, const struct test *t, size_t idx)
{
	struct result_head h = {
		.magic        = RESULT_MAGIC,
		.index        = (uint32_t)idx,
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
	err |= frame_put_str(mb, t->first_failure);
	err |= put_mbuf(mb, t->wire_log);
	err |= frame_put_str(mb, t->remote_name);
	err |= frame_put_str(mb, t->skipped);

	for (le = t->findings.head; le && !err; le = le->next) {
		const struct finding *f = le->data;

		err  = mbuf_write_u8(mb, f->todo | f->contract << 1);
		err |= frame_put_str(mb, f->point);
		err |= frame_put_str(mb, f->rule);
		err |= frame_put(mb, f->what, f->what_len);
		err |= frame_put_str(mb, f->wanted);
		err |= frame_put(mb, f->found, f->found_len);
		err |= frame_put(mb, f->raw, f->raw_len);
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
void worker_child_send(struct test *t, size_t idx, struct worker *w)
{
	struct mbuf *mb = mbuf_alloc(4096);
	uint32_t len;

	if (!mb || mbuf_write_u32(mb, 0) || encode(mb, t, idx)) {
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


/* The worker's watch: every WATCH_MS, SIGALRM looks at the test whose
 * Lua runs now. One that has run for over HOG_MS without a wait holds
 * up the others of its worker: the guard stops a Lua loop, so it is
 * most likely inside a C function. The handler leaves on the shared
 * page which test it is, since when, the scenario line that called
 * into C and its points so far, for the run, which kills the worker if
 * it never comes back. The Lua state and the test's buffers are
 * consistent while a C function of Lua's runs, and reading them
 * allocates nothing. Signals know no context: the page and the state
 * are kept here. */
enum { WATCH_MS = 250, HOG_MS = 1000 };

static lua_State *watched_L;
static struct worker_page *watched_page;


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


static void page_where(struct worker_page *pg, lua_State *co)
{
	lua_Debug ar;
	int level;

	for (level = 0; co && lua_getstack(co, level, &ar); level++) {
		size_t n;

		if (!lua_getinfo(co, "Sl", &ar) || ar.currentline < 0)
			continue;
		n = strlen(ar.short_src);
		if (n > sizeof(pg->at) - 16)
			n = sizeof(pg->at) - 16;
		memcpy(pg->at, ar.short_src, n);
		pg->at[n++] = ':';
		n += put_uint(pg->at + n, (unsigned)ar.currentline);
		pg->at[n] = '\0';
		return;
	}
}


static void page_test(struct worker_page *pg, const struct test *t)
{
	const size_t room = PAGE_SIZE - sizeof(*pg);

	pg->out_len = 0;
	page_where(pg, t->co ? t->co : t->L);
	if (t->out && t->out->end <= room) {
		memcpy(pg->out, t->out->buf, t->out->end);
		pg->points      = t->points;
		pg->failed      = t->failed;
		pg->todo_failed = t->todo_failed;
		pg->out_len     = (uint32_t)t->out->end;
	}
	pg->test = (int32_t)t->num - 1;
}


static void alarm_handler(int sig)
{
	struct worker_page *pg = watched_page;
	const struct test *t = runner_current();

	(void)sig;
	if (!pg)
		return;

	if (watched_L) {                  /* a file's listing */
		page_where(pg, watched_L);
		return;
	}
	if (!t) {
		pg->test = -1;
		return;
	}
	if (clock_mono_ms() - t->resumed_ms < HOG_MS ||
	    (pg->test == (int32_t)t->num - 1 && pg->since == t->resumed_ms))
		return;

	page_test(pg, t);
	pg->since = t->resumed_ms;
}


static void watch_start(struct worker_page *pg, unsigned first_ms,
			unsigned every_ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	watched_page = pg;
	(void)signal(SIGALRM, alarm_handler);
	it.it_value.tv_sec     = first_ms / 1000;
	it.it_value.tv_usec    = (first_ms % 1000) * 1000;
	it.it_interval.tv_sec  = every_ms / 1000;
	it.it_interval.tv_usec = (every_ms % 1000) * 1000;
	(void)setitimer(ITIMER_REAL, &it, NULL);
}


void worker_child_watch(struct worker *w)
{
	memset(w->page, 0, sizeof(*w->page));
	w->page->test = -1;
	watch_start(w->page, WATCH_MS, WATCH_MS);
}


void worker_child_unwatch(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	(void)setitimer(ITIMER_REAL, &it, NULL);
	watched_page = NULL;
	watched_L = NULL;
}


/* --- the run's side --------------------------------------------------- */

void worker_init(struct worker *w)
{
	memset(w, 0, sizeof(*w));
	w->cmd = w->res = -1;
}


/* Forks a worker. Returns 0 in the run (w->pid set) and in the worker
 * (w->pid 0; w->cmd and w->res its ends of the pipes). */
int worker_fork(struct worker *w)
{
	int cmd[2], res[2];
	pid_t pid;

	worker_init(w);
	w->page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w->page == MAP_FAILED) {
		w->page = NULL;
		return errno;
	}
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


/* Hands the worker a test; it runs beside the others it has. */
int worker_give(struct worker *w, size_t test)
{
	uint32_t n = (uint32_t)test;
	int err = write_all(w->cmd, (const uint8_t *)&n, sizeof(n));

	if (!err)
		++w->busy;

	return err;
}


/* Reads what the worker has sent so far. Returns EAGAIN when all is
 * read, EPIPE when the worker is gone (its pipe closed). */
int worker_read(struct worker *w)
{
	for (;;) {
		ssize_t n;
		int err = mbuf_resize(w->in, w->in->end + 65536);

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


static int get_mbuf(struct mbuf *mb, struct mbuf **vp)
{
	char *s;
	size_t len = 0;
	int err = frame_get(mb, &s, &len);

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
	uint8_t flags;
	int err;

	if (!mbuf_get_left(mb))
		return EPROTO;

	f = runner_finding_new(t);
	if (!f)
		return ENOMEM;

	flags = mbuf_read_u8(mb);
	f->todo = flags & 1;
	f->contract = (flags & 2) != 0;
	err = frame_get(mb, &f->point, NULL);
	if (!err)
		err = frame_get(mb, &f->rule, NULL);
	if (!err)
		err = frame_get(mb, &f->what, &f->what_len);
	if (!err)
		err = frame_get(mb, &f->wanted, NULL);
	if (!err)
		err = frame_get(mb, &f->found, &f->found_len);
	if (!err)
		err = frame_get(mb, &f->raw, &f->raw_len);

	return err;
}


/* The first whole frame the worker sent, into the struct test it is
 * of (its index in *idxp), then dropped from w->in. ENOENT: no whole
 * frame yet; EPROTO: a frame out of shape. */
int worker_result(struct worker *w, struct test *testv, size_t testc,
		  size_t *idxp)
{
	struct mbuf *mb = w->in;
	struct result_head h;
	struct test *t;
	uint32_t i, len;
	int err = 0;

	if (mb->end < sizeof(len))
		return ENOENT;
	memcpy(&len, mb->buf, sizeof(len));
	if (mb->end - sizeof(len) < len)
		return ENOENT;

	mb->pos = sizeof(len);
	if (len < sizeof(h))
		return EPROTO;
	(void)mbuf_read_mem(mb, (uint8_t *)&h, sizeof(h));
	if (h.magic != RESULT_MAGIC || h.index >= testc)
		return EPROTO;

	t = &testv[h.index];
	t->out = mem_deref(t->out);
	err = get_mbuf(mb, &t->out);
	if (!err)
		err = frame_get(mb, &t->first_failure, NULL);
	if (!err)
		err = get_mbuf(mb, &t->wire_log);
	if (!err)
		err = frame_get(mb, &t->remote_name, NULL);
	if (!err)
		err = frame_get(mb, &t->skipped, NULL);
	for (i = 0; !err && i < h.findings; i++)
		err = get_finding(mb, t);
	if (err)
		return err;

	t->points       = h.points;
	t->failed       = h.failed;
	t->todo_failed  = h.todo_failed;
	t->errored      = h.errored != 0;
	t->elapsed_usec = h.elapsed_usec;
	*idxp = h.index;
	if (w->busy)
		--w->busy;

	/* the frame is done with: what follows moves to the front */
	memmove(mb->buf, mb->buf + sizeof(len) + len,
		mb->end - sizeof(len) - len);
	mb->end -= sizeof(len) + len;
	mb->pos = 0;

	return 0;
}


/* The test that holds the worker up, by what SIGALRM last saw: it has
 * run without a wait for over HOG_MS and still did a moment ago; -1
 * when none does. */
long worker_hog(const struct worker *w, uint64_t now)
{
	const struct worker_page *pg = w->page;

	if (!pg || pg->test < 0 || now - pg->since < HOG_MS)
		return -1;

	return pg->test;
}


/* A killed worker's test idx: the points it had when SIGALRM looked,
 * and the line it was at (*atp, "" when not known). */
void worker_last_words(const struct worker *w, size_t idx, struct test *t,
		       const char **atp)
{
	const struct worker_page *pg = w->page;

	*atp = "";
	if (!pg || pg->test != (int32_t)idx)
		return;

	*atp = pg->at;
	if (!pg->out_len || !t->out)
		return;
	t->out->pos = t->out->end = 0;
	(void)mbuf_write_mem(t->out, (const uint8_t *)pg->out, pg->out_len);
	t->points      = pg->points;
	t->failed      = pg->failed;
	t->todo_failed = pg->todo_failed;
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


/* In a worker, what it got of the run's workers by fork(): their
 * buffers and pages go, their processes are none of its business. */
void worker_forget(struct worker *w)
{
	w->in = mem_deref(w->in);
	if (w->page)
		(void)munmap(w->page, PAGE_SIZE);
	w->page = NULL;
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
	w->busy = 0;

	if (w->page)
		(void)munmap(w->page, PAGE_SIZE);
	w->page = NULL;
}


/* --- a job of its own --------------------------------------------------- */

/* In a job's child: SIGALRM near the deadline notes the line that the
 * Lua state L is at, when a hook could not stop it. */
void worker_once_watch(lua_State *L, uint32_t timeout_s)
{
	if (!watched_page)
		return;
	watched_L = L;
	watch_start(watched_page, timeout_s * 1000 + 500, 0);
}


static int once_read(int fd, struct mbuf *mb, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		uint64_t now = clock_mono_ms();
		ssize_t n;
		int err;

		if (now >= deadline)
			return ETIMEDOUT;
		if (poll(&pfd, 1, (int)(deadline - now)) < 0)
			return errno;   /* EINTR: a signal */
		if (!pfd.revents)
			continue;

		err = mbuf_resize(mb, mb->end + 65536);
		if (err)
			return err;
		n = read(fd, mb->buf + mb->end, mb->size - mb->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : 0;
		mb->end += (size_t)n;
	}
}


/* Runs job(arg, out) in a child process for at most timeout_s and
 * hands back what it wrote to out. ETIMEDOUT: it was killed at the
 * deadline (at names the line it was at, if known); EINTR: a signal
 * came, it was killed; EPIPE: it died. */
int worker_once(worker_job_h *job, void *arg, uint32_t timeout_s,
		struct mbuf **outp, char *at, size_t atsz)
{
	struct worker w;
	struct mbuf *mb;
	int err, status;

	err = worker_fork(&w);
	if (err)
		return err;

	if (!w.pid) {
		/* the child: the job, its output down the pipe, and out
		 * at once (what it got by fork() is the parent's) */
		mb = mbuf_alloc(4096);
		watched_page = w.page;
		memset(w.page, 0, sizeof(*w.page));
		w.page->test = -1;
		if (mb && !job(arg, mb))
			(void)write_all(w.res, mb->buf, mb->end);
		_exit(0);
	}

	(void)close(w.cmd);
	w.cmd = -1;
	err = once_read(w.res, w.in,
			clock_mono_ms() + (uint64_t)timeout_s * 1000 +
			WORKER_GRACE_MS);
	if (err)
		worker_kill(&w);
	status = worker_reap(&w);
	if (!err && (status < 0 || !WIFEXITED(status) ||
		     WEXITSTATUS(status) || !w.in->end))
		err = EPIPE;
	if (at && atsz)
		(void)re_snprintf(at, atsz, "%s", w.page->at);

	if (!err) {
		w.in->pos = 0;
		*outp = mem_ref(w.in);
	}
	worker_close(&w);

	return err;
}
