/**
 * @file uac.h  The UAC a scenario drives: INVITE, PRACK, ACK, CANCEL, BYE
 *
 * Requests are formatted here and sent with sip_send(), without libre's
 * client transactions: a tester wants to decide itself when a request
 * is retransmitted and what a PRACK says. uac.c keeps its own: over UDP
 * a request is sent again, the same bytes, at Timer A/E until answered
 * (RFC 3261 17.1), unless the scenario asked for one send. Responses are read from the
 * wire (wire.h), which sees every one in arrival order.
 */

struct uac;
struct uac_call;

enum { UAC_MAX_HDRS = 64 };

struct uac_invite_opts {
	const char *ruri;        /**< NULL: uac_set_uri's, or sip:siptap@<target> */
	const char *to;          /**< To URI, NULL: the Request-URI      */
	const char *to_tag;      /**< To tag, NULL: none (out of dialog) */
	const char *from;        /**< From URI, NULL: sip:uac@<laddr>    */
	const char *supported;   /**< Supported value, NULL: none        */
	const char *require;     /**< Require value, NULL: none          */
	const char *xhdrv[UAC_MAX_HDRS];
	size_t xhdrc;
	const char *body;        /**< NULL: no body                      */
	size_t body_len;
	const char *ctype;       /**< NULL with a body: application/sdp  */
	bool once;               /**< no Timer A: retransmit = false     */
};

struct uac_req_opts {
	long rseq;               /**< PRACK RAck RSeq; <0: from response */
	long cseq;               /**< PRACK RAck CSeq; <0: from response */
	const char *method;      /**< PRACK RAck method; NULL: INVITE    */
	const char *xhdrv[UAC_MAX_HDRS];
	size_t xhdrc;
	const char *body;
	size_t body_len;
	const char *ctype;
	bool once;               /**< no Timer E: retransmit = false     */
};

int  uac_alloc(struct uac **uacp, struct sip *sip, enum sip_transp tp,
	       const struct sa *target);
void uac_set_flow(struct uac *uac, const struct sa *target,
		  enum sip_transp tp);
int  uac_set_uri(struct uac *uac, const char *uri);
void uac_set_ws(struct uac *uac, const struct sa *laddr);
int  uac_ws_binding(const struct uac *uac, const char *user,
		    struct sa *paddr, enum sip_transp *tp);
void uac_set_proxy(struct uac *uac, const struct sa *proxy,
		   enum sip_transp tp);
int  uac_invite(struct uac_call **callp, struct uac *uac,
		const struct uac_invite_opts *opts);
unsigned uac_invite_own_hdrs(const struct uac_invite_opts *opts);
unsigned uac_prack_own_hdrs(const struct uac_req_opts *opts);
int  uac_retransmit(struct uac_call *call);
bool uac_stray(const struct uac *uac, const struct sip_msg *msg);
void uac_set_token(struct uac *uac, bool token);
const char *uac_dialog_lack(const struct sip_msg *resp);
int  uac_prack(struct uac_call *call, const struct sip_msg *resp,
	       const struct uac_req_opts *opts, uint32_t *cseqp);
int  uac_ack(struct uac_call *call, const struct sip_msg *final, bool once);
int  uac_prack_again(struct uac_call *call, uint32_t *cseqp);
int  uac_cancel(struct uac_call *call, const char *branch, bool once);
int  uac_bye(struct uac_call *call, const struct sip_msg *resp, bool once,
	     uint32_t *cseqp);
int  uac_dialog_req(struct uac_call *call, const struct sip_msg *resp,
		    const char *met, const struct uac_req_opts *o,
		    uint32_t *cseqp);
int  uac_ack_dialog(struct uac_call *call, const struct sip_msg *dlg,
		    uint32_t cseq, const struct uac_req_opts *o);
int  uac_refuse(struct uac_call *call, const char *met, uint16_t scode);
void uac_set_t1(struct uac *uac, uint32_t t1);
int  uac_set_auth(struct uac *uac, const char *user, const char *password);
uint32_t uac_tx_follow(const struct uac_call *call, const char *met,
		       uint32_t cseq);
uint32_t uac_t1(const struct uac *uac);
uint32_t uac_tx_left(const struct uac_call *call, const char *met,
		     uint32_t cseq);
int  uac_send_raw(struct uac *uac, enum sip_transp tp, const struct sa *dst,
		  const uint8_t *p, size_t len);
const char *uac_call_id(const struct uac_call *call);
uint32_t uac_call_invite_cseq(const struct uac_call *call);
const struct mbuf *uac_call_invite(const struct uac_call *call);
const struct sa *uac_target(const struct uac *uac);
