/**
 * @file regex.h  libre's re_regex(), each expression compiled once
 *
 * libre decodes every SIP header with re_regex(): a search that, at each
 * start position, reads its expression again character by character,
 * and calls tolower() through the PLT for each byte it compares. Under
 * siptap load that was about a fifth of a call's instructions. regex.c
 * defines re_regex() for the whole process (libre's own calls reach it
 * through the PLT, as sizes.c's definitions do): the same matches, the
 * same captures, the same return values, the same writes to the
 * captures of attempts that fail, from an expression compiled once into
 * literal bytes and tables of the bytes each class takes. tests/unit/test_regex.c and
 * tests/fuzz/fuzz_regex.c compare it with libre's function.
 */

/** Expressions compiled so far (kept until the process ends; bounded) */
unsigned regex_compiled(void);
