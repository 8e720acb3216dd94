/**
 * @file runner.h  Running one test as a coroutine on the libre main loop
 *
 * A test owns everything it touches: its own lua_State, its own UAC and
 * UAS on fresh 127.0.0.1 ports, its own wire. A wait in Lua (for an
 * INVITE, a response, a pause) is a C function that yields with a
 * continuation; every message on the test's wire wakes the coroutine,
 * the continuation checks again, and either returns or yields again.
 */

#include <lua.h>

struct wire;
struct uac;
struct uas;
struct tap_diag;
struct sandbox_lib;
struct sizes_udp;
struct runner_objects;
struct link;
struct late;
struct test;

enum { RUN_MAX_FILTERS = 32, RUN_MAX_JOBS = 256 };

struct run_conf {
	int tap_version;          /**< 13 or 14                          */
	uint32_t t1;              /**< SIP T1 for the reference UAS, ms   */
	uint32_t timeout_s;       /**< per test                          */
	const char *report_dir;
	uint64_t seed;
	uint32_t loss;            /**< --loss: percent of UDP messages  */
	const char *lua_dir;      /**< where require() finds siptap.*   */
	struct sandbox_lib *lib;  /**< its modules, compiled once       */
	const char *matrix;       /**< "pairwise" (default) or "full"   */
	uint64_t faults;          /**< --uas-fault bits (fault.h)       */
	enum sip_transp transport;/**< the UAC's: --transport            */
	struct sa proxy;          /**< --proxy: where the UAC sends     */
	enum sip_transp proxy_tp;
	const char *proxy_uri;
	const char *auth_user;    /**< --auth: digest credentials        */
	const char *auth_password;
	struct sa uas_listen;     /**< --uas-listen: the UAS's address  */
	struct sa target;         /**< --target: a remote UAS           */
	struct sa agent;          /**< --agent: a remote UAS's agent    */
	struct sa ws_listen;      /**< --ws-listen: the WebSocket edge  */
	int af;                   /**< siptap's sockets: AF_INET (127.0.0.1)
				       or AF_INET6 (::1); --ip, or the
				       addresses of the options above */
	const char *tls_cert;     /**< --tls-cert: PEM, key and cert    */
	const char *todo_file;    /**< --todo: known peer deviations    */
	const char *pcap_dir;     /**< --pcap: a capture per test here  */
	unsigned jobs;            /**< --jobs: tests at once            */
	unsigned workers;         /**< --workers: processes (0: cores)  */
	bool progress;            /**< a progress line on a terminal    */
	bool pcap;                /**< --pcap                           */
	bool allow_unsafe;        /**< --allow-unsafe: io, os.execute   */
	bool list_only;           /**< --list                           */
	const char *filterv[RUN_MAX_FILTERS];
	size_t filterc;           /**< --filter: any of these in a name */
	struct list *memo;        /**< SIPTAP.memo's strings (run-wide) */
	const struct runner_objects *objects; /**< bindings.c's Lua objects */
	unsigned shard_k;         /**< --shard K/N                      */
	unsigned shard_n;
	const char *replay;       /**< the command line, shell-quoted   */
	const char *tap_yaml;     /**< --tap-yaml all|failed            */
	const char *rulev[RUN_MAX_FILTERS];
	size_t rulec;             /**< --rule: tests that check these   */
	bool bail;                /**< --bail: stop at the first failure */
	bool rerun_failed;        /**< --rerun-failed                   */
	bool list_long;           /**< list --long: file:line, rule ids */
	bool list_json;           /**< list --json                      */
	bool markdown;            /**< rules --markdown                 */
	const struct list *last_run; /**< REPORT-DIR/last-run.tsv read  */
};

/** A failed test point, TODO or not, for findings.md */
struct finding {
	struct le le;
	char *point;               /**< its description                 */
	char *rule;                /**< the rule id it names, or NULL    */
	char *what;                /**< message, or what was wanted/found */
	char *wanted;              /**< what the rule or check expected  */
	char *found;               /**< what the wire showed instead     */
	char *raw;                 /**< the message it is about, or NULL */
	size_t what_len;           /**< a peer's bytes may hold a NUL:   */
	size_t found_len;          /**< the lengths, not strlen()        */
	size_t raw_len;
	bool todo;
	bool contract;             /**< about siptap's API, not the RFC  */
};

/**
 * The Lua-facing objects (l_*.c), handed to the runner from above:
 * bindings.c lists them, the run passes them in run_conf. The runner
 * opens them in each test's state and calls them only through here, so
 * they use the runner's wait API and the runner never names one.
 */
typedef void (runner_open_h)(lua_State *L);
struct runner_objects {
	runner_open_h *const *openv;  /**< each test's state; NULL ends   */
	runner_open_h *declared;      /**< push the file's test() list    */
	void (*push_test)(lua_State *L, struct test *t);  /**< the `t`  */
	void (*serve)(struct test *t);/**< --agent: the remote UAS's turn */
};

/** A test as its file declares it (suite.c reads the files) */
struct suite_test {
	struct le le;
	char *file;
	unsigned index;          /**< declaration number in the file   */
	unsigned line;           /**< of its test() call, 0: unknown    */
	char *name;
	char *skip;              /**< test(name, {skip = why}, fn)      */
	char *todo;              /**< test(name, {todo = why}, fn)      */
	char *load_error;        /**< set: the file itself is broken    */
};

typedef void (runner_done_h)(struct test *t, void *arg);
/** Each test point as it is made (siptap load counts rules by it) */
typedef void (runner_point_h)(struct test *t, bool ok, const char *desc,
			      const struct tap_diag *diagv, size_t diagc);

enum test_outcome {
	RESULT_PASS = 0,
	RESULT_FAIL,
	RESULT_ERROR,          /**< a Lua error, or the file did not load */
	RESULT_SKIP,
	RESULT_TODO,           /**< a TODO test that failed               */
};

struct test {
	const struct run_conf *conf;
	const char *file;
	const char *name;
	lua_State *L;
	lua_State *co;
	struct wire *wire;
	struct sip *uac_sip;
	struct sip *uas_sip;
	struct uac *uac;
	struct uas *uas;
	struct tls *uas_tls;
	struct tls *uac_tls;
	struct sa uas_addr;         /**< ours, or the remote UAS's (--agent) */
	struct sa uas_tcp_addr;
	struct sa uac_addr;
	struct sa uac_tcp_addr;
	struct sa uas_tls_addr;
	struct ws_lsnr *ws_lsnr;   /**< --transport ws|wss: the edge's  */
	struct sa uac_ws_addr;     /**< its address                     */
	struct ws_reg *ws_reg;     /**< the reference UAS's REGISTER    */
	struct sizes_udp *udp_watch[2]; /**< the UAC's, the UAS's UDP  */
	struct le world_le;        /**< in the list of tests under way  */
	struct le port_le[4];      /**< by port: UAC, UAS; UDP, TCP     */
	struct peer *peer;         /**< t:peer(), when asked for        */
	struct agent *agent;       /**< --agent: the remote UAS's agent */
	struct link *link;         /**< impairment (t:link, --loss)     */
	char *remote_name;         /**< e.g. "SIP.js 0.21.2"            */
	struct tmr *agent_tmr;     /**< --agent: its turn (made with it) */
	struct le wake_le;         /**< in the soon queue: resume it    */
	struct tmr wait_tmr;
	struct tmr timeout_tmr;
	const char *waiting_for;   /**< NULL when not in a wait          */
	struct mbuf *out;          /**< the subtest's TAP lines          */
	const char *todo;          /**< reason while in t:todo()          */
	const char *test_todo;     /**< test(name, {todo = why}, fn)      */
	uint64_t started_usec;
	uint64_t deadline_ms;      /**< monotonic: the end of --timeout  */
	uint64_t resumed_ms;       /**< monotonic: its Lua last started  */
	uint64_t started_unix_usec; /**< wall clock of the wire's zero   */
	uint64_t elapsed_usec;
	struct late *late;         /**< how late siptap's loop ran in it;
				    *   NULL while it never ran late */
	struct late *remote_late;  /**< the agent's UAS host's, as reported
				    *   (NULL without an agent) */
	char *first_failure;       /**< description of the first not ok */
	char *skipped;             /**< it cannot run against this UAS:
				    *   why (# SKIP, never a pass)      */
	struct list findings;      /**< every not ok (struct finding)   */
	struct mbuf *wire_log;     /**< the wire, when the test failed  */
	struct le done_le;         /**< in the soon queue: it is over;
				    *   load: then in the graves (its
				    *   world to go)                    */
	runner_done_h *doneh;
	void *done_arg;
	const struct suite_test *st;
	lua_State *shared;         /**< load: L is a thread of this state,
				    *   which outlives the call        */
	runner_point_h *pointh;    /**< load: told of every point; its
				    *   passing ones kept as they came
				    *   (runner_out_tap)               */
	void *point_arg;
	void (*endh)(struct test *t, const struct list *msgs); /**< load:
				    *   the wire, before it goes        */

	/* (the 4-byte and 1-byte fields together: no holes between them;
	 * siptap load holds one struct test a call in progress) */
	unsigned index;            /**< 0-based, in the file            */
	uint32_t agent_start_id;   /**< its start request, until answered */
	uint32_t remote_t1;        /**< the T1 the remote UAS uses, ms  */
	uint32_t remote_answer_ms; /**< it may take this long to answer */
	unsigned points;
	unsigned failed;
	unsigned todo_failed;
	unsigned num;              /**< its number in the run           */
	enum test_outcome result;
	int shared_ref;            /**< L's anchor in its registry      */
	bool lost;                 /**< siptap lost a message: no rules */
	bool remote_webrtc_only;   /**< its UAS takes WebRTC offers only */
	bool wait_expired;
	bool done;
	bool co_ok;                /**< the test function returned       */
	bool out_of_memory;        /**< at the allocator cap: no rules   */
	bool errored;              /**< a Lua error ended it            */
	bool finished;
	bool ok;
};

struct test *runner_test(lua_State *L);
struct test *runner_current(void);
int  run_conf_push(lua_State *L, const struct run_conf *conf);
void run_memo_flush(struct list *cache);
int  run_memo_encode(const struct list *cache, size_t from,
		     struct mbuf *mb);
int  run_memo_decode(struct list *cache, struct mbuf *mb);
int  runner_start(struct test *t, runner_done_h *doneh, void *arg);
int  runner_shared_load(struct test *tmpl);
int  runner_start_shared(struct test *t, lua_State *S, runner_done_h *doneh,
			 void *arg);
void runner_pcap(struct test *t);
void runner_loopback(struct sa *sa, const struct run_conf *conf);
int  runner_tcp_listen(struct test *t);
struct finding *runner_finding_new(struct test *t);
void runner_point(struct test *t, bool ok, const char *desc,
		  const struct tap_diag *diagv, size_t diagc);
int  runner_out_tap(const struct test *t, struct mbuf *dst);
int  runner_skip(lua_State *L, const char *why);
void runner_fail_now(struct test *t, const char *desc, const char *why);
void runner_point_skip(struct test *t, const char *desc,
		       const char *reason);
void runner_wait_allowed(lua_State *L, const char *fn);
void runner_wait_begin(lua_State *L, const char *fn, const char *what,
		       uint32_t timeout_ms);
bool runner_wait_expired(struct test *t);
void runner_wait_end(struct test *t);
int  runner_yield(lua_State *L, lua_KContext ctx, lua_KFunction k);
int  runner_where(lua_State *L, char *buf, size_t sz);
const char *runner_undecodable(const struct test *t, int role);
void runner_error(struct test *t, lua_State *co, int status);
