/**
 * @file bindings.c  The Lua-facing objects, listed for the runner
 *
 * The l_*.c objects use the runner (its waits, its test points); the
 * runner must not use them back. So they are listed here, above both,
 * and the run hands this table to the runner in run_conf: a new object
 * is one more line below, and the runner does not change.
 */
#include <re.h>
#include <lua.h>
#include "runner.h"
#include "l_siptap.h"
#include "bindings.h"


/* In this order in every test's state: test() first, since the file is
 * loaded again to find the test's declaration. */
static runner_open_h *const openv[] = {
	l_test_declare_open,
	l_test_open,
	l_msg_open,
	l_uac_open,
	l_uas_open,
	l_peer_open,
	l_remote_open,
	NULL,
};


const struct runner_objects bindings_objects = {
	.openv     = openv,
	.declared  = l_test_declared,
	.push_test = l_test_push,
	.serve     = l_remote_serve,
};
