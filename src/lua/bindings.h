/**
 * @file bindings.h  The Lua-facing objects, listed for the runner
 */

struct runner_objects;

extern const struct runner_objects bindings_objects;
