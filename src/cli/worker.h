/**
 * @file worker.h  Tests in processes of their own
 *
 * The run forks a few worker processes (one a core, at most --jobs) and
 * hands each tests through a pipe; a worker runs the tests it is given
 * at once, each a coroutine on its libre loop as before, and answers
 * with each test's result (its TAP lines, counts, findings, wire log)
 * as one frame. Inside, the Lua guard stops a test that loops at
 * --timeout (sandbox.h); what no guard can stop (a pattern match that
 * backtracks for hours, a C call that never returns) the run ends by
 * killing the worker by its pid: that test fails as one point, the
 * worker's other tests run again on a new worker.
 */

struct test;
struct mbuf;

/** What a worker stuck in C leaves for the run (SIGALRM writes it) */
struct worker_page {
	int32_t test;         /**< whose last words: test index, or -1   */
	uint64_t since;       /**< monotonic ms: it has run Lua or C since */
	char at[256];         /**< the scenario line it was at           */
	uint32_t points;      /**< the test's points so far, when the    */
	uint32_t failed;      /**< lines of all of them fit in out[]     */
	uint32_t todo_failed;
	uint32_t out_len;     /**< 0: none kept                          */
	char out[];
};

/** A worker process, as the run sees it */
struct worker {
	pid_t pid;            /**< the worker; 0: none                   */
	int cmd;              /**< test numbers to the worker            */
	int res;              /**< results from it                       */
	struct mbuf *in;      /**< what it sent, whole frames and a part */
	unsigned busy;        /**< its tests in flight                   */
	struct worker_page *page;  /**< shared: the worker's last words */
};

enum {
	/** After --timeout, how long a worker has to end a test itself */
	WORKER_GRACE_MS = 1500,
};

void worker_init(struct worker *w);
int  worker_fork(struct worker *w);
int  worker_give(struct worker *w, size_t test);
int  worker_read(struct worker *w);
int  worker_result(struct worker *w, struct test *testv, size_t testc,
		   size_t *idxp);
long worker_hog(const struct worker *w, uint64_t now);
void worker_last_words(const struct worker *w, size_t idx, struct test *t,
		       const char **atp);
void worker_kill(struct worker *w);
int  worker_reap(struct worker *w);
void worker_close(struct worker *w);
void worker_forget(struct worker *w);

int  worker_child_next(struct worker *w, size_t *testp);
void worker_child_send(struct test *t, size_t idx, struct worker *w);
void worker_child_watch(struct worker *w);
void worker_child_unwatch(void);

typedef int (worker_job_h)(void *arg, struct mbuf *out);
int  worker_once(worker_job_h *job, void *arg, uint32_t timeout_s,
		 struct mbuf **outp, char *at, size_t atsz);
void worker_once_watch(lua_State *L, uint32_t timeout_s);
