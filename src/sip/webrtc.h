/**
 * @file webrtc.h  Session descriptions in the WebRTC profile
 *
 * What a browser (Chromium) puts in an offer, and the answer a WebRTC
 * endpoint gives to one (RFC 8829 JSEP 5.2/5.3): UDP/TLS/RTP/SAVPF,
 * ICE credentials and one host candidate on the loopback address, the
 * sha-256 fingerprint of a real self-signed DTLS certificate, a=setup,
 * a=mid, a=rtcp-mux and a=group:BUNDLE. Plain NUL-terminated strings,
 * like sdp.h's, ready for modifiers and the wire.
 */

/** What a WebRTC offer or answer holds, and the faults that break one */
struct webrtc_opts {
	bool video;              /**< an offer: a VP8 video section too   */
	bool data_channel;       /**< an offer: an m=application section  */
	bool no_audio;           /**< an answer: audio declined (port 0)  */
	bool no_video;           /**< an answer: video declined (port 0)  */
	const char *direction;   /**< NULL: sendrecv                       */
	uint16_t port;           /**< 0: 49170 (video: two above)          */
	const char *const *codecv;  /**< audio codecs, in this order      */
	size_t codecc;              /**< 0: a browser's (offer), opus PCMU
				       PCMA G722 telephone-event (answer) */
	bool actpass_answer;     /**< fault: a=setup:actpass in an answer */
	bool no_fingerprint;     /**< fault: no a=fingerprint              */
	bool foreign_mid;        /**< fault: BUNDLE names a mid not offered */
};

int  webrtc_offer(char **sdpp, const struct sa *laddr,
		  const struct webrtc_opts *opts);
int  webrtc_answer(char **sdpp, const struct sa *laddr,
		   const struct webrtc_opts *opts, const char *offer);
bool webrtc_is_offer(const char *sdp);
int  webrtc_ice_restart(char **sdpp, const char *sdp);
