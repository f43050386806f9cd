// kvps: look inside any store and move data between stores, from the command line.
// The tool uses only the public API in kvps.h.
#include <cstdio>
#include <new>
#include <string_view>
#include <unistd.h>

#include "args.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "output.hpp"

namespace cli {
namespace {

struct Command {
    std::string_view name;
    int (*run)(const Context &);
    bool interruptible;  // moves bytes: catch Ctrl-C so writers can be aborted
};

constexpr Command commands[] = {
    {"put", run_put, true},       {"get", run_get, true},          {"stat", run_stat, false},
    {"rm", run_rm, false},        {"ls", run_ls, false},           {"cp", run_cp, true},
    {"backends", run_backends, false},
};

int run(int argc, char **argv) {
    Args args = parse_args(argc, argv);
    if (args.help) {
        write_stdout(usage_text());
        return EXIT_OK;
    }
    if (args.version) {
        write_stdout(std::string("kvps ") + KVPS_VERSION_STRING + " (library " + kvps_version() +
                     ")\n");
        return EXIT_OK;
    }
    if (args.command.empty())
        usage_error("no command given");
    for (const Command &command : commands) {
        if (command.name != args.command)
            continue;
        if (command.interruptible)
            install_interrupt_handlers();
        if (args.verbose)
            enable_debug_log();
        Context context{args, !args.quiet && isatty(STDERR_FILENO) == 1};
        return command.run(context);
    }
    usage_error("unknown command '" + args.command + "'");
}

}  // namespace
}  // namespace cli

int main(int argc, char **argv) {
    int code;
    try {
        code = cli::run(argc, argv);
    } catch (const cli::Failure &failure) {
        if (!failure.message.empty())
            cli::print_line(failure.message);
        code = failure.code;
    } catch (const std::bad_alloc &) {
        cli::print_line("out of memory");
        code = cli::EXIT_STORAGE;
    } catch (const std::exception &error) {
        cli::print_line(error.what());
        code = cli::EXIT_STORAGE;
    }
    cli::disable_log();
    return code;
}
