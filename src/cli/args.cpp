#include "args.hpp"

#include <string_view>

#include "errors.hpp"

namespace cli {
namespace {

// Which command an option belongs to ("" for global ones).
struct OptionSpec {
    std::string_view long_name;
    char short_name;
    bool takes_value;
    std::string_view command;
};

constexpr OptionSpec option_specs[] = {
    {"store", 0, true, ""},    {"verbose", 'v', false, ""}, {"quiet", 'q', false, ""},
    {"help", 'h', false, ""},  {"version", 0, false, ""},   {"long", 'l', false, "ls"},
    {"prefix", 0, true, "cp"}, {"jobs", 'j', true, "cp"},
};

const OptionSpec *find_long(std::string_view name) {
    for (const auto &spec : option_specs)
        if (spec.long_name == name)
            return &spec;
    return nullptr;
}

const OptionSpec *find_short(char name) {
    for (const auto &spec : option_specs)
        if (spec.short_name != 0 && spec.short_name == name)
            return &spec;
    return nullptr;
}

struct Given {
    const OptionSpec *spec;
    std::string spelling;  // as the user wrote it, for messages
};

void apply(Args &args, const OptionSpec &spec, std::string value) {
    std::string_view name = spec.long_name;
    if (name == "store")
        args.store = std::move(value);
    else if (name == "verbose")
        args.verbose = true;
    else if (name == "quiet")
        args.quiet = true;
    else if (name == "help")
        args.help = true;
    else if (name == "version")
        args.version = true;
    else if (name == "long")
        args.long_listing = true;
    else if (name == "prefix")
        args.prefix = std::move(value);
    else if (name == "jobs")
        args.jobs = std::move(value);
}

}  // namespace

Args parse_args(int argc, char **argv) {
    Args args;
    std::vector<Given> given;
    std::vector<std::string> positionals;
    bool options_ended = false;

    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (options_ended || arg == "-" || arg.size() < 2 || arg[0] != '-') {
            positionals.push_back(std::move(arg));
            continue;
        }
        if (arg == "--") {
            options_ended = true;
            continue;
        }
        auto take_value = [&](const std::string &spelling) -> std::string {
            if (i + 1 >= argc)
                usage_error("option " + spelling + " needs a value");
            return argv[++i];
        };
        if (arg.starts_with("--")) {
            std::string name = arg.substr(2);
            std::optional<std::string> inline_value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                inline_value = name.substr(eq + 1);
                name.resize(eq);
            }
            const OptionSpec *spec = find_long(name);
            if (spec == nullptr)
                usage_error("unknown option '--" + name + "'");
            std::string spelling = "--" + name;
            if (!spec->takes_value && inline_value)
                usage_error("option " + spelling + " takes no value");
            std::string value;
            if (spec->takes_value)
                value = inline_value ? *inline_value : take_value(spelling);
            apply(args, *spec, std::move(value));
            given.push_back({spec, spelling});
            continue;
        }
        // One or more short options: "-v", "-lq", "-j8", "-j 8".
        for (size_t k = 1; k < arg.size(); ++k) {
            const OptionSpec *spec = find_short(arg[k]);
            std::string spelling = std::string("-") + arg[k];
            if (spec == nullptr)
                usage_error("unknown option '" + spelling + "'");
            std::string value;
            if (spec->takes_value) {
                value = k + 1 < arg.size() ? arg.substr(k + 1) : take_value(spelling);
                k = arg.size();
            }
            apply(args, *spec, std::move(value));
            given.push_back({spec, spelling});
        }
    }

    if (!positionals.empty()) {
        args.command = positionals.front();
        args.operands.assign(positionals.begin() + 1, positionals.end());
    }
    if (!args.help && !args.version) {
        for (const auto &g : given)
            if (!g.spec->command.empty() && g.spec->command != args.command)
                usage_error("option " + g.spelling + " is only valid with '" +
                            std::string(g.spec->command) + "'");
    }
    return args;
}

void expect_operands(const Args &args, size_t min, size_t max) {
    if (args.operands.size() < min)
        usage_error("'" + args.command + "' needs more arguments");
    if (args.operands.size() > max)
        usage_error("too many arguments for '" + args.command + "': '" + args.operands[max] + "'");
}

}  // namespace cli
