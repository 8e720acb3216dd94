/**
 * @file text.h  Bytes that become text: on the wire, or in a report
 *
 * Two questions, one place. May a scenario's string go into a start
 * line or a header (RFC 3261 25.1 TEXT-UTF8: UTF-8, no NUL, no control
 * character but HTAB)? And how is any string, a peer's bytes included,
 * printed into a report that must stay valid UTF-8 with no control
 * characters (TAP, YAML, JUnit XML, Markdown, wire logs)? Reports
 * print what they cannot hold as the four characters \xNN.
 */

struct re_printf;
struct mbuf;
struct pl;

/** Longest error text text_check() writes, with its NUL */
enum { TEXT_ERRSZ = 128 };

size_t text_utf8_len(const uint8_t *p, size_t left);
int    text_check(const char *s, size_t len, char *err, size_t errsz);

/**
 * How one report format writes text. map[c] replaces an ASCII byte c
 * (NULL: c as it is when printable); a control byte the map leaves
 * NULL, and a C1 control (U+0080..U+009F, by its code point), is
 * written as ctl, a byte that is not UTF-8 as bad, both printf formats
 * of the byte ("\\x%02x").
 */
struct text_esc {
	const char *const *map;   /**< 128 entries, or NULL             */
	const char *ctl;
	const char *bad;
};

/** One line: every control byte (TAB, CR, LF too) and non-UTF-8 as \xNN */
extern const struct text_esc text_esc_line;
/** The common escape: controls but TAB and LF, and non-UTF-8, as \xNN */
extern const struct text_esc text_esc_log;
/** One line of Markdown: CR, LF and TAB as spaces, `|` as `\|` */
extern const struct text_esc text_esc_md;

int text_escape(struct re_printf *pf, const struct text_esc *esc,
		const char *s, size_t len);
int text_mbuf(struct mbuf *mb, const struct text_esc *esc, const char *s,
	      size_t len);
int text_file(FILE *f, const struct text_esc *esc, const char *s,
	      size_t len);
const char *text_snprint(char *buf, size_t sz, const struct text_esc *esc,
			 const char *s, size_t len);

/* A message's fixed parts, written without a format to parse (an
 * mbuf_printf() is about a thousand instructions, most of it the
 * format): text_put() writes the C strings that follow mb, up to a
 * NULL; text_put_pl() a pl, nothing when it is empty; text_put_u32()
 * a number in decimal. */
int text_put(struct mbuf *mb, ...);
int text_put_pl(struct mbuf *mb, const struct pl *pl);
int text_put_u32(struct mbuf *mb, uint32_t v);

/* The same parts into a buffer of the caller's, no NUL written:
 * text_u32() a number in decimal ("%u"), past it; text_hex() the low
 * digits hex digits of v ("%0*llx", lower case). text_hostport(): sa
 * as libre's "%J" prints it (an IPv6 address in brackets, then the
 * port), NUL-terminated in buf, or "?" when it has no address;
 * text_addr(): the address alone, as sa_ntop() prints it (0 or errno). */
enum { TEXT_HOSTPORT_SZ = 80 };
char       *text_u32(char *p, uint32_t v);
void        text_hex(char *p, uint64_t v, unsigned digits);
int         text_addr(char *buf, size_t sz, const struct sa *sa);
const char *text_hostport(char buf[TEXT_HOSTPORT_SZ], const struct sa *sa);
