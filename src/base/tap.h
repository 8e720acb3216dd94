/**
 * @file tap.h  TAP (Test Anything Protocol) writer, versions 13 and 14
 *
 * Everything is printed into an mbuf, so a test's subtest can be built
 * while it runs and flushed in order later. Subtest lines are indented
 * by four spaces per level (TAP 14 "# Subtest:" form, which TAP 13
 * consumers read as comments and indented noise).
 */

struct mbuf;

enum tap_directive {
	TAP_NONE = 0,
	TAP_SKIP,
	TAP_TODO,
};

/** One key/value line of a YAML diagnostic block (values are quoted) */
struct tap_diag {
	const char *key;
	const char *val;   /**< printed as one double-quoted YAML string */
	size_t len;        /**< length of val; 0 means strlen(val)       */
};

/**
 * Functions below append whole lines to mb and return 0, EINVAL for a
 * bad argument, or ENOMEM. level is the nesting depth (0 = top level);
 * each level indents by 4 spaces.
 */

/** "TAP version 13" or "TAP version 14"; any other version is EINVAL */
int tap_version_line(struct mbuf *mb, int version);

/**
 * "1..count", or "1..0 # SKIP skip_reason" when skip_reason is not NULL
 * (count is then ignored). CR/LF in the reason become spaces.
 */
int tap_plan(struct mbuf *mb, unsigned level, unsigned count,
	     const char *skip_reason);

/**
 * "# Subtest: name" (or "# Subtest" for a NULL or empty name). level is
 * the child's level, the one its lines will use; the comment itself is
 * printed at the parent's indentation (level - 1), as TAP 14 and
 * Test::More do. level 0 is EINVAL. The correlated test point must
 * then carry name as its description.
 */
int tap_subtest(struct mbuf *mb, unsigned level, const char *name);

/**
 * "ok num - desc" / "not ok num - desc", with " # SKIP reason" or
 * " # TODO reason" for a directive. In desc and reason `\` and `#` are
 * escaped (TAP 14), CR/LF become spaces, other control bytes and bytes
 * that are not UTF-8 the text \xNN (so in every line this module
 * writes); a NULL or empty desc drops the " - ". reason is ignored for
 * TAP_NONE. num 0 is EINVAL.
 */
int tap_point(struct mbuf *mb, unsigned level, bool ok, unsigned num,
	      const char *desc, enum tap_directive dir, const char *reason);

/**
 * The YAML diagnostic block of the test point just printed at level,
 * indented 2 spaces deeper than it: "---", one `key: "value"` line per
 * diag (see tap_yaml_quote), "...". A key must be a plain word
 * ([A-Za-z0-9_] first, then also "-" and "."), a val non-NULL, else
 * EINVAL and nothing is printed. diagc 0 prints nothing (TAP::Parser
 * refuses an empty block).
 */
int tap_yaml(struct mbuf *mb, unsigned level, const struct tap_diag *diagv,
	     size_t diagc);

/**
 * "# text", one comment line per line of text (LF, CRLF or CR ends a
 * line); an empty line is a bare "#".
 */
int tap_comment(struct mbuf *mb, unsigned level, const char *text);

/** "Bail out! reason", always at the top level; CR/LF become spaces */
int tap_bail_out(struct mbuf *mb, const char *reason);

/**
 * The len bytes at s (NULs included) as one double-quoted YAML scalar
 * on one line, readable by YAML 1.2 parsers and by TAP::Parser (prove).
 * A byte that is not UTF-8 is written as the text \xNN.
 */
int tap_yaml_quote(struct mbuf *mb, const char *s, size_t len);
