// kvps: look inside any store and move data between stores, from the command line.
// The tool uses only the public API in kvps.h.
#include <csignal>
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

int run(int argc, char **argv) {
    Args args = parse_args(argc, argv, command_options);
    const CommandSpec *command = args.command.empty() ? nullptr : find_command(args.command);
    if (args.help) {
        write_stdout(command ? command_help(*command) : general_help());
        return EXIT_OK;
    }
    if (args.version) {
        write_stdout(std::string("kvps ") + KVPS_VERSION_STRING + " (library " + kvps_version() +
                     ")\n");
        return EXIT_OK;
    }
    if (args.command.empty()) usage_error("no command given");
    if (command == nullptr) usage_error("unknown command '" + args.command + "'");
    if (command->interruptible) install_interrupt_handlers();
    if (args.verbose) enable_debug_log();
    Context context{args, !args.quiet && isatty(STDERR_FILENO) == 1};
    return command->run(context);
}

}  // namespace
}  // namespace cli

int main(int argc, char **argv) {
    int code;
    try {
        code = cli::run(argc, argv);
    } catch (const cli::Failure &failure) {
        if (!failure.message.empty()) cli::print_line(failure.message);
        code = failure.code;
    } catch (const std::bad_alloc &) {
        cli::print_line("out of memory");
        code = cli::EXIT_STORAGE;
    } catch (const std::exception &error) {
        cli::print_line(error.what());
        code = cli::EXIT_STORAGE;
    }
    cli::disable_log();
    // Interrupted, and everything cleaned up: end by the signal itself, so that a calling
    // shell sees it (a loop of kvps commands stops at Ctrl-C instead of running the next).
    if (int signal = cli::received_signal(); signal != 0 && code == 128 + signal) {
        std::fflush(nullptr);
        std::signal(signal, SIG_DFL);
        cli::unblock_signal(signal);
        std::raise(signal);
    }
    return code;
}
