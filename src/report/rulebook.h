/**
 * @file rulebook.h  The rule book, from the code: `siptap rules`
 *
 * Each rule id with its title (its checker's, lua/siptap/checkers/),
 * when it is checked, the RFC sections and what the rule says (the
 * rule book's table, docs/conformance*.md, compiled into the binary),
 * and the --uas-fault switches that break it (fault.c).
 */

/** What the Lua side knows of one rule: "ID\tSCOPE\tTITLE" lines */
int rulebook_print(struct re_printf *pf, const char *checkers,
		   bool markdown, const char *only);

struct rulebook_args {
	const char *checkers;
	bool markdown;
	const char *only;     /**< one rule id, or NULL for all */
};

/** %H: rulebook_print() with a struct rulebook_args */
int rulebook_print_h(struct re_printf *pf, void *arg);

/** The id has a row in the book or a checker */
bool rulebook_has(const char *checkers, const char *id);
