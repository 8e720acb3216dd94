/**
 * @file uas.h  The reference UAS: progress(), 100rel, accept, reject
 *
 * Built on libre's transaction layer, not sipsess (which has no 100rel),
 * so every response is formatted here byte by byte. The rules it
 * follows are docs/conformance.md, sections A to D.
 */

struct uas;
struct uas_call;
struct progress_opts;
struct sdpgen_opts;

struct uas_conf {
	uint32_t t1;            /**< SIP T1 in ms (reliable retransmits)   */
	bool require_100rel;    /**< reliable whenever the INVITE allows it */
	uint64_t faults;        /**< bits of enum fault (fault.h)          */
};

enum uas_state {
	UAS_INCOMING = 0,       /**< INVITE received, nothing sent        */
	UAS_EARLY,              /**< a provisional response was sent      */
	UAS_ACCEPTED,           /**< 2xx sent (or queued), waiting for ACK */
	UAS_CONFIRMED,          /**< ACK received                         */
	UAS_TERMINATED,         /**< non-2xx final, CANCEL or BYE         */
};

/** Is this new INVITE another test's? (true: answered 481) */
typedef bool (uas_stray_h)(const struct sip_msg *msg, void *arg);

int  uas_alloc(struct uas **uasp, struct sip *sip,
	       const struct uas_conf *conf);
struct uas_call *uas_take_call(struct uas *uas);
void uas_set_require_100rel(struct uas *uas, bool require);
void uas_set_t1(struct uas *uas, uint32_t t1);
void uas_set_webrtc(struct uas *uas, bool webrtc);
void uas_set_stray(struct uas *uas, uas_stray_h *strayh, void *arg);
bool uas_webrtc(const struct uas *uas);
uint32_t uas_t1(const struct uas *uas);
bool uas_fault(const struct uas *uas, int fault);

bool uas_call_reliable(const struct uas_call *call,
		       const struct progress_opts *opts);
bool uas_call_sdp_wanted(const struct uas_call *call,
			 const struct progress_opts *opts, bool sdh_given);
const char *uas_call_local_sdp(const struct uas_call *call, size_t *lenp);
bool uas_call_has_offer(const struct uas_call *call);
const char *uas_call_offer(const struct uas_call *call);
int  uas_call_make_sdp(struct uas_call *call,
		       const struct sdpgen_opts *sdpgen_opts, const char *offer,
		       char **sdpp);
int  uas_progress(struct uas_call *call, const struct progress_opts *opts);
int  uas_accept(struct uas_call *call, const char *sdp, size_t sdp_len,
		const char *const *xhdrv, size_t xhdrc);
int  uas_reject(struct uas_call *call, uint16_t scode, const char *reason,
		const char *const *xhdrv, size_t xhdrc);
unsigned uas_own_hdrs(uint16_t scode, bool reliable, bool body);
enum uas_state uas_call_state(const struct uas_call *call);
const char *uas_state_name(enum uas_state state);
const struct sip_msg *uas_call_invite(const struct uas_call *call);
const struct pl *uas_call_callid(const struct uas_call *call);
unsigned uas_call_queued(const struct uas_call *call);
int  uas_request(struct uas_call *call, const char *met, const char *body,
		 const char *ctype, const char *xhdrs, const char **why);
bool uas_request_done(const struct uas_call *call, uint32_t *cseqp,
		      uint16_t *scodep, int *errp);
int  uas_call_next_offer(struct uas_call *call, char **sdpp);
int  uas_request_allowed(const struct uas_call *call, const char *met,
			 bool offer, const char **why);

/* libre's sip_treplyf() bytes for a bodiless response (tests compare) */
int  uas_reply_print(struct mbuf *mb, const struct sip_msg *msg,
		     uint16_t scode, const char *reason, bool *rportp);
