/**
 * @file progress.h  The options of progress(): defaults and validation
 *
 * Mirrors SIP.js Invitation.progress(options). The Lua layer fills a
 * struct progress_opts from a table (type errors are its job); this
 * module checks the values against conformance.md (P-RANGE-1,
 * P-REASON-1, P-HDR-1, P-BODY-1) so that nothing invalid reaches the
 * wire, and knows the default reason phrases.
 */

enum { PROGRESS_MAX_HDRS = 64 };

struct progress_opts {
	uint16_t scode;              /**< 0 when unset: 180             */
	const char *reason;          /**< NULL when unset: the default  */
	const char *xhdrv[PROGRESS_MAX_HDRS]; /**< "Name: value"        */
	size_t xhdrc;
	const char *body;            /**< NULL when unset               */
	size_t body_len;
	const char *ctype;           /**< NULL: application/sdp         */
	bool body_is_table;          /**< body given as {body, ctype}   */
	bool rel100;                 /**< rel100 = true                 */
};

/** The headers siptap writes itself: extraHeaders may not add them */
enum progress_own {
	PROGRESS_OWN_VIA       = 1u << 0,
	PROGRESS_OWN_FROM      = 1u << 1,
	PROGRESS_OWN_TO        = 1u << 2,
	PROGRESS_OWN_CALLID    = 1u << 3,
	PROGRESS_OWN_CSEQ      = 1u << 4,
	PROGRESS_OWN_CONTACT   = 1u << 5,
	PROGRESS_OWN_MAXFWD    = 1u << 6,
	PROGRESS_OWN_CTYPE     = 1u << 7,
	PROGRESS_OWN_CLEN      = 1u << 8,
	PROGRESS_OWN_REQUIRE   = 1u << 9,
	PROGRESS_OWN_RSEQ      = 1u << 10,
	PROGRESS_OWN_RACK      = 1u << 11,
	PROGRESS_OWN_SUPPORTED = 1u << 12,
};

/** Longest error text progress_validate() writes, with its NUL */
enum { PROGRESS_ERRSZ = 256 };

int  progress_validate(const struct progress_opts *opts, char *err,
		       size_t errsz);
int  progress_check_status(long scode, char *err, size_t errsz);
int  progress_check_reason(const char *reason, char *err, size_t errsz);
int  progress_check_header(const char *what, const char *hdr, char *err,
			   size_t errsz);
int  progress_check_ctype(const char *ctype, char *err, size_t errsz);
int  progress_check_own(const char *what, const char *const *xhdrv,
			size_t xhdrc, unsigned own, char *err, size_t errsz);
uint16_t progress_scode(const struct progress_opts *opts);
const char *progress_reason(const struct progress_opts *opts);
const char *progress_default_reason(uint16_t scode);
