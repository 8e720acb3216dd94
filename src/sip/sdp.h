/**
 * @file sdp.h  Session descriptions the reference UAS and the UAC produce
 *
 * Built on libre's sdp module: an offer from a codec list, or an answer
 * to a remote offer (libre keeps the common formats). The result is a
 * plain NUL-terminated string, ready for modifiers and the wire.
 */

enum { SDPGEN_MAX_CODECS = 8 };

/** What sessionDescriptionHandlerOptions can choose */
struct sdpgen_opts {
	const char *codecv[SDPGEN_MAX_CODECS]; /**< names, preferred first */
	size_t codecc;                         /**< 0: the defaults        */
	const char *direction;                 /**< NULL: sendrecv         */
	uint16_t port;                         /**< 0: a made-up RTP port  */
};

int  sdpgen_offer(char **sdpp, const struct sa *laddr,
		  const struct sdpgen_opts *opts);
int  sdpgen_answer(char **sdpp, const struct sa *laddr,
		   const struct sdpgen_opts *opts, const char *offer,
		   size_t offer_len);
bool sdpgen_codec_known(const char *name);
bool sdpgen_direction_known(const char *dir);
