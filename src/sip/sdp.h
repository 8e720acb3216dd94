/**
 * @file sdp.h  Session descriptions the reference UAS and the UAC produce
 *
 * Built on libre's sdp module: an offer from a codec list, or an answer
 * to a remote offer (libre keeps the common formats). The result is a
 * plain NUL-terminated string, ready for modifiers and the wire.
 */

enum { SDPGEN_MAX_CODECS = 8 };

/** What sessionDescriptionHandlerOptions can choose: SIP.js's
 *  constraints, hold and offerOptions.iceRestart, and siptap's own
 *  codecs, direction and port */
struct sdpgen_opts {
	const char *codecv[SDPGEN_MAX_CODECS]; /**< names, preferred first */
	size_t codecc;                         /**< 0: the defaults        */
	const char *direction;                 /**< NULL: sendrecv         */
	uint16_t port;                         /**< 0: a made-up RTP port  */
	bool constrained;  /**< constraints given: audio/video choose     */
	bool audio;        /**< constraints.audio (true unless constrained) */
	bool video;        /**< constraints.video                         */
	bool hold;         /**< the local side does not receive           */
	bool ice_restart;  /**< offerOptions.iceRestart: new ICE ufrag/pwd
			    *   in a WebRTC offer; nothing in RTP/AVP      */
	bool data_channel; /**< dataChannel: an m=application section in a
			    *   WebRTC offer                               */
};

int  sdpgen_offer(char **sdpp, const struct sa *laddr,
		  const struct sdpgen_opts *opts);
int  sdpgen_answer(char **sdpp, const struct sa *laddr,
		   const struct sdpgen_opts *opts, const char *offer,
		   size_t offer_len);
bool sdpgen_codec_known(const char *name);
int  sdpgen_follow(char **sdpp, const char *sdp, const char *prev,
		   unsigned bump, bool new_id);

/** How a fault switch breaks an answer (S-FMT-1, S-OA-1, S-OA-2) */
enum sdpgen_break {
	SDPGEN_NO_C_LINE,        /**< no c= line at all                  */
	SDPGEN_BAD_PORT,         /**< the first m= port is not a number  */
	SDPGEN_EXTRA_MLINE,      /**< a video stream nobody offered      */
	SDPGEN_FOREIGN_CODEC,    /**< G729 (18) added to the first stream */
	SDPGEN_DIRECTION_SAME,   /**< one-way streams answered the same  */
};

int  sdpgen_break(char **sdpp, const char *sdp, enum sdpgen_break what,
		  const char *offer);
bool sdpgen_direction_known(const char *dir);
bool sdpgen_rejected(const char *sdp);
bool sdpgen_same(const char *a, const char *b);
int  sdpgen_moved(char **sdpp, const char *sdp);
int  sdpgen_hold(char **sdpp, const char *sdp, bool hold);
int  sdpgen_treply(struct sip *sip, const struct sip_msg *msg,
		   uint16_t scode, const char *reason, struct mbuf *head,
		   const char *sdp, struct mbuf **mbp);
int  sdpgen_align(char **sdpp, const char *answer, const char *offer);
