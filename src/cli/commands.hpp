// One function per command; each returns the exit code or throws a Failure.
#pragma once

#include "args.hpp"

namespace cli {

// What every command gets: the parsed line and whether a progress bar may be drawn
// (standard error is a terminal and no -q).
struct Context {
    const Args &args;
    bool progress;
};

int run_put(const Context &context);
int run_get(const Context &context);
int run_stat(const Context &context);
int run_rm(const Context &context);
int run_ls(const Context &context);
int run_cp(const Context &context);
int run_backends(const Context &context);

// The text of --help.
const char *usage_text();

}  // namespace cli
