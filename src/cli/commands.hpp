// The commands: one function each, and the table that describes them (their options, help
// text and examples). A new command or option is one entry in commands.cpp.
#pragma once

#include <span>
#include <string_view>

#include "args.hpp"

namespace cli {

// What every command gets: the parsed line and whether a progress bar may be drawn
// (standard error is a terminal and no -q).
struct Context {
    const Args &args;
    bool progress;
};

struct CommandSpec {
    std::string_view name;
    int (*run)(const Context &);
    bool interruptible;         // moves bytes: catch Ctrl-C so writers can be aborted
    std::string_view synopsis;  // "ls [-lhr] [--json] [PATTERN]"
    std::string_view summary;   // one line for kvps --help
    std::string_view details;   // kvps help COMMAND: what it does, then examples
    std::span<const OptionSpec> options;
};

std::span<const CommandSpec> all_commands();
const CommandSpec *find_command(std::string_view name);
// The options of a command, for the parser (none for an unknown command).
std::span<const OptionSpec> command_options(std::string_view name);

// kvps --help, and kvps help COMMAND.
std::string general_help();
std::string command_help(const CommandSpec &command);

int run_put(const Context &context);
int run_get(const Context &context);
int run_stat(const Context &context);
int run_rm(const Context &context);
int run_ls(const Context &context);
int run_presign(const Context &context);
int run_cp(const Context &context);
int run_sync(const Context &context);
int run_mv(const Context &context);
int run_backends(const Context &context);
int run_alias(const Context &context);
int run_help(const Context &context);

}  // namespace cli
