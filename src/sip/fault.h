/**
 * @file fault.h  Fault switches of the reference UAS
 *
 * Each fault breaks one or two rules of conformance.md the way real
 * implementations do, so that the suite can be shown to catch it:
 * `siptap run --uas-fault NAME`, and `siptap faults` lists them.
 */

enum fault {
	FAULT_NO_TO_TAG = 0,
	FAULT_NEW_TAG_FINAL,
	FAULT_VIA_DROPPED,
	FAULT_TRYING_RELIABLE,
	FAULT_ACCEPT_ANY_STATUS,
	FAULT_NO_CONTACT,
	FAULT_NO_RECORD_ROUTE,
	FAULT_WRONG_REASON,
	FAULT_REASON_CRLF,
	FAULT_EXTRA_HEADER_DROPPED,
	FAULT_EXTRA_HEADER_TWICE,
	FAULT_HEADER_INJECTION,
	FAULT_WRONG_CONTENT_LENGTH,
	FAULT_NO_CONTENT_TYPE,
	FAULT_NO_RETX_INVITE,
	FAULT_NO_REFRESH,
	FAULT_REQUIRE_IGNORED,
	FAULT_RELIABLE_ALWAYS,
	FAULT_REL100_IGNORED,
	FAULT_NO_REQUIRE_HEADER,
	FAULT_RSEQ_ZERO,
	FAULT_RSEQ_SKIP,
	FAULT_NO_QUEUE,
	FAULT_NO_RETRANSMIT,
	FAULT_RETRANSMIT_FOREVER,
	FAULT_NO_TIMEOUT,
	FAULT_PRACK_481,
	FAULT_PRACK_ALWAYS_200,
	FAULT_EARLY_2XX,
	FAULT_PRACK_AFTER_FINAL_481,
	FAULT_ANSWER_CHANGES,
	FAULT_NO_OFFER,
	FAULT_MODIFIERS_IGNORED,
	FAULT_SDP_LF,
	FAULT_SDP_NO_C_LINE,
	FAULT_SDP_BAD_PORT,
	FAULT_ANSWER_EXTRA_MLINE,
	FAULT_ANSWER_FOREIGN_CODEC,
	FAULT_ANSWER_DIRECTION_SAME,
	FAULT_SDP_VERSION_JUMP,
	FAULT_SDP_ORIGIN_CHANGES,
	FAULT_RSEQ_REUSE,
	FAULT_UNSUPPORTED_FIRST,
	FAULT_REQUIRE_ACCEPTED,
	FAULT_NO_DIALOG_501,
	FAULT_NO_2XX_RETRANSMIT,
	FAULT_PRACK_STATELESS,
	FAULT_BAD_HEADER_LINE,
	FAULT_LF_LINE_ENDS,
	FAULT_RTC_ACTPASS_ANSWER,
	FAULT_RTC_NO_FINGERPRINT,
	FAULT_RTC_BUNDLE_FOREIGN_MID,

	FAULT_COUNT
};

struct fault_info {
	const char *name;
	const char *rules;         /**< rule ids it breaks, space separated */
	const char *what;
};

const struct fault_info *fault_info(enum fault f);
int  fault_lookup(const char *name, enum fault *fp);
int  fault_print_all(struct re_printf *pf, void *unused);

static inline bool fault_on(uint64_t faults, enum fault f)
{
	return (faults >> f) & 1;
}
