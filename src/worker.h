/**
 * @file worker.h  Tests in processes of their own
 *
 * The run forks up to --jobs worker processes and hands each one test
 * at a time through a pipe. Inside, the Lua hook stops a test that
 * loops at --timeout (sandbox.h); what no hook can stop (a pattern match
 * that backtracks for hours, a C call that never returns) the run ends
 * by killing the worker by its pid, the test fails as one point, and a
 * new worker takes the next test. A worker sends each test's result
 * (its TAP lines, counts, findings, wire log) back as one frame.
 */

struct test;
struct mbuf;

/** What a worker stuck in C leaves for the run (SIGALRM writes it) */
struct worker_page {
	char at[256];         /**< the scenario line it was at           */
	uint32_t points;      /**< the test's points so far, when the    */
	uint32_t failed;      /**< lines of all of them fit in out[]     */
	uint32_t todo_failed;
	uint32_t out_len;     /**< 0: none kept                          */
	char out[];
};

/** A worker process, as the run sees it */
struct worker {
	pid_t pid;            /**< the child; 0: none                    */
	int cmd;              /**< test numbers to the worker            */
	int res;              /**< results from it                       */
	struct mbuf *in;      /**< what it sent of the current result   */
	long test;            /**< the test it runs, -1 when idle        */
	uint64_t kill_at;     /**< monotonic ms: past it, SIGKILL        */
	struct worker_page *page;  /**< shared: the worker's last words */
};

enum {
	/** After --timeout, how long a worker has to end a test itself */
	WORKER_GRACE_MS = 1500,
};

void worker_init(struct worker *w);
int  worker_fork(struct worker *w);
int  worker_give(struct worker *w, size_t test, uint32_t timeout_s);
int  worker_read(struct worker *w);
int  worker_result(struct worker *w, struct test *t);
void worker_last_words(struct worker *w, struct test *t);
void worker_kill(struct worker *w);
int  worker_reap(struct worker *w);
void worker_close(struct worker *w);
uint64_t worker_now_ms(void);

int  worker_child_next(struct worker *w, size_t *testp);
void worker_child_send(struct test *t, struct worker *w);
void worker_child_watch(struct test *t, struct worker *w);
void worker_child_unwatch(void);

typedef int (worker_job_h)(void *arg, struct mbuf *out);
int  worker_once(worker_job_h *job, void *arg, uint32_t timeout_s,
		 struct mbuf **outp, char *at, size_t atsz);
void worker_once_watch(lua_State *L, uint32_t timeout_s);
