/**
 * @file msgview.h  Reading a SIP message's header lines from its bytes
 *
 * libre's decoder splits comma lists and drops what it cannot parse;
 * a conformance check needs the header lines exactly as they were on
 * the wire. This reads them from the raw bytes, peer input that may be
 * anything, so it never reads past len and never allocates.
 */

typedef bool (msgview_hdr_h)(const struct pl *name, const struct pl *val,
			     void *arg);

typedef bool (msgview_line_h)(const struct pl *line, void *arg);

int  msgview_crlf_lines(const uint8_t *p, size_t len, msgview_line_h *h,
			void *arg);
int  msgview_start_line(const uint8_t *p, size_t len, struct pl *line);
int  msgview_headers(const uint8_t *p, size_t len, msgview_hdr_h *h,
		     void *arg);
int  msgview_body(const uint8_t *p, size_t len, struct pl *body);
bool msgview_name_eq(const struct pl *name, const char *wanted);
const char *msgview_long_name(const struct pl *name);
bool msgview_filed_eq(const struct pl *name, const char *filed, size_t l);
