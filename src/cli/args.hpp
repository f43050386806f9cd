// The command line: global options (accepted anywhere before "--"), the command, its
// arguments and its own options.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cli {

struct Args {
    std::optional<std::string> store;   // --store URL
    bool verbose = false;               // -v, --verbose
    bool quiet = false;                 // -q, --quiet
    bool help = false;                  // -h, --help
    bool version = false;               // --version
    bool long_listing = false;          // ls -l
    std::optional<std::string> prefix;  // cp --prefix P
    std::optional<std::string> jobs;    // cp --jobs N
    std::string command;                // "" when none was given
    std::vector<std::string> operands;  // the command's arguments
};

// Parses argv; throws a usage Failure (exit 2) naming the bad argument. Options that belong to
// one command (-l, --prefix, --jobs) are refused with any other.
Args parse_args(int argc, char **argv);

// Throws a usage Failure unless the command got between min and max operands.
void expect_operands(const Args &args, size_t min, size_t max);

}  // namespace cli
