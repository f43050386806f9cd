// The command line, parsed with getopt_long's conventions: short options bundle ("-lhr"), a
// short option's value may be attached ("-j8") or follow ("-j 8"), long options take
// "--name=value" or "--name value", options and operands mix in any order, and "--" ends the
// options. Global options (--store, -v, -q, --help, --version) are accepted anywhere; each
// command adds its own (a command's short letter wins over a global one: "ls -h" is human sizes).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

struct OptionSpec {
    std::string_view long_name;
    char short_name;              // 0 when the option has no short form
    std::string_view value_name;  // "" for a flag; else it takes a value, e.g. "N"
    std::string_view help;
};

struct Args {
    std::optional<std::string> store;   // --store URL|PATH|ALIAS
    bool verbose = false;               // -v, --verbose
    bool quiet = false;                 // -q, --quiet
    bool help = false;                  // -h, --help
    bool version = false;               // --version
    std::string command;                // "" when none was given
    std::vector<std::string> operands;  // the command's arguments

    // The command's own options by long name, each value in the order given ("" for a flag).
    std::map<std::string, std::vector<std::string>, std::less<>> options;

    bool flag(std::string_view name) const { return options.contains(name); }
    // The last value given, if any.
    std::optional<std::string> value(std::string_view name) const;
    // Every value given, in order.
    std::vector<std::string> values(std::string_view name) const;
};

// The global options, for the help text.
std::span<const OptionSpec> global_options();

// Parses argv with the options of command (looked up once the command is known: the first
// operand). Throws a usage Failure (exit 2) naming the bad argument.
Args parse_args(int argc, char **argv,
                std::span<const OptionSpec> (*options_of)(std::string_view command));

// Throws a usage Failure unless the command got between min and max operands.
void expect_operands(const Args &args, size_t min, size_t max);

}  // namespace cli
