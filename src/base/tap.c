/**
 * @file tap.c  TAP (Test Anything Protocol) writer, versions 13 and 14
 *
 * Every function appends whole lines to an mbuf. Text that comes from a
 * scenario (descriptions, reasons, diagnostics) is made safe here, so
 * that no input can end a line early, start a directive, or break the
 * YAML block around it.
 */
#include <string.h>
#include <re.h>
#include "text.h"
#include "tap.h"


enum { INDENT = 4 };


/* (libre's mbuf_fill() refuses n = 0, hence the test) */
static int indent(struct mbuf *mb, unsigned level)
{
	if (!level)
		return 0;

	return mbuf_fill(mb, ' ', (size_t)level * INDENT);
}


/* One line's worth of text (print_text): CR and LF become spaces, since
 * a line break would end the TAP line (harnesses treat a lone CR as one
 * too). In a description or a directive's reason `\` and `#` get a
 * backslash too (TAP 14 "Escaping"), so that a `#` in the text can never
 * be read as the start of a directive. */
static const char *const line_map[128] = {
	['\t'] = "\t", ['\r'] = " ", ['\n'] = " ",
};
static const char *const desc_map[128] = {
	['\t'] = "\t", ['\r'] = " ", ['\n'] = " ",
	['\\'] = "\\\\", ['#'] = "\\#",
};
static const struct text_esc esc_line = {line_map, "\\x%02x", "\\x%02x"};
static const struct text_esc esc_desc = {desc_map, "\\x%02x", "\\x%02x"};


/* Other control bytes and bytes that are not UTF-8 become \xNN: TAP is
 * UTF-8 text, whatever a scenario or a peer put in it. */
static int print_text(struct mbuf *mb, const char *s, bool esc)
{
	return text_mbuf(mb, esc ? &esc_desc : &esc_line, s, strlen(s));
}


int tap_version_line(struct mbuf *mb, int version)
{
	if (!mb || (version != 13 && version != 14))
		return EINVAL;

	return mbuf_printf(mb, "TAP version %d\n", version);
}


/* "1..N", or "1..0 # SKIP reason" for a test set that was skipped as a
 * whole; count is not printed then, the plan of a skipped set is 0. */
int tap_plan(struct mbuf *mb, unsigned level, unsigned count,
	     const char *skip_reason)
{
	int err;

	if (!mb)
		return EINVAL;

	err = indent(mb, level);
	if (err)
		return err;

	if (!skip_reason)
		return mbuf_printf(mb, "1..%u\n", count);

	err = mbuf_write_str(mb, "1..0 # SKIP");
	if (!err && *skip_reason) {
		err  = mbuf_write_u8(mb, ' ');
		err |= print_text(mb, skip_reason, false);
	}
	if (err)
		return err;

	return mbuf_write_u8(mb, '\n');
}


/* TAP 14 "Commented Subtests": the comment stands at the *parent's*
 * indentation and the child's lines 4 spaces deeper, as in the spec's
 * examples and in what Test::More prints:
 *
 *   # Subtest: nested
 *       1..1
 *       ok 1 - in the subtest
 *   ok 2 - nested
 *
 * The caller passes the child's level (the one it then uses for the
 * child's lines), so level 0 has no parent and is refused. */
int tap_subtest(struct mbuf *mb, unsigned level, const char *name)
{
	int err;

	if (!mb || !level)
		return EINVAL;

	err = indent(mb, level - 1);
	if (err)
		return err;

	if (!name || !*name)
		return mbuf_write_str(mb, "# Subtest\n");

	err  = mbuf_write_str(mb, "# Subtest: ");
	err |= print_text(mb, name, false);
	if (err)
		return err;

	return mbuf_write_u8(mb, '\n');
}


int tap_point(struct mbuf *mb, unsigned level, bool ok, unsigned num,
	      const char *desc, enum tap_directive dir, const char *reason)
{
	int err;

	if (!mb || !num)
		return EINVAL;

	switch (dir) {

	case TAP_NONE:
	case TAP_SKIP:
	case TAP_TODO:
		break;

	default:
		return EINVAL;
	}

	err  = indent(mb, level);
	err |= text_put(mb, ok ? "ok " : "not ok ", NULL);
	err |= text_put_u32(mb, num);
	if (!err && desc && *desc) {
		err  = mbuf_write_str(mb, " - ");
		err |= print_text(mb, desc, true);
	}
	if (!err && dir != TAP_NONE) {
		err = mbuf_write_str(mb, dir == TAP_SKIP ? " # SKIP"
						       : " # TODO");
		if (!err && reason && *reason) {
			err  = mbuf_write_u8(mb, ' ');
			err |= print_text(mb, reason, true);
		}
	}
	if (err)
		return err;

	return mbuf_write_u8(mb, '\n');
}


/* A key goes out unquoted, so it must be one plain YAML word that
 * TAP::Parser's YAMLish reader takes as a key (it wants the first
 * character to be \w). */
static bool is_simple_key(const char *key)
{
	const char *p;

	if (!key || !*key || *key == '-' || *key == '.')
		return false;

	for (p = key; *p; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("_-.", *p))
			return false;
	}

	return true;
}


/* The YAML diagnostic block of the test point just printed at level:
 * two spaces deeper than the point, one "key: "value"" line per diag.
 * No diags means no block at all, because TAP::Parser (prove) dies on
 * an empty one ("Premature end of YAMLish"). */
int tap_yaml(struct mbuf *mb, unsigned level, const struct tap_diag *diagv,
	     size_t diagc)
{
	size_t ind = (size_t)level * INDENT + 2;
	size_t i;
	int err;

	if (!mb || (diagc && !diagv))
		return EINVAL;

	for (i = 0; i < diagc; i++) {
		if (!is_simple_key(diagv[i].key) || !diagv[i].val)
			return EINVAL;
	}

	if (!diagc)
		return 0;

	err  = mbuf_fill(mb, ' ', ind);
	err |= mbuf_write_str(mb, "---\n");

	for (i = 0; i < diagc && !err; i++) {
		const struct tap_diag *d = &diagv[i];
		size_t len = d->len ? d->len : strlen(d->val);

		err  = mbuf_fill(mb, ' ', ind);
		err |= mbuf_printf(mb, "%s: ", d->key);
		err |= tap_yaml_quote(mb, d->val, len);
		err |= mbuf_write_u8(mb, '\n');
	}
	if (err)
		return err;

	err = mbuf_fill(mb, ' ', ind);
	if (err)
		return err;

	return mbuf_write_str(mb, "...\n");
}


/* One comment line per line of text, at the given level; CRLF or a lone
 * CR ends a line too (harnesses normalise both to LF). A final line
 * break does not start an extra empty comment; an empty line is a bare
 * "#", with no trailing space. */
int tap_comment(struct mbuf *mb, unsigned level, const char *text)
{
	const char *p = text;
	int err = 0;

	if (!mb || !text)
		return EINVAL;

	do {
		size_t n = strcspn(p, "\r\n");

		err  = indent(mb, level);
		err |= mbuf_write_str(mb, n ? "# " : "#");
		err |= text_mbuf(mb, &text_esc_log, p, n);
		err |= mbuf_write_u8(mb, '\n');

		p += n;
		if (p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			++p;

	} while (*p && !err);

	return err;
}


/* Always at the root level: a bail out in a subtest stops the whole run
 * (TAP 14), and TAP 13 harnesses only see unindented lines. */
int tap_bail_out(struct mbuf *mb, const char *reason)
{
	int err;

	if (!mb)
		return EINVAL;

	err = mbuf_write_str(mb, "Bail out!");
	if (!err && reason && *reason) {
		err  = mbuf_write_u8(mb, ' ');
		err |= print_text(mb, reason, false);
	}
	if (err)
		return err;

	return mbuf_write_u8(mb, '\n');
}


/* One double-quoted YAML scalar on one line: `"` and `\` escaped, LF CR
 * and TAB as \n \r \t, every other C0 control and DEL as \xHH. Valid
 * UTF-8 goes out as it is; a byte that is not UTF-8 as the text \xHH
 * (its backslash escaped), since YAML's \xHH would be the character
 * U+00HH, not the byte.
 *
 * The escapes are the subset that both YAML 1.2 (what TAP 14 names) and
 * TAP::Parser::YAMLish::Reader 3.44 (Debian's prove) understand. That
 * reader only knows \" \\ \t \n \r \a \f \v \e, \xHH and a private \z
 * for NUL; it leaves \0, \b, \/, \N, \_, \L, \P, \uHHHH and \UHHHHHHHH
 * in the value as literal text. So NUL is \x00 (not YAML's \0 nor the
 * reader's \z) and backspace is \x08 (not \b). \xHH is only ever used
 * below 0x80, where YAML's "8-bit Unicode character" and the reader's
 * "byte" agree. */
static const char *const yaml_map[128] = {
	['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\r'] = "\\r",
	['\t'] = "\\t",
};
static const struct text_esc esc_yaml = {yaml_map, "\\x%02x", "\\\\x%02x"};


int tap_yaml_quote(struct mbuf *mb, const char *s, size_t len)
{
	int err;

	if (!mb || (!s && len))
		return EINVAL;

	err  = mbuf_write_u8(mb, '"');
	err |= text_mbuf(mb, &esc_yaml, s, len);
	if (err)
		return err;

	return mbuf_write_u8(mb, '"');
}
